"""The task page: a task's form, generated from its BPMN field definitions, beside a short
summary of the case. GET shows it; POST completes the task in one unit of work.

Errors (docs/web.md): ValidationFailed → the form again (HTTP 400) with an error summary and
what was entered; a task handled meanwhile (Conflict, or gone from the user's tasks) → a page
saying so (409), never an error page; a task the user may not act on → 404.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, g, redirect, render_template, request, url_for

from polku.domain.casefile_summary import case_summary
from polku.engine import queries
from polku.engine import tasks as task_commands
from polku.engine.errors import Conflict, NotFound, ValidationFailed

from .. import forms
from ..context import reading, runtime, unit_of_work
from ..i18n import gettext as _
from ..i18n import lazy_gettext, process_label
from . import bp

INSTANCE_FIELD = "_instance"  # hidden: lets a late POST explain what happened to the task

NOTICE_KINDS = {
    "week_without_meeting": lazy_gettext("A week without a meeting"),
    "absence": lazy_gettext("Unexcused absence: interruption may be justified"),
    "interruption": lazy_gettext("Interruption may be justified"),
    "other_service": lazy_gettext("The client needs another service"),
    "goals_unrealistic": lazy_gettext("The goals do not seem realistic"),
    "second_period_forbidden": lazy_gettext("A second period is not possible under the service rules"),
    "start_notice_overdue": lazy_gettext("Start notification overdue"),
}


@dataclass
class TaskPage:
    task: dict
    process_key: str
    data: dict
    summary: dict
    providers: list[str] | None


def _load(uow, task_id: str, record_view: bool = False) -> TaskPage | None:
    """The task if the user may act on it now (else None), with what the page shows."""
    username = g.user.username
    task = next(iter(queries.tasks_for(uow, username, task_id=task_id)), None)
    if task is None:
        return None
    try:
        case = queries.show(uow, runtime(), task["instance_id"], username)
    except NotFound:
        return None
    has_provider = any(f["type"] == "provider" for f in task["fields"])
    return TaskPage(task=task, process_key=case["process_key"], data=case["data"] or {},
                    summary=case_summary(uow, task["instance_id"],
                                         viewer=username if record_view else None, task_id=task_id),
                    providers=queries.providers(uow) if has_provider else None)


def _summary_view(page: TaskPage) -> dict:
    summary, pk = page.summary, page.process_key
    goals = [dict(goal, category_label=forms.category_label(pk, goal["category"])) for goal in summary["goals"]]
    notices = [dict(notice, label=str(NOTICE_KINDS.get(notice["kind"], notice["kind"])))
               for notice in summary["notices"]]
    return dict(summary, goals=goals, notices=notices)


def _render(page: TaskPage, values: dict | None = None, *, rows: dict | None = None,
            error: ValidationFailed | None = None, notice: str | None = None, status: int = 200):
    task, pk = page.task, page.process_key
    fields = task["fields"]
    errors = forms.error_messages(error, fields, pk) if error is not None else {}
    views = forms.build_fields(fields, process_key=pk, element_id=task["element_id"], values=values, errors=errors,
                               rows=rows, data=page.data, providers=page.providers)
    html = render_template(
        "tasks/task.html", task=task, process_key=pk, views=views, summary=_summary_view(page),
        error_items=forms.error_summary(views, errors), notice=notice,
        title=process_label(pk, task["element_id"], task["name"]), instance_field=INSTANCE_FIELD,
    )
    return html, status


def _gone(task_id: str):
    """The task is no longer the user's to complete: say why, if the user may know."""
    try:
        instance_id = int(request.form.get(INSTANCE_FIELD, ""))
    except ValueError:
        abort(404)
    with reading() as uow:  # an instance the user may not see: the 404 page (web.errors)
        case = queries.show(uow, runtime(), instance_id, g.user.username)
    done = [h for h in case["history"] if h["task_id"] == task_id and h["action"] == "complete"]
    ready = [t for t in case["ready_tasks"] if t["id"] == task_id]
    if done:
        message = (_("You have already completed this task.") if done[-1]["actor"] == g.user.username
                   else _("This task was already handled by someone else."))
    elif ready and case["status"] != "running":
        message = _("This case is not active at the moment, so its tasks cannot be handled now.")
    elif ready:
        message = _("Someone else took this task meanwhile, so it is no longer in your tasks.")
    else:
        abort(404)
    return render_template("error.html", title=_("The task was already handled"), message=message), 409


@bp.route("/tasks/<task_id>", methods=["GET", "POST"])
def task(task_id):
    if request.method == "GET":  # showing the case summary is a read of client data: logged (R12)
        with unit_of_work() as uow:
            page = _load(uow, task_id, record_view=True)
            uow.commit()
    else:
        with reading() as uow:
            page = _load(uow, task_id)
    if page is None:
        if request.method == "POST":
            return _gone(task_id)
        abort(404)
    if request.method == "GET":
        return _render(page)

    fields = page.task["fields"]
    values = forms.parse_form(fields, request.form)
    more = forms.more_rows_requested(request.form)
    if more:  # "Add more rows": show the form again, nothing is submitted
        return _render(page, values, rows=forms.row_counts(fields, request.form, add=more))
    try:
        with unit_of_work() as uow:
            task_commands.complete(uow, runtime(), g.user.username, task_id, values)
            uow.commit()
    except ValidationFailed as exc:
        return _render(page, values, rows=forms.row_counts(fields, request.form), error=exc, status=400)
    except Conflict:
        with reading() as uow:
            still_open = _load(uow, task_id)
        if still_open is None:
            return _gone(task_id)
        # Still ours to do: the case was being changed at the same moment. Nothing was saved.
        return _render(still_open, values, rows=forms.row_counts(fields, request.form), status=409,
                       notice=_("The case was being changed at the same time, so nothing was saved. "
                                "Check the form and send it again."))
    flash(_("Task completed."), "success")
    return redirect(url_for("tasks.inbox"))
