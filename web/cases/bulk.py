"""Bulk interventions (issue 10): suspend, resume, terminate or retry (without data) every instance
matching the instance list's current filters, each in a transaction of its own.

Three steps:
1. The list's form (at its foot, folded; for managers, as the instance page's actions are) posts the
   action, a reason and the filters (hidden fields) to ``/instances/bulk``.
2. That page lists the instances the filters match now, recomputed here (a count or ids from the
   client are never trusted), with their ids as hidden fields, and asks to confirm (terminate also
   with a checkbox, as on the instance page).
3. ``/instances/bulk/confirm`` runs the instance page's own action (``interventions.run_action``: the
   engine's command with its access check and audit row, the reason in its details) on each listed
   id, one unit of work and commit each, and answers with a summary: how many were done, and each
   refused one with why. A refusal of one (not applicable now, changed meanwhile, not one of the
   user's area's cases: a forged id, or one gone) is collected and the next is attempted; what was
   done before it stays done.

At most ``CAP`` instances at once. When more match, nothing is listed or done: the user is asked to
narrow the filter. Acting on "the first 200" of a larger selection would leave the rest to a second
run that the same filter may no longer find (a suspended case drops out of a "running" filter; a
case that matched by date does not), and the user could not tell which were left; a filter that
fits is a selection the user sees whole before confirming.

The routes exist for the instance list's readers (``domain.instancelist.list_reader``: managers and
admins, as the single actions' POSTs, which admins may use like the CLI); others get the 404 page.
Admins are not offered the form (they never see the instance page either) and see no client names.
A form not filled in (no action, no reason, no confirmation) is the page again (400) with the
field's error, nothing changed; hidden fields tampered into nonsense are a plain 400.
"""
from __future__ import annotations

from flask import abort, current_app, g, render_template, request

from polku.domain.caselist import positive_int
from polku.domain.instancelist import InstanceSearch, instance_selection, list_reader, shows_names
from polku.engine.errors import Conflict, Forbidden, NotFound
from polku.engine.refusals import record_refusal
from polku.engine.users import load_actor

from ..context import auditing_read, reading, unit_of_work
from ..i18n import gettext as _
from . import bp
from .instance_list import instances_response, process_name, status_word, step_names
from .interventions import _reason_error, conflict_words, run_action

CAP = 200
ACTIONS = ("suspend", "resume", "terminate", "retry")


def _titles() -> dict[str, str]:
    return {"suspend": _("Suspend the cases"), "resume": _("Resume the cases"),
            "terminate": _("Terminate the cases"), "retry": _("Run the failed step again")}


def bulk_form(names: bool) -> dict | None:
    """What the instance list's bulk form needs; None for a reader who sees no names (an admin)."""
    return {"cap": CAP, "actions": ACTIONS, "titles": _titles()} if names else None


def _form_errors(action: str, reason: str) -> dict[str, str]:
    errors = {} if action in ACTIONS else {"bulk-action": _("Choose what to do with the cases.")}
    problem = _reason_error(reason)
    if problem:
        errors["bulk-reason"] = problem
    return errors


def _form() -> tuple[str, str, dict[str, str]]:
    action, reason = request.form.get("action", ""), request.form.get("reason", "")
    return action, reason, {"bulk-reason": reason, "bulk-action": action}


def _confirm_page(action: str, reason: str, errors: dict[str, str] | None = None, status: int = 200):
    """The instances the filters match now, to confirm; the list again when none or too many match."""
    search = InstanceSearch.parse(request.form)
    with auditing_read() as uow:  # reads, and its audit row at commit (on SQLite: never the write lock)
        rows = instance_selection(uow, g.user.username, search, CAP)
        names = shows_names(load_actor(uow, g.user.username))
        uow.commit()  # the page shows client names: its audit row (R12)
    if not rows:
        if not rows.total:
            problem = _("No case matches these filters: there is nothing to act on.")
        elif rows.more:
            problem = _("More than %(num)d cases match these filters. Act on at most %(cap)d at a time: narrow "
                        "the filter.", num=rows.total, cap=CAP)
        else:
            problem = _("%(num)d cases match these filters. Act on at most %(cap)d at a time: narrow the filter.",
                        num=rows.total, cap=CAP)
        return instances_response(request.form, {"bulk": problem}, _form()[2], status=400)
    return render_template("cases/bulk_confirm.html", rows=rows, search=search, action=action, reason=reason,
                           title=_titles()[action], names=names,
                           status_word=status_word, step_names=step_names, process_name=process_name,
                           errors=errors or {}), status


@bp.post("/instances/bulk")
def bulk():
    action, reason, values = _form()
    with reading() as uow:  # not a reader of the list: the 404 page, before anything is checked
        list_reader(uow, g.user.username)
    errors = _form_errors(action, reason)
    if errors:
        return instances_response(request.form, errors, values, status=400)
    return _confirm_page(action, reason)


def _ids() -> list[int]:
    """The confirmed ids in the order listed, each once; nonsense is a plain 400 (no form shows it)."""
    ids = list(dict.fromkeys(positive_int(v) for v in request.form.getlist("instance")))
    if not ids or len(ids) > CAP or None in ids:
        abort(400)
    return [i for i in ids if i is not None]


def _act(action: str, instance_id: int, reason: str) -> str | None:
    """One instance: None when done, else why not, in words (nothing of it changed)."""
    try:
        run_action(action, instance_id, reason)
    except Conflict as exc:
        return conflict_words(action, exc)
    except (NotFound, Forbidden):
        # An id not listed to this user (forged, or the case purged since): kept as evidence, as the
        # single action's 404 is (web.errors).
        record_refusal(unit_of_work, g.user, {"method": request.method, "endpoint": request.endpoint,
                                              "status": 404, "instances": [instance_id]})
        return _("Not one of your area's cases, or it no longer exists. Nothing was changed.")
    except Exception:  # one case's failure must not stop the others: its unit of work rolled back
        current_app.logger.exception("bulk %s of instance %s failed", action, instance_id)
        return _("It could not be done because of an error. Nothing was changed.")
    return None


@bp.post("/instances/bulk/confirm")
def bulk_confirm():
    action, reason, values = _form()
    with reading() as uow:
        list_reader(uow, g.user.username)
    errors = _form_errors(action, reason)
    if errors:
        return instances_response(request.form, errors, values, status=400)
    ids = _ids()
    if action == "terminate" and request.form.get("confirm") != "yes":
        problem = _("Confirm that the cases end and their open tasks are cancelled.")
        return _confirm_page(action, reason, {"bulk-confirm": problem}, status=400)
    results = [(instance_id, _act(action, instance_id, reason)) for instance_id in ids]
    done = [instance_id for instance_id, why in results if why is None]
    refused = [(instance_id, why) for instance_id, why in results if why is not None]
    return render_template("cases/bulk_done.html", title=_titles()[action], done=done, refused=refused,
                           search=InstanceSearch.parse(request.form), links="manager" in g.user.roles)
