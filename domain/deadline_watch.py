"""The deadline watch: a reminder before a human task's due day and an escalation to the manager
after it, with the numbers in the process's limits table, not in code (issue 8, R7).

A process opts in with the property ``deadline_limits`` on its ``<bpmn:process>``, naming the
decision that gives two numbers (``processes/tyohonvalmennus.bpmn`` names ``coaching_limits``):

- ``reminder_business_days`` N: from the N-th business day before the due day (0: on the due day)
  the task's role (its candidate group: coach, official or manager) gets one ``task_due_soon``
  notice, up to and including the due day. A task already past its due day gets no "due soon"
  reminder (the worker was down, or the first round came later): it is overdue, which the inbox
  shows, the escalation below covers, and for a weekly review the silent-week flag has said.
- ``escalation_business_days`` M: once the task is overdue by M business days, counted as the inbox
  counts them (business days after the due day up to today), the manager gets one ``task_overdue``
  notice. A manager's own task is not escalated to the managers: the reminder already told them.

Why the deployed decision, evaluated here, rather than the instance's data (where the ``limits``
task copied the same numbers): reading instance data means loading each workflow, and a round has
to stay one query over the materialised human tasks however many there are. The decision is the one
of the instance's own version, so a case keeps the table it was started under, as its due dates do
(a changed table applies to new cases, docs/tyohonvalmennus.md). It is evaluated without case data:
the two outputs must come from constants, as they do in coaching_limits.

Days are the service's days (Helsinki): a due day is the local day of the task's ``due_at``. Once
per task: each notice names its task, a round looks only at tasks still lacking one, and the
unique (task_id, kind) makes a second worker's insert at the same moment a no-op. Only ready tasks
of running case instances are looked at: a completed task is never reminded. The notices are
read like every other (``domain.notices``: the role, on the cases its users may read).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, exists, false, or_, select

from polku.engine import audit
from polku.engine.db import upsert_insert
from polku.engine.models import HumanTask, Instance, ProcessDefinition

from .calendar import add_business_days, business_days_between
from .casefile import CASE_PROCESS
from .deadlines import SERVICE_TZ
from .models import Notice

LIMITS_PROPERTY = "deadline_limits"
DUE_SOON, OVERDUE = "task_due_soon", "task_overdue"
ESCALATE_TO = "manager"
# Whose task it is when it names several groups: the one who does the work comes first.
TASK_ROLES = ("coach", "official", "manager")


@dataclass(frozen=True)
class Limits:
    reminder: int  # business days before the due day
    escalation: int  # business days overdue


class DeadlineWatch:
    """The worker's periodic job (polku/wiring.py registers one per worker). It keeps each deployed
    version's limits: a version never changes, and re-reading which versions have running cases
    would cost a round more than everything else it does."""

    def __init__(self) -> None:
        self._limits: dict[int, Limits | None] = {}

    def __call__(self, uow, runtime) -> int:
        return watch_deadlines(uow, runtime, self._limits)


def watch_deadlines(uow, runtime, known: dict[int, Limits | None] | None = None) -> int:
    """Raises the reminders and escalations that are due now; returns how many notices it raised.
    `known` keeps the limits of the versions seen before ({definition id: Limits or None})."""
    limits = deadline_limits(uow, runtime, {} if known is None else known)
    if not limits:
        return 0
    today = _day(uow.now)
    raised = 0
    for row in uow.session.execute(_candidates(limits, today, uow.now)).all():
        due_day, lim = _day(row.due_at), limits[row.definition_id]
        role = next((r for r in TASK_ROLES if r in (row.candidate_groups or [])), None)
        if not row.reminded and role and add_business_days(due_day, -lim.reminder) <= today <= due_day:
            raised += _raise(uow, row, DUE_SOON, role, due_day)
        late = business_days_between(due_day, today) if row.due_at < uow.now else -1
        if not row.escalated and role != ESCALATE_TO and late >= lim.escalation:
            raised += _raise(uow, row, OVERDUE, ESCALATE_TO, due_day, overdue_days=late, role=role)
    return raised


def deadline_limits(uow, runtime, known: dict[int, Limits | None]) -> dict[int, Limits]:
    """{definition id: Limits} for the deployed versions of the case process whose process names a
    limits decision giving both numbers. New versions are read and evaluated once, into `known`."""
    versions = uow.session.scalars(select(ProcessDefinition.id).where(ProcessDefinition.key == CASE_PROCESS)).all()
    for definition_id in versions:
        if definition_id not in known:
            known[definition_id] = _version_limits(uow, runtime, definition_id)
    return {d: lim for d in versions if (lim := known[d]) is not None}


def _version_limits(uow, runtime, definition_id: int) -> Limits | None:
    row = uow.session.get(ProcessDefinition, definition_id)
    decision = ((row.extensions or {}).get(row.key) or {}).get("properties", {}).get(LIMITS_PROPERTY)
    if not decision:
        return None
    defn = runtime.definition(row)
    # A decision runs against a task; a fresh workflow's start task has no data, which is all a
    # table of constants needs (and all the watch can give without loading instances).
    task = runtime.start_task(runtime.new_workflow(defn, {}))
    result = runtime.evaluate_decision(defn, decision, task, {}, uow.now)
    if result.get("reminder_business_days") is None or result.get("escalation_business_days") is None:
        return None  # a version whose table predates the watch: it gets no reminders
    return Limits(int(result["reminder_business_days"]), int(result["escalation_business_days"]))


def _candidates(limits: dict[int, Limits], today: date, now: datetime):
    """One query: the ready tasks of running instances that lack a notice that may be due now.
    The day limits are exact for reminders (N business days before the due day <= today exactly
    when the due day <= N business days after today) and loose for escalations (M business days
    late is at least M calendar days late); the caller checks both exactly."""
    reminded = exists().where(Notice.task_id == HumanTask.id, Notice.kind == DUE_SOON)
    escalated = exists().where(Notice.task_id == HumanTask.id, Notice.kind == OVERDUE)
    versions: dict[Limits, list[int]] = {}
    for definition_id, lim in limits.items():
        versions.setdefault(lim, []).append(definition_id)
    per_limits = [
        and_(Instance.definition_id.in_(ids), or_(
            and_(HumanTask.due_at >= _start_of(today),
                 HumanTask.due_at < _start_of(add_business_days(today, lim.reminder) + timedelta(days=1)),
                 ~reminded),
            and_(HumanTask.due_at < min(now, _start_of(today - timedelta(days=lim.escalation - 1))), ~escalated)))
        for lim, ids in versions.items()]
    return (select(HumanTask.id, HumanTask.instance_id, HumanTask.element_id, HumanTask.name,
                   HumanTask.candidate_groups, HumanTask.due_at, Instance.definition_id, Instance.process_key,
                   reminded.label("reminded"), escalated.label("escalated"))
            .join(Instance, Instance.id == HumanTask.instance_id)
            .where(HumanTask.state == "ready", HumanTask.due_at.is_not(None), Instance.status == "running",
                   or_(false(), *per_limits))
            .order_by(HumanTask.due_at, HumanTask.id))


def _raise(uow, row, kind: str, recipient: str, due_day: date, **extra) -> int:
    """Inserts the notice unless it exists (another worker may have just raised it); 1 if it did."""
    details = {"process": row.process_key, "element_id": row.element_id, "task": row.name,
               "due_on": due_day.isoformat(), **extra}
    stmt = (upsert_insert(uow.session, Notice)
            .values(instance_id=row.instance_id, kind=kind, recipient_role=recipient, created_at=uow.now,
                    details=details, task_id=row.id)
            .on_conflict_do_nothing(index_elements=["task_id", "kind"])
            .returning(Notice.id))
    notice_id = uow.session.scalar(stmt)
    if notice_id is None:
        return 0
    audit.record(uow, "system", "raise_notice", instance_id=row.instance_id, task_id=row.id,
                 details={"notice": notice_id, "kind": kind, "recipient": recipient})
    return 1


def _day(instant: datetime) -> date:
    return instant.astimezone(SERVICE_TZ).date()


def _start_of(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), SERVICE_TZ)
