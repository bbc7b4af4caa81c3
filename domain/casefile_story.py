"""The story of a case: what happened and what was recorded, read from the service record (the
domain tables) and the human tasks, never from audit details.

Each event is a dict ``{"at": iso instant, "kind": ..., "actor": display name | None,
"username": ... | None, "period": number | None, ...}`` with the record's own fields; the web layer
words each kind. Reads of the case (``view_case``, ``view_task``, ``list_cases`` ...) are not events
of the story: they are the access log (``access_log``), shown to the case's managers only.

Who did a recorded step: records that name their author (referral, decision, start notification)
say so. The others (weekly review, redirection, closure, statement, goals) are written by service
tasks in the same unit of work as the coach's user task, so the record's instant equals that task's
``completed_at`` and its ``completed_by`` is the author; the coach's role (the task's candidate
group) tells the coach's completion from an official's in the same instant. Goals carry no time:
their step is the user task with a ``goal_list`` field (the form contract, not an element id).
A completed task that left no record of its own is told as "completed the step".
The few acts that exist only in the audit trail (claim, assign, suspend...) are told by their action.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select

from polku.engine.models import AuditEvent, HumanTask

from .models import (
    Closure,
    Decision,
    EligibilityDecision,
    Goal,
    Meeting,
    Notice,
    Notification,
    Period,
    Redirection,
    Statement,
    WeeklyReview,
)
from .weeks import period_start, period_week, week_fields

# Audit actions that are uses of the case's data (R12): the access log, not the story.
READ_ACTIONS = frozenset({"view_case", "view_task", "show", "list_cases", "list_notices", "list_tasks"})
# Reads of many cases at once (the case list, the notices list, the inbox) name the cases in their
# details, as do refused attempts to open one.
LIST_READS = ("list_cases", "list_notices", "list_tasks")
# Audit actions that are acts on the case with no record elsewhere.
ACTS = ("claim", "take_over", "unclaim", "assign", "suspend", "resume", "terminate", "retry", "set_due", "migrate")
# The role that records weekly reviews, redirections, closures, statements and goals.
RECORDER = "coach"


def _iso(value):
    return value.isoformat() if value is not None and not isinstance(value, str) else value


@dataclass
class Records:
    """A case's service record as the case page reads it once (domain.casefile), for the story to
    tell rather than read again (issue 12: the case page read each of these tables twice). Each
    list is in the order the story tells ties of one instant in: by id, or by their time then id
    (the same, once the story sorts its events by time: stable, ties in id order either way)."""

    refusals: list[EligibilityDecision]  # refused eligibility decisions, by id
    notifications: list[Notification]
    redirections: list[Redirection]
    decisions: list[Decision]
    notices: list[Notice]
    closures: list[Closure]  # by id
    statements: list[Statement]  # by id
    goals: list[Goal] = field(default_factory=list)  # of the case's periods
    reviews: list[WeeklyReview] = field(default_factory=list)  # by reviewed_at, id
    meetings: list[Meeting] = field(default_factory=list)  # by held_on, id


def read_records(session, instance_id: int, period_ids: list[int]) -> Records:
    """The records of one case, each table in one statement."""
    def of_case(model, *order):
        return list(session.scalars(select(model).where(model.instance_id == instance_id).order_by(*order)))

    def of_periods(model, *order):
        if not period_ids:
            return []
        return list(session.scalars(select(model).where(model.period_id.in_(period_ids)).order_by(*order)))

    return Records(
        refusals=list(session.scalars(select(EligibilityDecision)
                                      .where(EligibilityDecision.instance_id == instance_id,
                                             EligibilityDecision.eligible.is_(False))
                                      .order_by(EligibilityDecision.id))),
        notifications=of_case(Notification, Notification.sent_at, Notification.id),
        redirections=of_case(Redirection, Redirection.created_at, Redirection.id),
        decisions=of_case(Decision, Decision.decided_at, Decision.id),
        notices=of_case(Notice, Notice.created_at, Notice.id),
        closures=of_case(Closure, Closure.id),
        statements=of_case(Statement, Statement.id),
        goals=of_periods(Goal, Goal.period_id, Goal.position),
        reviews=of_periods(WeeklyReview, WeeklyReview.reviewed_at, WeeklyReview.id),
        meetings=of_periods(Meeting, Meeting.held_on, Meeting.id),
    )


def story(uow, instance_id: int, periods: list[Period], referral: dict | None, names,
          records: Records) -> list[dict]:
    """The case's events in time order, told from `records` (read_records) and the case's tasks
    and audited acts. `names(usernames) -> {username: display name}`."""
    session = uow.session
    numbers = {p.id: p.number for p in periods}
    period_ids = list(numbers)
    tasks = session.execute(select(HumanTask.id, HumanTask.element_id, HumanTask.completed_at,
                                   HumanTask.completed_by, HumanTask.state, HumanTask.candidate_groups,
                                   HumanTask.fields)
                            .where(HumanTask.instance_id == instance_id)
                            .order_by(HumanTask.completed_at, HumanTask.created_at)).all()
    done = [t for t in tasks if t.state == "completed" and t.completed_at]
    authors = {_iso(t.completed_at): t.completed_by for t in done if RECORDER in (t.candidate_groups or [])}
    acts = session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id,
                                                    AuditEvent.action.in_(ACTS))
                           .order_by(AuditEvent.at, AuditEvent.id)).all()
    events: list[dict] = []

    def add(at, kind: str, actor: str | None = None, period_id: int | None = None, by_task: bool = True,
            **fields) -> None:
        at = _iso(at)
        events.append({"at": at, "kind": kind, "username": actor or (authors.get(at) if by_task else None),
                       "period": numbers.get(period_id) if period_id else None, **fields})

    if referral is not None:
        add(referral["submitted_at"], "referral", referral["submitted_by"], provider=referral["provider"],
            planned_start=referral["planned_start"], planned_end=referral["planned_end"])
    for e in records.refusals:
        add(e.decided_at, "refused", by_task=False, reason=e.reason)
    for n in records.notifications:
        details = n.details or {}
        add(n.sent_at, f"{n.kind}_notification", details.get("by"), n.period_id,
            actual_start=details.get("actual_start"), status=details.get("status"),
            end_reason=details.get("end_reason"))
    for p in periods[1:]:
        add(p.created_at, "period", None, p.id, by_task=False, start=_iso(p.actual_start or p.planned_start),
            end=_iso(p.planned_end))
    goal_steps = [t for t in done if any(f.get("type") == "goal_list" for f in t.fields or [])]
    for i, t in enumerate(goal_steps):
        add(t.completed_at, "goals", t.completed_by, revised=i > 0)
    if period_ids:
        _weeks(records, add, periods)
    for r in records.redirections:
        add(r.created_at, "redirection", None, r.period_id, target_service=r.target_service,
            description=r.description)
    for d in records.decisions:
        add(d.decided_at, "decision", d.decided_by, d.period_id, decision_kind=d.kind, decision=d.decision,
            reason=d.reason)
    for n in records.notices:
        details = n.details or {}
        add(n.created_at, "notice", None, n.period_id, by_task=False, notice_kind=n.kind,
            recipient=n.recipient_role, **week_fields(details),
            absence_streak=details.get("absence_streak"), reason=details.get("reason"),
            task=details.get("element_id"), due_on=details.get("due_on"))  # a deadline notice's task
    for c in records.closures:
        goals = [g.reached for g in records.goals if g.period_id == c.period_id]
        add(c.closed_at, "closure", None, c.period_id, employment_status=c.employment_status,
            outcome_areas=list(c.outcome_areas or []), next_steps=c.next_steps,
            goals_reached=sum(1 for g in goals if g), goals_total=len(goals))
    for s in records.statements:
        add(s.sent_at, "statement", None, s.period_id, statement_kind=s.kind, reviewed=s.reviewed_with_client)

    recorded = {e["at"] for e in events if e["kind"] not in ("notice", "period", "refused")}
    for t in done:  # steps that left no record of their own
        if _iso(t.completed_at) not in recorded:
            add(t.completed_at, "completed", t.completed_by, element_id=t.element_id)
    elements = {t.id: t.element_id for t in tasks}
    for a in acts:
        add(a.at, "act", a.actor, action=a.action, element_id=elements.get(a.task_id),
            assignee=(a.details or {}).get("assignee"), holder=(a.details or {}).get("from"),
            reason=(a.details or {}).get("reason"),  # a manager's intervention says why
            versions=((a.details or {}).get("from_version"), (a.details or {}).get("to_version")))

    events.sort(key=lambda e: e["at"] or "")  # stable: records of one instant keep their causal order
    shown = names({e["username"] for e in events} | {e.get(k) for e in events for k in ("assignee", "holder")})
    for e in events:
        e["actor"] = shown.get(e["username"], e["username"]) if e["username"] else None
        for key in ("assignee", "holder"):  # who was given the task, who held it before a take-over
            if e.get(key):
                e[key] = shown.get(e[key], e[key])
    return events


def _weeks(records: Records, add, periods: list[Period]) -> None:
    """One event per weekly review: its calendar week, meetings, absences, flags and the coach's notes."""
    starts = {p.id: period_start(p) for p in periods}
    meetings: dict[tuple[int, int], list[dict]] = {}
    for m in records.meetings:
        meetings.setdefault((m.period_id, m.week_number), []).append({"date": _iso(m.held_on), "kind": m.kind})
    for w in records.reviews:
        held = meetings.get((w.period_id, w.week_number), [])
        flags = [f for f in ("other_service_need", "goals_unrealistic", "interruption_justified") if getattr(w, f)]
        add(w.reviewed_at, "week", None, w.period_id, **period_week(starts[w.period_id], w.week_number).details(),
            meetings=held,
            absence_days=w.absence_days or 0, absence_streak=w.absence_streak or 0, flags=flags, notes=w.notes)


def access_log(uow, instance_id: int, since) -> list[dict]:
    """Every read of the case, oldest first: its own read rows, and the case lists that showed it
    (a `list_cases` row names the cases shown in its details; only rows from the case's start on
    can name it)."""
    rows = uow.session.execute(
        select(AuditEvent.at, AuditEvent.actor, AuditEvent.action, AuditEvent.task_id, AuditEvent.details)
        .where(or_(and_(AuditEvent.instance_id == instance_id, AuditEvent.action.in_(sorted(READ_ACTIONS))),
                   and_(AuditEvent.action.in_(LIST_READS), AuditEvent.instance_id.is_(None),
                        AuditEvent.at >= since)))
        .order_by(AuditEvent.at, AuditEvent.id)).all()
    rows = [r for r in rows if r.action not in LIST_READS or instance_id in ((r.details or {}).get("instances") or [])]
    elements = dict(uow.session.execute(select(HumanTask.id, HumanTask.element_id)
                                        .where(HumanTask.instance_id == instance_id)).all())
    return [{"at": _iso(r.at), "username": r.actor, "action": r.action, "element_id": elements.get(r.task_id),
             "view": (r.details or {}).get("view"),
             "health_information": bool((r.details or {}).get("health_information"))} for r in rows]
