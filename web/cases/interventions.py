"""A manager's interventions from the instance page (issue 10): suspend, resume, terminate, retry an
instance; hand an open task to a user or back to its groups; move a task's due date.

Each runs the engine's command (its access check and audit row) and answers Post/Redirect/Get: back
to the instance page with a flash in the user's language. Refusals:
- not theirs (another area, a role that may not): NotFound/Forbidden, the 404 page (web.errors);
- not applicable now (a running instance resumed, an ended one terminated...): the engine's Conflict,
  flashed in words and nothing changed;
- a form not filled in (no reason, no confirmation, a past date): the page again (400) with the
  field's error, nothing changed.

A retry may carry corrected data (web.cases.retry_data): only the variables the page offered, only
those changed; the engine's refusal of a value is the page again (400) with the field's error.

The reason is required here for all four instance actions although the engine takes none for
suspend/resume/retry: an intervention without a reason is unexplained to the next person reading the
case's history. It is stored in the audit row's details, as the CLI's --reason always was.
"""
from __future__ import annotations

from datetime import date

from flask import flash, g, redirect, request, url_for

from polku.domain.instance_detail import retry_variables
from polku.engine import instances, task_admin, tasks
from polku.engine.errors import Conflict, Hidden, ValidationFailed

from ..context import runtime, unit_of_work
from ..i18n import gettext as _
from . import bp, retry_data
from .instance_page import instance_response

BACK_TO_GROUPS = "-"  # the assign form's choice "back to the group's queue" (no username is "-")


def _back(instance_id: int):
    """PRG: the instance page for its managers; an admin (who never sees client data) to the case list."""
    if "manager" in g.user.roles:
        return redirect(url_for("cases.instance", instance_id=instance_id))
    return redirect(url_for("cases.index"))


def _reason_error(reason: str) -> str | None:
    try:
        task_admin.checked_reason(reason)
    except ValidationFailed:
        if not reason.strip():
            return _("Give a reason: the next person to read the case needs to know why.")
        return _("The reason can be at most %(max)s characters.", max=task_admin.REASON_MAX)
    return None


def _refused(action: str) -> str:
    return {
        "suspend": _("The case could not be suspended: only a running case or one in error can be. "
                     "Nothing was changed."),
        "resume": _("The case could not be resumed: it is not suspended. Nothing was changed."),
        "terminate": _("The case could not be terminated: it has already ended. Nothing was changed."),
        "retry": _("The failed step could not be run again: the case is not in error. Nothing was changed."),
    }[action]


def _done(action: str) -> str:
    return {
        "suspend": _("The case was suspended."),
        "resume": _("The case was resumed."),
        "terminate": _("The case was terminated and its open tasks cancelled."),
        "retry": _("The failed step was run again."),
    }[action]


def run_action(action: str, instance_id: int, reason: str) -> None:
    """One instance action in a unit of work of its own, committed: the engine's command, with its
    access check and audit row (the instance page's and the bulk form's)."""
    with unit_of_work() as uow:
        if action in ("terminate", "retry"):
            getattr(instances, action)(uow, runtime(), g.user.username, instance_id, reason.strip())
        else:
            getattr(instances, action)(uow, g.user.username, instance_id, reason.strip())
        uow.commit()


def conflict_words(action: str, exc: Conflict) -> str:
    """An action refused as not applicable, or raced by another change after its status check."""
    if "meanwhile" in str(exc):
        return _("Someone else changed this at the same time, so nothing was saved. Try again.")
    return _refused(action)


def _conflict(instance_id: int, action: str, exc: Conflict):
    flash(conflict_words(action, exc), "warning")
    return _back(instance_id)


def _instance_action(instance_id: int, action: str):
    reason = request.form.get("reason", "")
    errors = {}
    problem = _reason_error(reason)
    if problem:
        errors[f"{action}-reason"] = problem
    if action == "terminate" and request.form.get("confirm") != "yes":
        errors["terminate-confirm"] = _("Confirm that the case ends and its open tasks are cancelled.")
    if errors:
        return instance_response(instance_id, errors, {f"{action}-reason": reason}, status=400)
    try:
        run_action(action, instance_id, reason)
    except Conflict as exc:
        return _conflict(instance_id, action, exc)
    flash(_done(action), "success")
    return _back(instance_id)


@bp.post("/instances/<int:instance_id>/suspend")
def suspend(instance_id: int):
    return _instance_action(instance_id, "suspend")


@bp.post("/instances/<int:instance_id>/resume")
def resume(instance_id: int):
    return _instance_action(instance_id, "resume")


@bp.post("/instances/<int:instance_id>/terminate")
def terminate(instance_id: int):
    return _instance_action(instance_id, "terminate")


@bp.post("/instances/<int:instance_id>/retry")
def retry(instance_id: int):
    reason = request.form.get("reason", "")
    problem = _reason_error(reason)
    errors = {"retry-reason": problem} if problem else {}
    with unit_of_work() as uow:
        try:
            variables = retry_variables(uow, runtime(), g.user.username, instance_id)
        except Hidden:  # an admin retries without seeing the data; anyone else is refused by the command
            variables = []
        posted = retry_data.read(variables, request.form, retry_data.loaded(uow, variables))
        if not errors and not posted.more:
            try:
                instances.retry(uow, runtime(), g.user.username, instance_id, reason.strip(), posted.changed or None)
                uow.commit()
            except Conflict as exc:
                return _conflict(instance_id, "retry", exc)
            except ValidationFailed as exc:
                posted.error = exc
            else:
                flash(_done("retry"), "success")
                return _back(instance_id)
    if posted.more:  # "Add more rows": the form again with more rows, nothing sent
        return instance_response(instance_id, values={"retry-reason": reason}, retry=posted)
    return instance_response(instance_id, errors, {"retry-reason": reason}, status=400, retry=posted)


@bp.post("/instances/<int:instance_id>/tasks/<task:task_id>/assign")
def assign(instance_id: int, task_id: str):
    """To a user who could work on the task, or back to its groups (`BACK_TO_GROUPS`: unclaim)."""
    assignee, reason = request.form.get("assignee", "").strip(), request.form.get("reason", "")
    errors = {} if assignee else {f"assign-{task_id}": _("Choose who handles the task.")}
    problem = _reason_error(reason)
    if problem:
        errors[f"assign-reason-{task_id}"] = problem
    if errors:
        return instance_response(instance_id, errors, {f"assign-reason-{task_id}": reason}, status=400)
    try:
        with unit_of_work() as uow:
            task_admin.require_task_of(uow, task_id, instance_id)
            if assignee == BACK_TO_GROUPS:
                tasks.unclaim(uow, g.user.username, task_id, reason.strip())
            else:
                tasks.assign(uow, g.user.username, task_id, assignee, reason.strip())
            uow.commit()
    except Conflict as exc:
        flash(_("The task is not claimed by anyone.") if exc.reason == "not_claimed"
              else _("The task could not be handed over: it was handled meanwhile, or the case is not "
                     "running. Nothing was changed."), "warning")
        return _back(instance_id)
    if assignee == BACK_TO_GROUPS:
        flash(_("The task is back in its group's queue."), "success")
    else:
        flash(_("The task was assigned to %(name)s.", name=assignee), "success")
    return _back(instance_id)


@bp.post("/instances/<int:instance_id>/tasks/<task:task_id>/due")
def set_due(instance_id: int, task_id: str):
    reason, raw = request.form.get("reason", ""), request.form.get("due", "").strip()
    errors = {}
    try:
        due = date.fromisoformat(raw)
    except ValueError:
        due = None
        errors[f"due-{task_id}"] = _("Give the new due date as a date, for example 2026-03-31.")
    problem = _reason_error(reason)
    if problem:
        errors[f"due-reason-{task_id}"] = problem
    values = {f"due-{task_id}": raw, f"due-reason-{task_id}": reason}
    if due is not None and not errors:
        try:
            with unit_of_work() as uow:
                task_admin.require_task_of(uow, task_id, instance_id)
                task_admin.set_due(uow, g.user.username, task_id, due, reason)
                uow.commit()
        except ValidationFailed:  # the only one left: the date is in the past
            errors[f"due-{task_id}"] = _("The due date cannot be in the past.")
        except Conflict:
            flash(_("The due date could not be changed: the task was handled meanwhile. Nothing was changed."),
                  "warning")
            return _back(instance_id)
    if errors:
        return instance_response(instance_id, errors, values, status=400)
    flash(_("The task's due date was changed."), "success")
    return _back(instance_id)
