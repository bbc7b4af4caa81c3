"""The case view: the list of cases a user may see, one case as a person reads it, and a
print-friendly page with the final statement and the start/end notifications.

Reading a case is a use of client data (R12): every page here runs `domain.casefile` in a write
unit of work, which writes the audit row, and commits once.
"""
from __future__ import annotations

from flask import Blueprint, g, render_template

from polku.domain.casefile import case_file, case_list

from ..context import unit_of_work
from ..i18n import gettext as _
from ..i18n import process_label

bp = Blueprint("cases", __name__, template_folder="templates")


# --- words for codes (English msgids; Babel translates them) ---------------------------
def instance_status(code: str | None) -> str:
    return {
        "running": _("In progress"), "completed": _("Closed"), "error": _("Stopped by an error"),
        "suspended": _("Suspended"), "terminated": _("Terminated"),
    }.get(code, code or "")


def period_status(code: str | None) -> str:
    return {
        "referred": _("Referred, not started"), "active": _("In progress"), "ended": _("Ended"),
        "interrupted": _("Interrupted"),
    }.get(code, code or "")


def end_reason(code: str | None) -> str:
    return {
        "closed": _("Closed normally"), "second_period": _("Continued in a second period"),
        "max_duration": _("Maximum length reached"), "interrupted": _("Interrupted"),
        "absence": _("Interrupted: unexcused absence"), "other_service": _("Interrupted: need for another service"),
        "goals": _("Interrupted: the goals were not realistic"), "other": _("Interrupted: other ground"),
    }.get(code, code or "")


def second_period_decision(code: str | None) -> str:
    return {
        "approved": _("Approved"), "refused": _("Refused by the official"),
        "forbidden": _("Not possible under the service rules"), "not_needed": _("Not needed"),
    }.get(code, code or "")


def goal_category(code: str | None) -> str:
    return {
        "employment_or_education": _("Employment or starting education"),
        "job_search_skills": _("Improved job-search skills"),
        "job_opportunities": _("Mapping job opportunities"),
        "working_life_readiness": _("Improved working-life readiness"),
        "employment_support": _("Support in concluding and stabilising an employment relationship"),
        "realistic_plan": _("A realistic decision and plan to apply for education or work"),
    }.get(code, code or "")


def goal_status(code: str) -> str:
    return {"reached": _("Reached"), "not_reached": _("Not reached"), "open": _("Open")}.get(code, code)


def notice_kind(code: str | None) -> str:
    return {
        "week_without_meeting": _("A week without a meeting"),
        "absence": _("Unexcused absence: interruption may be justified"),
        "interruption": _("Interruption may be justified"),
        "other_service": _("The client needs another service"),
        "goals_unrealistic": _("The goals do not seem realistic"),
        "second_period_forbidden": _("A second period is not possible under the service rules"),
        "start_notice_overdue": _("Start notification overdue"),
    }.get(code, code or "")


def recipient(code: str | None) -> str:
    return {"official": _("Responsible official"), "manager": _("Manager")}.get(code, code or "")


def decision_kind(code: str | None) -> str:
    return {
        "second_period": _("Second period"), "redirection": _("Redirection to another service"),
        "goals": _("Unrealistic goals"), "interruption": _("Interruption"),
        "feedback_discussion": _("Feedback discussion"),
    }.get(code, code or "")


# The form that records each kind of decision: its options are BPMN labels.
_DECISION_FIELD = {"redirection": "decide_redirection.decision", "goals": "decide_goals.decision",
                   "interruption": "decide_interruption.decision"}


def language_name(code: str | None) -> str:
    return {"fi": _("Finnish"), "sv": _("Swedish")}.get(code, code or "")


def notification_kind(code: str | None) -> str:
    return {"start": _("Start notification"), "end": _("End notification")}.get(code, code or "")


def refusal_reason(process_key: str, code: str | None) -> str:
    fallback = {
        "R1_short": _("The period is shorter than two weeks"),
        "R1_long": _("The period is longer than four months"),
        "R3_active": _("The client already has a period in progress"),
        "R3_consecutive": _("The client has already had two consecutive periods"),
        "R4_window": _("The client would get more than eight months of coaching within twelve months"),
    }.get(code, code or "")
    return process_label(process_key, f"referral_eligibility.{code}", None) or fallback


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
        self.language, self.notification_kind = language_name, notification_kind

    def label(self, key: str, code: str | None = None) -> str:
        """A BPMN label (element, field or option) in the user's language."""
        if code is not None:
            key = f"{key}.{code}"
        found = process_label(self.process_key, key, self.labels.get(key))
        return found or (code or "")

    def decision(self, item: dict) -> str:
        if item["kind"] == "second_period":
            return second_period_decision(item["decision"])
        if item["kind"] == "feedback_discussion":
            return _("Held")
        field = _DECISION_FIELD.get(item["kind"])
        return self.label(field, item["decision"]) if field else item["decision"]

    def refusal(self, code: str | None) -> str:
        return refusal_reason(self.process_key, code)

    def step(self, event: dict) -> str:
        if not event.get("element_id"):
            return ""
        return process_label(self.process_key, event["element_id"], event.get("step")) or event["element_id"]

    def sentence(self, event: dict) -> str:
        """One timeline event in plain language."""
        name, step, key = event["actor"], self.step(event), event["text_key"]
        if key == "referral":
            return _("Referral made by %(name)s", name=name)
        if key == "completed":
            return _("%(name)s completed “%(step)s”", name=name, step=step)
        if key == "timer":
            return _("Timer: %(step)s", step=step)
        if key == "viewed":
            return _("Case viewed by %(name)s", name=name)
        if key == "task_viewed":
            return _("%(name)s opened “%(step)s”", name=name, step=step)
        if key == "claimed":
            return _("%(name)s took “%(step)s” to handle", name=name, step=step)
        if key == "released":
            return _("%(name)s released “%(step)s”", name=name, step=step)
        if key == "assigned":
            return _("%(name)s assigned “%(step)s” to %(assignee)s", name=name, step=step,
                     assignee=event.get("assignee") or "")
        if key == "suspended":
            return _("Case suspended by %(name)s", name=name)
        if key == "resumed":
            return _("Case resumed by %(name)s", name=name)
        if key == "terminated":
            return _("Case terminated by %(name)s", name=name)
        if key == "retried":
            return _("%(name)s ran the failed step again", name=name)
        return _("%(name)s: %(action)s", name=name, action=event["action"])


# --- routes ----------------------------------------------------------------------------
def _open(instance_id: int, view: str) -> dict:
    with unit_of_work() as uow:  # a case the user may not see is NotFound: the 404 page (web.errors)
        case = case_file(uow, g.user.username, instance_id, view=view)
        uow.commit()  # the audit row of this read (R12)
    return case


@bp.get("/cases")
def index():
    with unit_of_work() as uow:
        cases = case_list(uow, g.user.username)
        uow.commit()  # the list shows client names: its audit row (R12)
    return render_template("cases/index.html", cases=cases, status=instance_status)


@bp.get("/cases/<int:instance_id>")
def show(instance_id: int):
    case = _open(instance_id, "case")
    return render_template("cases/show.html", case=case, w=Words(case))


@bp.get("/cases/<int:instance_id>/statement")
def statement(instance_id: int):
    case = _open(instance_id, "statement")
    return render_template("cases/statement.html", case=case, w=Words(case))
