"""Where cases stand (kpis.md, the heat map): how many running cases wait at each BPMN element now,
and the median time spent in each user task for tasks completed in a date range.

Counted from the materialised rows, never by loading workflow state: a case waits at a user task
while that task is ready (human_tasks), and at a timer (timers) when it has no ready task — a timer
on the boundary of a user task would otherwise count the case twice. "Running" is every case not
ended (running, suspended, stopped by an error): each is waiting somewhere. Elements are matched by
id across the process's versions; the diagram drawn is the version asked for (the newest by default),
and ids it does not have are listed beside it.

Aggregates only, no client data: managers see their organisation's cases, administrators every
organisation's (engine.access ADMIN); anyone else is refused. No audit row: nothing about a person
is read.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from statistics import median
from typing import Any

from sqlalchemy import distinct, func, select

from polku.engine.access import require_admin
from polku.engine.errors import Forbidden, NotFound
from polku.engine.instance_view import diagram_source
from polku.engine.models import HumanTask, Instance, InstanceOrganisation, ProcessDefinition, Timer
from polku.engine.users import load_actor

from .deadlines import SERVICE_TZ

OPEN = ("running", "suspended", "error")


def _scope(actor, query, instance_id_column):
    """Managers: their organisation's cases; administrators: all (checked by the caller)."""
    if "admin" in actor.roles or "system" in actor.roles:
        return query
    return query.where(instance_id_column.in_(
        select(InstanceOrganisation.instance_id).where(InstanceOrganisation.organisation_id == actor.organisation_id)))


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, SERVICE_TZ)


def where_cases_stand(uow, actor_name: str, process_key: str, version: int | None, since: date,
                      until: date) -> dict[str, Any]:
    actor = load_actor(uow, actor_name)
    if not actor.has_role("manager"):
        require_admin(actor, "the heat map is for managers and administrators")
    elif actor.organisation_id is None:
        raise Forbidden("a manager without an organisation has no cases")
    session = uow.session
    versions = session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == process_key)
                               .order_by(ProcessDefinition.version.desc())).all()
    shown = next((d for d in versions if version is None or d.version == version), None)
    if shown is None:
        raise NotFound(f"no process {process_key!r}" + (f" version {version}" if version else ""))

    waiting_tasks = _scope(actor, select(HumanTask.element_id, func.count(distinct(HumanTask.instance_id)))
                           .join(Instance, Instance.id == HumanTask.instance_id)
                           .where(Instance.process_key == process_key, Instance.status.in_(OPEN),
                                  HumanTask.state == "ready"), HumanTask.instance_id)
    counts: dict[str, int] = dict(session.execute(waiting_tasks.group_by(HumanTask.element_id)).all())
    has_task = select(HumanTask.instance_id).where(HumanTask.state == "ready")
    waiting_timers = _scope(actor, select(Timer.element_id, func.count(distinct(Timer.instance_id)))
                            .join(Instance, Instance.id == Timer.instance_id)
                            .where(Instance.process_key == process_key, Instance.status.in_(OPEN),
                                   Timer.instance_id.not_in(has_task)), Timer.instance_id)
    for element_id, n in session.execute(waiting_timers.group_by(Timer.element_id)):
        counts[element_id] = counts.get(element_id, 0) + n

    done = _scope(actor, select(HumanTask.element_id, HumanTask.created_at, HumanTask.completed_at)
                  .join(Instance, Instance.id == HumanTask.instance_id)
                  .where(Instance.process_key == process_key, HumanTask.state == "completed",
                         HumanTask.completed_at >= _start(since),
                         HumanTask.completed_at < _start(until + timedelta(days=1))), HumanTask.instance_id)
    spent: dict[str, list[float]] = defaultdict(list)
    for element_id, created, completed in session.execute(done):
        spent[element_id].append((completed - created).total_seconds() / 86400)
    medians = {element_id: median(days) for element_id, days in spent.items()}
    return {"process_key": process_key, "version": shown.version, "versions": [d.version for d in versions],
            "diagram_xml": diagram_source(shown.sources, process_key), "definition_id": shown.id,
            "counts": counts, "median_days": medians, "completed": {k: len(v) for k, v in spent.items()},
            "since": since, "until": until}
