"""The case view: the list of cases a user may see, one case as a person reads it, and a
print-friendly page with the final statement and the start/end notifications, and the case's
access log (who read it) for its managers.

Reading a case is a use of client data (R12): every page here reads in `context.auditing_read()`,
whose commit writes the audit row (on SQLite through the process's read-audit writer, so a
reading page never takes the write lock), and commits once.
"""
from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, g, render_template, request

from polku.domain.anomalies import day_start, read_anomalies
from polku.domain.casefile import case_access_log, case_file
from polku.domain.caselist import SORTS, STATUSES, TURNS, CaseSearch, case_list, case_providers, case_steps
from polku.engine.users import load_actor

from ..codes import (
    decision_kind,
    end_reason,
    goal_category,
    goal_status,
    instance_status,
    language_name,
    meeting_kind,
    notice_kind,
    notification_kind,
    period_status,
    read_kind,
    recipient,
    refusal_reason,
    second_period_decision,
    turn,
    week_label,
)
from ..context import auditing_read
from ..deadline import deadline
from ..i18n import gettext as _
from ..i18n import process_label

bp = Blueprint("cases", __name__, template_folder="templates")


# The form that records each kind of decision: its options are BPMN labels.
_DECISION_FIELD = {"redirection": "decide_redirection.decision", "goals": "decide_goals.decision",
                   "interruption": "decide_interruption.decision"}


class Words:
    """What the templates call to turn the case file's codes into text in the user's language."""

    def __init__(self, case: dict):
        self.case = case
        self.process_key = case["instance"]["process_key"]
        self.labels = case["labels"]
        self.instance_status, self.period_status, self.end_reason = instance_status, period_status, end_reason
        self.second_period_decision, self.goal_category, self.goal_status = \
            second_period_decision, goal_category, goal_status
        self.notice_kind, self.recipient, self.decision_kind = notice_kind, recipient, decision_kind
        self.language, self.notification_kind, self.meeting_kind = language_name, notification_kind, meeting_kind
        self.turn = turn
        self.week = week_label

    def label(self, key: str, code: str | None = None) -> str:
        """A BPMN label (element, field or option) in the user's language."""
        if code is not None:
            key = f"{key}.{code}"
        found = process_label(self.process_key, key, self.labels.get(key))
        return found or (code or "")

    def decision(self, item: dict) -> str:
        if item["kind"] in ("second_period", "second_period_proposal"):
            return second_period_decision(item["decision"])
        if item["kind"] == "feedback_discussion":
            return _("Held")
        field = _DECISION_FIELD.get(item["kind"])
        return self.label(field, item["decision"]) if field else item["decision"]

    def refusal(self, code: str | None) -> str:
        return refusal_reason(self.process_key, code)

    def step(self, element_id: str | None) -> str:
        """A user task's name in the user's language."""
        if not element_id:
            return ""
        return process_label(self.process_key, element_id, self.labels.get(element_id)) or element_id

    def decided(self, event: dict) -> str:
        """A timeline decision event's outcome."""
        return self.decision({"kind": event["decision_kind"], "decision": event["decision"]})

    def act(self, event: dict) -> str:
        """An act recorded only in the audit trail (claim, assign, suspend...), in plain language."""
        name, step, action = event["actor"], self.step(event.get("element_id")), event["action"]
        if action == "claim":
            return _("%(name)s took “%(step)s” to handle", name=name, step=step)
        if action == "take_over":
            return _("%(name)s took “%(step)s” over from %(holder)s", name=name, step=step,
                     holder=event.get("holder") or "")
        if action == "unclaim":
            return _("%(name)s released “%(step)s”", name=name, step=step)
        if action == "assign":
            return _("%(name)s assigned “%(step)s” to %(assignee)s", name=name, step=step,
                     assignee=event.get("assignee") or "")
        if action == "suspend":
            return _("Case suspended by %(name)s", name=name)
        if action == "resume":
            return _("Case resumed by %(name)s", name=name)
        if action == "terminate":
            return _("Case terminated by %(name)s", name=name)
        if action == "retry":
            return _("%(name)s ran the failed step again", name=name)
        if action == "migrate":
            old, new = event.get("versions") or (None, None)
            return _("%(name)s moved the case from version %(old)s to version %(new)s of the process",
                     name=name, old=old, new=new)
        if action == "set_due":
            return _("%(name)s changed the due date of “%(step)s”", name=name, step=step)
        return _("%(name)s: %(action)s", name=name, action=action)

    def read(self, entry: dict) -> str:
        """One access-log row: what the reader opened."""
        return read_kind(entry["action"], entry.get("view"), self.step(entry.get("element_id")))


# --- routes ----------------------------------------------------------------------------
def _open(instance_id: int, view: str) -> tuple[dict, datetime]:
    """The case file and the command's clock reading (its deadlines are read against it)."""
    with auditing_read() as uow:  # a case the user may not see is NotFound: the 404 page (web.errors)
        case = case_file(uow, g.user.username, instance_id, view=view)
        now = uow.now
        uow.commit()  # the audit row of this read (R12)
    return case, now


# What the list's status column and filter call each case status (domain.caselist).
CASE_STATUS_WORDS = {"running": lambda: _("In progress"), "refused": lambda: _("Referral refused"),
                     "closed": lambda: _("Closed"), "interrupted": lambda: _("Interrupted")}


# Officials have cases of their own (they are the responsible official): those are their default
# list, all the cases of their area one click away.
OWN_CASES_ROLES = frozenset({"official"})


@bp.get("/cases")
def index():
    search = CaseSearch.parse(request.args, scope="mine" if g.user.roles & OWN_CASES_ROLES else "")
    with auditing_read() as uow:  # reads, and its audit row at commit (on SQLite: never the write lock)
        cases = case_list(uow, g.user.username, search)
        providers = case_providers(uow, g.user.username)
        steps = case_steps(uow)
        now = uow.now
        uow.commit()  # the list shows client names: its audit row (R12)
    for row in cases:
        row["deadline"] = deadline(row["next_due"], now)
    return render_template("cases/index.html", cases=cases, search=search, providers=providers, steps=steps,
                           statuses=STATUSES, sorts=SORTS, turns=TURNS, turn=turn,
                           case_status=lambda code: CASE_STATUS_WORDS[code](),
                           status=instance_status, refusal=refusal_reason)


@bp.get("/cases/<int:instance_id>")
def show(instance_id: int):
    case, now = _open(instance_id, "case")
    for task in case["open_tasks"]:  # due on a local day, late by business days, as the inbox shows it
        task["deadline"] = deadline(task["due_at"], now)
    return render_template("cases/show.html", case=case, w=Words(case), may_see_log="manager" in g.user.roles)


@bp.get("/cases/<int:instance_id>/access-log")
def access_log(instance_id: int):
    """Who read the case: for the managers of its organisation (others: 404); itself a logged read."""
    with auditing_read() as uow:
        log = case_access_log(uow, g.user.username, instance_id)
        uow.commit()  # the audit row of this read (R12)
    return render_template("cases/access_log.html", log=log, w=Words(log))


@bp.get("/audit/anomalies")
def anomalies():
    """Reads of client data by users with no task on the case, for the managers of the cases'
    organisations (others: 404); itself a logged read. `since`: a day (YYYY-MM-DD), else all."""
    try:
        since = date.fromisoformat(request.args.get("since", "")[:10])
    except ValueError:
        since = None
    with auditing_read() as uow:
        entries = read_anomalies(uow, load_actor(uow, g.user.username), day_start(since) if since else None)
        uow.commit()  # the audit row of this read (R12)
    def what(e: dict) -> str:
        step = process_label(e["process_key"], e["element_id"], e["step_name"]) if e["element_id"] else ""
        return read_kind(e["action"], e["view"], step or e["element_id"] or "")
    return render_template("cases/anomalies.html", entries=entries, since=since, what=what)


@bp.get("/cases/<int:instance_id>/statement")
def statement(instance_id: int):
    case, _now = _open(instance_id, "statement")
    return render_template("cases/statement.html", case=case, w=Words(case))


# More routes on this blueprint: the managers' instance list and page, the process heat map, the KPI dashboard.
from . import dashboard, heatmap, instance_list, instance_page  # noqa: E402,F401
