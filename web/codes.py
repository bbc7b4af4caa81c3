"""Words for codes: one catalog per domain code (English msgids, translated by Babel), used by
every page that shows the code, and ``translate`` for the domain's and engine's messages.

The domain names the codes it shows itself (outcome areas, meeting kinds) with N_-marked msgids
in ``domain.codes``; those are translated here too, so each code has one catalog.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from polku.domain.codes import MEETING_KINDS, OUTCOME_CATEGORY_NAMES
from polku.engine.fieldtypes import Msg

from .i18n import format_day, gettext, lazy_gettext, process_label

# --- translating messages -----------------------------------------------------------------


def translate(message: Any) -> str:
    """A Msg (or its dict form from a ValidationFailed's details) in the user's language;
    its parameters that are messages themselves are translated first, and a parameter named
    ``date`` (an ISO date) is written the way the user's language writes dates. Anything else: str()."""
    if isinstance(message, Msg):
        msgid, params = message.msgid, message.params
    elif isinstance(message, Mapping) and isinstance(message.get("msgid"), str):
        msgid, params = message["msgid"], message.get("params") or {}
    else:
        return "" if message is None else str(message)
    values = {k: translate(v) if isinstance(v, (Msg, Mapping)) else format_day(v) if k == "date" else v
              for k, v in params.items()}
    return gettext(msgid, **values)


def _word(catalog: Mapping[str, Any], code: str | None) -> str:
    found = catalog.get(code) if code is not None else None
    return str(found) if found is not None else (code or "")


# --- the catalogs -----------------------------------------------------------------------------
INSTANCE_STATUSES = {
    "running": lazy_gettext("In progress"), "completed": lazy_gettext("Closed"),
    "error": lazy_gettext("Stopped by an error"), "suspended": lazy_gettext("Suspended"),
    "terminated": lazy_gettext("Terminated"),
}
PERIOD_STATUSES = {
    "referred": lazy_gettext("Referred, not started"), "active": lazy_gettext("In progress"),
    "ended": lazy_gettext("Ended"), "interrupted": lazy_gettext("Interrupted"),
}
END_REASONS = {
    "closed": lazy_gettext("Closed normally"), "second_period": lazy_gettext("Continued in a second period"),
    "max_duration": lazy_gettext("Maximum length reached"), "interrupted": lazy_gettext("Interrupted"),
    "absence": lazy_gettext("Interrupted: unexcused absence"),
    "other_service": lazy_gettext("Interrupted: need for another service"),
    "goals": lazy_gettext("Interrupted: the goals were not realistic"),
    "other": lazy_gettext("Interrupted: other ground"),
    "terminated": lazy_gettext("Ended: the case was terminated"),
}
SECOND_PERIOD_DECISIONS = {
    "approved": lazy_gettext("Approved"), "refused": lazy_gettext("Refused by the official"),
    "forbidden": lazy_gettext("Not possible under the service rules"), "not_needed": lazy_gettext("Not needed"),
    "proposed": lazy_gettext("Proposed"),
}
GOAL_STATUSES = {"reached": lazy_gettext("Reached"), "not_reached": lazy_gettext("Not reached"),
                 "open": lazy_gettext("Open")}
NOTICE_KINDS = {
    "week_without_meeting": lazy_gettext("A week without a meeting"),
    "absence": lazy_gettext("Unexcused absence: interruption may be justified"),
    "interruption": lazy_gettext("Interruption may be justified"),
    "other_service": lazy_gettext("The client needs another service"),
    "goals_unrealistic": lazy_gettext("The goals do not seem realistic"),
    "second_period_forbidden": lazy_gettext("A second period is not possible under the service rules"),
    "start_notice_overdue": lazy_gettext("Start notification overdue"),
    # The deadline watch (domain.deadline_watch): a reminder to the task's role, an escalation to the manager.
    "task_due_soon": lazy_gettext("Reminder: a task is due soon"),
    "task_overdue": lazy_gettext("A task is overdue"),
    "week_not_recorded": lazy_gettext("A week ended with no weekly review"),
}
RECIPIENTS = {"official": lazy_gettext("Responsible official"), "manager": lazy_gettext("Manager"),
              "coach": lazy_gettext("Coach")}
DECISION_KINDS = {
    "second_period": lazy_gettext("Second period"), "redirection": lazy_gettext("Redirection to another service"),
    "goals": lazy_gettext("Unrealistic goals"), "interruption": lazy_gettext("Interruption"),
    "feedback_discussion": lazy_gettext("Feedback discussion"),
    "second_period_proposal": lazy_gettext("Second period proposed by the coach"),
}
# Services a client may be directed to (record_redirection's target_service).
TARGET_SERVICES = {
    "health": lazy_gettext("Health services"), "social": lazy_gettext("Social services"),
    "rehabilitation": lazy_gettext("Rehabilitation"), "other": lazy_gettext("Another service"),
}
# Whose turn a case is (domain.caselist.TURNS).
TURNS = {"coach": lazy_gettext("Coach"), "official": lazy_gettext("Official"), "manager": lazy_gettext("Manager"),
         "nobody": lazy_gettext("Nobody")}
# A user's roles (engine.users.ROLES), as the administrator's sessions page names them.
ROLE_NAMES = {"official": lazy_gettext("Official"), "coach": lazy_gettext("Coach"), "manager": lazy_gettext("Manager"),
              "designer": lazy_gettext("Process designer"), "admin": lazy_gettext("Administrator")}
LANGUAGES = {"fi": lazy_gettext("Finnish"), "sv": lazy_gettext("Swedish")}
NOTIFICATION_KINDS = {"start": lazy_gettext("Start notification"), "end": lazy_gettext("End notification")}
# Codes of the referral_eligibility decision. The process catalog has the sv/en texts the
# designers wrote; these are the fallback (Finnish has none: the DMN gives only codes).
REFUSAL_REASONS = {
    "R1_short": lazy_gettext("The period is shorter than two weeks"),
    "R1_long": lazy_gettext("The period is longer than four months"),
    "R3_active": lazy_gettext("The client already has a period in progress"),
    "R3_consecutive": lazy_gettext("The client has already had two consecutive periods"),
    "R4_window": lazy_gettext("The client would get more than eight months of coaching within twelve months"),
}


def instance_status(code: str | None) -> str:
    return _word(INSTANCE_STATUSES, code)


def period_status(code: str | None) -> str:
    return _word(PERIOD_STATUSES, code)


def end_reason(code: str | None) -> str:
    return _word(END_REASONS, code)


def second_period_decision(code: str | None) -> str:
    return _word(SECOND_PERIOD_DECISIONS, code)


def goal_category(code: str | None) -> str:
    """An outcome area (R5) in the user's language."""
    return translate(Msg(OUTCOME_CATEGORY_NAMES[code])) if code in OUTCOME_CATEGORY_NAMES else (code or "")


def meeting_kind(code: str | None) -> str:
    return translate(Msg(MEETING_KINDS[code])) if code in MEETING_KINDS else (code or "")


def goal_status(code: str | None) -> str:
    return _word(GOAL_STATUSES, code)


def notice_kind(code: str | None) -> str:
    return _word(NOTICE_KINDS, code)


def week_label(item: Mapping[str, Any] | None) -> str:
    """A week as the calendar names it, "week 3 (12 Jan 2026 – 18 Jan 2026)" (domain.weeks); a
    notice raised before weeks were calendar weeks names only its number in the period."""
    if not item or not item.get("week"):
        return ""
    if item.get("iso_week") and item.get("week_monday") and item.get("week_sunday"):
        return gettext("week %(number)s (%(monday)s – %(sunday)s)", number=item["iso_week"],
                       monday=format_day(item["week_monday"]), sunday=format_day(item["week_sunday"]))
    return gettext("week %(number)s of the period", number=item["week"])


def recipient(code: str | None) -> str:
    return _word(RECIPIENTS, code)


def role_name(code: str | None) -> str:
    return _word(ROLE_NAMES, code)


def turn(code: str | None) -> str:
    return _word(TURNS, code)


def decision_kind(code: str | None) -> str:
    return _word(DECISION_KINDS, code)


def target_service(code: str | None) -> str:
    return _word(TARGET_SERVICES, code)


def language_name(code: str | None) -> str:
    return _word(LANGUAGES, code)


def notification_kind(code: str | None) -> str:
    return _word(NOTIFICATION_KINDS, code)


def refusal_reason(process_key: str, code: str | None) -> str:
    if not code:
        return ""
    return process_label(process_key, f"referral_eligibility.{code}", None) or _word(REFUSAL_REASONS, code)


# What a read of a case was (the access log, R12): the audit action, and for a case page its view.
CASE_VIEWS = {
    "case": lazy_gettext("Opened the case page"),
    "statement": lazy_gettext("Opened the print view of the final statement"),
    "access_log": lazy_gettext("Opened the access log"),
    "instance": lazy_gettext("Opened the process diagram and the current data"),
}
READ_ACTIONS = {"list_cases": lazy_gettext("Saw the case in the list of cases"),
                "list_notices": lazy_gettext("Saw the case in the list of notices"),
                "list_tasks": lazy_gettext("Saw the case in the task list"),
                "show": lazy_gettext("Read the case on the command line")}


def read_kind(action: str, view: str | None, step: str = "") -> str:
    if action == "view_case":
        return _word(CASE_VIEWS, view or "case")
    if action == "view_task":
        return gettext("Opened the task “%(step)s”", step=step)
    return _word(READ_ACTIONS, action)
