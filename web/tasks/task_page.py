"""The task page: a task's form, generated from its BPMN field definitions, beside a short
summary of the case. GET shows it; POST completes the task in one unit of work.

Errors (docs/web.md): ValidationFailed → the form again (HTTP 400) with an error summary and
what was entered; a task handled meanwhile (Conflict, or gone from the user's tasks) → a page
saying so (409), never an error page; a task the user may not act on → 404. A GET of a completed
task (the back button after a submit) shows that it is done, by whom and when, with a link to
the case, to anyone who may see the case.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, g, redirect, render_template, request, url_for

from polku.domain.casefile_summary import case_summary
from polku.domain.decision_material import decision_material
from polku.engine import queries
from polku.engine import tasks as task_commands
from polku.engine.errors import Conflict, ValidationFailed

from .. import codes, forms
from ..context import auditing_read, reading, runtime, unit_of_work
from ..i18n import gettext as _
from ..i18n import process_label
from . import bp
from .case_link import case_url

INSTANCE_FIELD = "_instance"  # hidden: the case the form was for (the task row says what became of it)


@dataclass
class TaskPage:
    task: dict
    process_key: str
    data: dict
    summary: dict
    material: dict | None  # what the decision needs (the task's `material` property)
    loaded: dict  # what the fields' widgets need from the database (forms.widget_data)


def _load(uow, task_id: str, record_view: bool = False) -> TaskPage | None:
    """The task if the user may act on it now (else None), with what the page shows: the task
    row and the domain tables, in the caller's unit of work; no workflow is deserialised."""
    task = queries.open_task(uow, g.user.username, task_id)
    return None if task is None else _page(uow, task, record_view)


def _page(uow, task: dict, record_view: bool = False) -> TaskPage:
    """What the page shows beside the task row `task` (queries.open_task): read only to show the
    form, never for a submission that completes the task (issue 12)."""
    username = g.user.username
    summary = case_summary(uow, task["instance_id"], viewer=username if record_view else None, task_id=task["id"])
    # What the form widgets read from the case: the goals set for the current period.
    data = {"goals": [{k: goal[k] for k in ("category", "description", "verification")} for goal in summary["goals"]]}
    material = decision_material(uow, task["instance_id"], (task.get("properties") or {}).get("material"))
    return TaskPage(task=task, process_key=task["process_key"], data=data, summary=summary, material=material,
                    loaded=forms.widget_data(uow, task["fields"]))


def _summary_view(page: TaskPage) -> dict:
    summary = page.summary
    goals = [dict(goal, category_label=codes.goal_category(goal["category"])) for goal in summary["goals"]]
    # Named as the case's history names them: to whom, which week, which task is due when (a case
    # may hold the same kind of notice to the manager and to the coach, for several weeks or
    # tasks: without these the panel lists lines that look the same).
    notices = [dict(notice, label=codes.notice_kind(notice["kind"]), week=codes.week_label(notice["details"]),
                    recipient=codes.recipient(notice["recipient_role"])) for notice in summary["notices"]]
    return dict(summary, goals=goals, notices=notices)


def _material_view(page: TaskPage) -> dict | None:
    """The decision material with its codes in words."""
    material = page.material
    if material is None:
        return None
    if material["kind"] == "week":  # the calendar week a weekly review is for
        return dict(material, label=codes.week_label(material))
    if material.get("review"):
        material = dict(material, review=dict(material["review"], label=codes.week_label(material["review"])))
    if material["kind"] == "redirection":
        return dict(material, target_label=codes.target_service(material["target_service"]))
    if material["kind"] == "referral":
        return dict(material, language_label=codes.language_name(material["language"]))
    if material["kind"] == "goals" and material["notice"]:
        return dict(material, notice=dict(material["notice"], label=codes.notice_kind(material["notice"]["kind"])))
    return material


def _render(page: TaskPage, values: dict | None = None, *, rows: dict | None = None,
            error: ValidationFailed | None = None, notice: str | None = None, status: int = 200):
    task, pk = page.task, page.process_key
    fields = task["fields"]
    errors = forms.error_messages(error, fields, pk) if error is not None else {}
    views = forms.build_fields(fields, process_key=pk, element_id=task["element_id"], values=values, errors=errors,
                               rows=rows, data=page.data, loaded=page.loaded)
    html = render_template(
        "tasks/task.html", task=task, process_key=pk, views=views, summary=_summary_view(page),
        material=_material_view(page),
        error_items=forms.error_summary(views, errors), notice=notice,
        title=process_label(pk, task["element_id"], task["name"]), instance_field=INSTANCE_FIELD,
        submit_label=_submit_label(page), case_url=case_url(pk, task["instance_id"]),
    )
    return html, status


def _submit_label(page: TaskPage) -> str:
    """What the button does: the task's `submit_label` property (Finnish, translated under
    `<element id>.submit`), else the generic words."""
    finnish = (page.task.get("properties") or {}).get("submit_label")
    if not finnish:
        return _("Complete the task")
    return process_label(page.process_key, f"{page.task['element_id']}.submit", finnish)


def _done(fate: dict, message: str | None = None, status: int = 200):
    """A completed task: what it was, who completed it and when, and the way to its case."""
    mine = fate["completed_by"] == g.user.username
    return render_template(
        "tasks/done.html", fate=fate, message=message, mine=mine,
        case_url=case_url(fate["process_key"], fate["instance_id"]),
        heading=_("The task was already handled") if message else _("The task is done"),
        task_title=process_label(fate["process_key"], fate["element_id"], fate["name"]),
        completed_by=fate["completed_by_name"] or fate["completed_by"] or "",
    ), status


def _gone(uow, task_id: str):
    """The task is no longer the user's to complete: say why, if the user may know."""
    fate = queries.task_fate(uow, g.user.username, task_id)
    if fate is None:
        abort(404)
    if fate["state"] == "completed":
        return _done(fate, (_("You have already completed this task.") if fate["completed_by"] == g.user.username
                            else _("This task was already handled by someone else.")), 409)
    if fate["state"] == "ready" and fate["instance_status"] != "running":
        message = _("This case is not active at the moment, so its tasks cannot be handled now.")
    elif fate["state"] == "ready":
        message = _("Someone else took this task meanwhile, so it is no longer in your tasks.")
    else:
        abort(404)
    return render_template("error.html", title=_("The task was already handled"), message=message), 409


@bp.route("/tasks/<task:task_id>", methods=["GET", "POST"])
def task(task_id):
    if request.method == "GET":  # showing the case summary is a read of client data: logged (R12)
        with auditing_read() as uow:
            page = _load(uow, task_id, record_view=True)
            if page is None:  # e.g. the back button after a submit: done, if the user may see the case
                fate = queries.task_fate(uow, g.user.username, task_id)
                if fate is None or fate["state"] != "completed":
                    abort(404)
                return _done(fate)
            uow.commit()
        # Rows as many as asked (`<field>-rows`): the language switch comes back with the rows it had.
        return _render(page, rows=forms.row_counts(page.task["fields"], request.args))

    # One unit of work: load the task row, complete it, commit; a form shown again reads in the
    # same one. The case summary and the widgets' data are read only for a form shown again
    # ("Add more rows", or a refused submission: refused before anything was written).
    with unit_of_work() as uow:
        task = queries.open_task(uow, g.user.username, task_id)
        if task is None:
            return _gone(uow, task_id)
        fields = task["fields"]
        values = forms.parse_form(fields, request.form)
        more = forms.more_rows_requested(request.form)
        if more:  # "Add more rows": show the form again, nothing is submitted
            return _render(_page(uow, task), values, rows=forms.row_counts(fields, request.form, add=more))
        try:
            status = task_commands.complete(uow, runtime(), g.user.username, task_id, values)
            uow.commit()
        except ValidationFailed as exc:
            return _render(_page(uow, task), values, rows=forms.row_counts(fields, request.form), error=exc,
                           status=400)
        except Conflict:
            conflict = True
        else:
            conflict = False
    if conflict:
        with reading() as uow:
            still_open = _load(uow, task_id)
            if still_open is None:
                return _gone(uow, task_id)
        # Still ours to do: the case was being changed at the same moment. Nothing was saved.
        return _render(still_open, values, rows=forms.row_counts(fields, request.form), status=409,
                       notice=_("The case was being changed at the same time, so nothing was saved. "
                                "Check the form and send it again."))
    if status == "error":  # saved, but the step after it failed (e.g. model code over its budget)
        return render_template("error.html", title=_("The task was saved, but the process stopped"),
                               message=_("The next step of the case failed, so the case now waits for a manager "
                                         "to look into it. You do not need to send the form again.")), 200
    flash(_("Task completed."), "success")
    return redirect(url_for("tasks.inbox"))
