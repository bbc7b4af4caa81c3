"""The inbox: the tasks a user may act on, with filters, sorting, paging and saved filters.

Routes parse input, call one engine command or query and map its errors (docs/web.md):
each request in one `unit_of_work()` committed once (the list itself writes its audit row).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, flash, g, redirect, render_template, request, url_for

from polku.engine import accounts
from polku.engine import inbox as inbox_query
from polku.engine import tasks as task_commands
from polku.engine.errors import Conflict, ValidationFailed

from ..context import auditing_read, unit_of_work
from ..deadline import deadline, local_day
from ..i18n import gettext as _
from . import bp

SCOPES = ("all", "mine", "groups")
SORTS = ("due", "priority", "created")
MAX_PAGE = 100_000  # keeps OFFSET within what every database accepts
MAX_STEP = 200  # the length of human_tasks.element_id


@dataclass(frozen=True)
class Filters:
    """What the inbox shows: who (scope), which step, only overdue ones, and in which order."""

    scope: str = "all"
    step: str = ""
    overdue: bool = False
    sort: str = "due"

    @classmethod
    def parse(cls, source) -> Filters:
        """From request args, form data or a stored filter; anything unknown falls back to the default."""
        scope = str(source.get("scope") or "")
        sort = str(source.get("sort") or "")
        overdue = source.get("overdue")
        return cls(
            scope=scope if scope in SCOPES else "all",
            step=str(source.get("step") or "").strip()[:MAX_STEP],
            overdue=overdue is True or str(overdue) in ("1", "true", "on"),
            sort=sort if sort in SORTS else "due",
        )

    def stored(self) -> dict:
        """The shape kept with a saved filter."""
        return {"scope": self.scope, "step": self.step, "overdue": self.overdue, "sort": self.sort}

    def args(self) -> dict:
        """URL query arguments, defaults left out so that links stay short."""
        values = {}
        if self.scope != "all":
            values["scope"] = self.scope
        if self.step:
            values["step"] = self.step
        if self.overdue:
            values["overdue"] = "1"
        if self.sort != "due":
            values["sort"] = self.sort
        return values

    @property
    def narrowed(self) -> bool:
        return self.scope != "all" or bool(self.step) or self.overdue


def _page(value) -> int:
    try:
        return min(max(int(value), 1), MAX_PAGE)
    except (TypeError, ValueError):
        return 1


def _listing_args() -> dict:
    """The inbox's own query arguments of this request, to come back to the same view."""
    values = Filters.parse(request.args).args()
    page = _page(request.args.get("page"))
    if page > 1:
        values["page"] = page
    return values


def _back():
    return redirect(url_for("tasks.inbox", **_listing_args()))


def _row(item: dict, now: datetime, username: str) -> dict:
    created_at = datetime.fromisoformat(item["created_at"]) if item["created_at"] else None
    return {
        "id": item["id"],
        "url": url_for("tasks.task", task_id=item["id"]),
        "client": item["title"] or _("Case %(number)s", number=item["instance_id"]),
        "process_key": item["process_key"],
        "element_id": item["element_id"],
        "name": item["name"],
        "deadline": deadline(item["due_at"], now),
        "priority": item["priority"],
        "age_days": max((local_day(now) - local_day(created_at)).days, 0) if created_at else 0,
        "mine": item["assignee"] == username,
        "assignee": item["assignee"],
    }


def _steps(found: list[dict], selected: str) -> list[dict]:
    """One option per step present in the user's tasks (and the selected one, even if none is left)."""
    seen, options = set(), []
    for step in found:
        if step["element_id"] not in seen:
            seen.add(step["element_id"])
            options.append(step)
    if selected and selected not in seen:
        options.append({"element_id": selected, "name": selected, "process_key": ""})
    return options


def _render(filters: Filters, page: int, *, errors: dict | None = None, filter_name: str = "", status: int = 200):
    per_page = int(current_app.config["INBOX_PAGE_SIZE"])
    username = g.user.username
    with auditing_read() as uow:  # the rows show client names: the list's audit row (engine.inbox)
        now = uow.now

        def fetch(number: int) -> dict:
            return inbox_query.inbox(uow, username, scope=filters.scope, step=filters.step or None,
                                 overdue=filters.overdue, sort=filters.sort, page=number, per_page=per_page)

        result = fetch(page)
        pages = max(1, -(-result["total"] // per_page))
        if page > pages:  # past the end (tasks were handled meanwhile): show the last page
            page = pages
            result = fetch(page)
        saved = accounts.saved_filters(uow, username)
        uow.commit()
    saved_rows = []
    for entry in saved:
        kept = Filters.parse(entry["query"] if isinstance(entry["query"], dict) else {})
        saved_rows.append({"id": entry["id"], "name": entry["name"], "args": kept.args(), "current": kept == filters})
    listing = filters.args()
    if page > 1:
        listing["page"] = page
    html = render_template(
        "tasks/inbox.html",
        filters=filters, rows=[_row(item, now, username) for item in result["items"]],
        steps=_steps(result["steps"], filters.step), total=result["total"], more=result["more"], page=page,
        pages=pages,
        listing=listing, saved=saved_rows, errors=errors or {}, filter_name=filter_name,
        sorts=SORTS,
    )
    return html, status


@bp.get("/")
@bp.get("/tasks")
def inbox():
    return _render(Filters.parse(request.args), _page(request.args.get("page")))


def _change_task(task_id: str, command, done: str, refused):
    """`refused` words a Conflict in the user's language (the engine's own text is English).
    A task the user may not see is NotFound: the 404 page (web.errors)."""
    try:
        with unit_of_work() as uow:
            command(uow, g.user.username, task_id)
            uow.commit()
    except Conflict as exc:
        flash(_("The task is already yours.") if exc.reason == "already_yours" else refused, "warning")
        return _back()
    flash(done, "success")
    return _back()


@bp.post("/tasks/<task:task_id>/claim")
def claim(task_id):
    return _change_task(task_id, task_commands.claim, _("You claimed the task. It is now assigned to you."),
                        _("The task could not be claimed: someone else claimed or handled it first."))


@bp.post("/tasks/<task:task_id>/take-over")
def take_over(task_id):
    """A task a colleague holds becomes the user's (audited); then its page opens. A task that is
    free or already the user's opens as it is; a task the user may not take over is 404."""
    try:
        with unit_of_work() as uow:
            task_commands.take_over(uow, g.user.username, task_id)
            uow.commit()
    except Conflict as exc:
        if exc.reason not in ("already_yours", "not_claimed"):
            flash(_("The task could not be taken over: it was handled meanwhile."), "warning")
            return _back()
    else:
        flash(_("You took the task over. It is now assigned to you."), "success")
    return redirect(url_for("tasks.task", task_id=task_id))


@bp.post("/tasks/<task:task_id>/unclaim")
def unclaim(task_id):
    return _change_task(task_id, task_commands.unclaim,
                        _("You released the task. It is back in the group's queue."),
                        _("The task could not be released: it is no longer claimed by you, or it was handled."))


@bp.post("/tasks/filters")
def save_filter():
    filters = Filters.parse(request.form)
    name = request.form.get("name", "")
    try:
        with unit_of_work() as uow:
            accounts.save_filter(uow, g.user.username, name, filters.stored())
            uow.commit()
    except ValidationFailed:
        errors = {"filter-name": _("Give the filter a name of 1–100 characters.")}
        return _render(filters, 1, errors=errors, filter_name=name, status=400)
    flash(_("The filter “%(name)s” was saved.", name=name.strip()), "success")
    return redirect(url_for("tasks.inbox", **filters.args()))


@bp.post("/tasks/filters/<int:filter_id>/delete")
def delete_filter(filter_id):
    with unit_of_work() as uow:  # someone else's filter is NotFound: the 404 page
        accounts.delete_filter(uow, g.user.username, filter_id)
        uow.commit()
    flash(_("The saved filter was deleted."), "success")
    return _back()
