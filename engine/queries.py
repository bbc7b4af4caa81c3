"""Reads for lists and views: SQL over the materialised tables (only `show` opens a workflow)."""
from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Select, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from . import audit, ids, service_retries
from .access import (
    DATA_READER,
    MAY_TAKE_OVER,
    MAY_WORK,
    READS_DATA,
    Facts,
    instance_org_ids,
)
from .db import UnitOfWork
from .errors import Hidden, NotFound
from .models import AuditEvent, HumanTask, Instance, ProcessDefinition, TaskCandidateGroup, Timer, User
from .persist import load_instance, load_workflow
from .runtime import Runtime
from .users import load_actor

OPERATOR = "operator"  # who reads on the command line without naming themselves (`--as`)
# A list counts its matching rows this far and then says "more than": an exact count of an area's
# 50,000 cases reads all of them on every page, and nobody pages through more than this.
COUNT_CAP = 500


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def count_upto(session: Session, rows: Select[Any], cap: int) -> tuple[int, bool]:
    """How many rows `rows` selects, counted no further than `cap`; True when there are more."""
    found = session.scalar(select(func.count()).select_from(rows.limit(cap + 1).subquery())) or 0
    return min(found, cap), found > cap


def among(session: Session, column: Any, ids: Iterable[int]) -> Any:
    """``column IN ids`` for a few thousand integer ids, the ids sent as one parameter: PostgreSQL
    gets an array (``= ANY``), SQLite a JSON list (``json_each``). As one parameter per id, 3,000 of
    them cost PostgreSQL 15 ms of parsing and planning (an array: 3) and SQLite 2 ms (JSON: 0.6)."""
    values = sorted({int(i) for i in ids})
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(Integer)))
    listed: Select[Any] = select(literal_column("value"))
    return column.in_(listed.select_from(func.json_each(bindparam(None, json.dumps(values)))))


class unindexed(FunctionElement[Any]):
    """`column` itself, which SQLite may not use an index for (``+column``, its documented way):
    for a query driven from a narrower set of ids (``id IN (...)``) that SQLite, having no
    statistics, would otherwise read through `column`'s index, the whole table in the list's order
    to spare itself a sort of the few. Other databases plan from statistics and get the column."""

    name = "unindexed"
    inherit_cache = True

    def __init__(self, column: Any):
        super().__init__(column)
        self.type = column.type


@compiles(unindexed)
def _as_is(element: unindexed, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(unindexed, "sqlite")
def _unary_plus(element: unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses, **kw))


def distinct_values(session: Session, column: Any, *where: Any) -> list[Any]:
    """The distinct non-null values of an indexed `column` among the rows `where` selects, by a skip
    scan: each the least one past the last (one index probe a value, however many rows have it).
    For a filter's choices over a table of 100,000 rows with a handful of values."""
    name = column.key
    found = select(func.min(column).label(name)).where(*where).cte(f"distinct_{name}", recursive=True)
    following = select(func.min(column)).where(*where, column > found.c[name])
    found = found.union_all(select(following.scalar_subquery()).where(found.c[name].is_not(None)))
    return [v for v in session.scalars(select(found.c[name])) if v is not None]


def task_dict(row: HumanTask, groups: Iterable[str], *, fields: bool = True) -> dict[str, Any]:
    """`fields=False`: without the form (a list that shows no form, the inbox, need not load it)."""
    item = {
        "id": row.id, "instance_id": row.instance_id, "element_id": row.element_id, "name": row.name,
        "lane": row.lane, "candidate_groups": sorted(groups), "assignee": row.assignee,
        "due_at": _iso(row.due_at), "priority": row.priority, "created_at": _iso(row.created_at),
    }
    if fields:
        item["fields"] = [
            {"id": f["id"], "type": f["type"], "label": f["label"], "required": f["required"],
             "options": f["options"], "constraints": f["constraints"], "default": f.get("default"),
             "properties": f.get("properties", {})}
            for f in row.fields
        ]
    return item


def tasks_for(uow: UnitOfWork, actor: str | None, instance_id: int | None = None, only_running: bool = True,
              task_id: str | None = None) -> list[dict[str, Any]]:
    """Ready tasks `actor` may act on: assigned to them, or unclaimed in their groups and organisation.
    Without an actor (an operator's view), every ready task. A malformed id matches nothing."""
    if (instance_id is not None and not ids.is_row_id(instance_id)) or (task_id is not None
                                                                        and not ids.is_task_id(task_id)):
        return []
    query = (
        select(HumanTask)
        .join(Instance, Instance.id == HumanTask.instance_id)
        .where(HumanTask.state == "ready")
        .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at, HumanTask.id)
    )
    if only_running:
        query = query.where(Instance.status == "running")
    if instance_id is not None:
        query = query.where(HumanTask.instance_id == instance_id)
    if task_id is not None:
        query = query.where(HumanTask.id == task_id)
    if actor is not None:
        query = query.where(MAY_WORK.where(load_actor(uow, actor)))
    rows = uow.session.scalars(query).all()
    groups: dict[str, set[str]] = {r.id: set() for r in rows}
    if rows:
        for tid, g in uow.session.execute(
            select(TaskCandidateGroup.task_id, TaskCandidateGroup.group_name)
            .where(TaskCandidateGroup.task_id.in_(list(groups)))
        ):
            groups[tid].add(g)
    return [task_dict(r, groups[r.id]) for r in rows]


def instances(uow: UnitOfWork, status: str | None = None) -> list[dict[str, Any]]:
    query = select(Instance.id, Instance.process_key, Instance.version, Instance.status, Instance.business_key,
                   Instance.started_at).order_by(Instance.id)
    if status:
        query = query.where(Instance.status == status)
    return [
        {"id": r.id, "process_key": r.process_key, "version": r.version, "status": r.status,
         "business_key": r.business_key, "started_at": _iso(r.started_at)}
        for r in uow.session.execute(query)
    ]


def definitions(uow: UnitOfWork) -> list[dict[str, Any]]:
    rows = uow.session.execute(select(ProcessDefinition.key, ProcessDefinition.version, ProcessDefinition.hash,
                                      ProcessDefinition.deployed_at, ProcessDefinition.name)
                               .order_by(ProcessDefinition.key, ProcessDefinition.version))
    return [{"key": r.key, "version": r.version, "hash": r.hash, "deployed_at": _iso(r.deployed_at), "name": r.name}
            for r in rows]


def show(uow: UnitOfWork, runtime: Runtime, instance_id: int, actor: str | None = None) -> dict[str, Any]:
    """Everything about an instance, its data included: a read of client data, logged (one `show`
    row, by the named user, or "operator" for the command line's unnamed one) after its history is
    read. The same rule as a case page (`READS_DATA`): designers and admins, and users of other
    organisations, get "not found"."""
    inst = load_instance(uow, instance_id)
    reader: audit.Who | str = OPERATOR
    if actor is not None:
        reader = user = load_actor(uow, actor)
        if not READS_DATA.allows(user, Facts(org_ids=instance_org_ids(uow.session, instance_id))):
            raise Hidden(f"no instance {instance_id}")
    _defn, wf, _snap = load_workflow(uow, runtime, inst)
    data = runtime.current_data(wf)
    from .jsonvalues import to_json

    timers = uow.session.scalars(select(Timer).where(Timer.instance_id == instance_id).order_by(Timer.due_at))
    history = uow.session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id,
                                                           AuditEvent.action != "show")  # changes, not reads
                                  .order_by(AuditEvent.id))
    found = [{"at": _iso(h.at), "actor": h.actor, "action": h.action, "task_id": h.task_id, "details": h.details}
             for h in history]
    audit.record(uow, reader, "show", instance_id=inst.id)
    return {
        "id": inst.id, "process_key": inst.process_key, "version": inst.version, "status": inst.status,
        "business_key": inst.business_key, "started_at": _iso(inst.started_at), "ended_at": _iso(inst.ended_at),
        "error": {"element_id": inst.error_element, "message": inst.error_message} if inst.error_message else None,
        "service_retry": service_retries.view(uow, instance_id),  # a failing service task's attempts
        "ready_tasks": tasks_for(uow, None, instance_id, only_running=False),
        "timers": [{"id": t.id, "element_id": t.element_id, "kind": t.kind, "due_at": _iso(t.due_at)} for t in timers],
        "data": to_json(data),
        "history": found,
    }


def start_form(uow: UnitOfWork, key: str) -> dict[str, Any]:
    """The start form of the latest deployed version of process `key`: its name, the start
    event's id (the translation key prefix of its fields), the fields, and who may start it."""
    row = uow.session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc()).limit(1)
    ).first()
    if row is None:
        raise NotFound(f"no deployed process with key {key!r}")
    process = (row.extensions or {}).get(key, {})
    return {
        "key": row.key, "version": row.version, "name": process.get("name") or row.name,
        "start_element": process.get("start_event"),  # read off the XML at deploy time
        "fields": list(process.get("start_form") or []),
        "properties": dict(process.get("start_properties") or {}),
        "starter_groups": list(process.get("candidate_starter_groups") or []),
    }


def providers(uow: UnitOfWork) -> list[str]:
    """Names of the service provider organisations, for choosing one on a form."""
    from .models import Organisation

    return list(uow.session.scalars(
        select(Organisation.name).where(Organisation.kind == "provider").order_by(Organisation.name)))


def open_task(uow: UnitOfWork, actor: str, task_id: str) -> dict[str, Any] | None:
    """A ready task `actor` may act on now, as `tasks_for` gives it, with its process key and
    the task element's camunda:properties of the instance's version (e.g. `submit_label`);
    None when it is not theirs to act on. Rows only: no workflow is opened."""
    task = next(iter(tasks_for(uow, actor, task_id=task_id)), None)
    if task is not None:
        key, extensions = uow.session.execute(
            select(Instance.process_key, ProcessDefinition.extensions)
            .join(ProcessDefinition, ProcessDefinition.id == Instance.definition_id)
            .where(Instance.id == task["instance_id"])).one()
        task["process_key"] = key
        task["properties"] = dict(((extensions or {}).get(task["element_id"]) or {}).get("properties") or {})
    return task


def task_fate(uow: UnitOfWork, actor: str, task_id: str) -> dict[str, Any] | None:
    """What became of a task: its state, who completed it and when (with their display name),
    its instance and the instance's status, for a user who may read the case's data (`DATA_READER`;
    None otherwise, or when there is no such task)."""
    if not ids.is_task_id(task_id):
        return None
    row = uow.session.execute(
        select(HumanTask.state, HumanTask.completed_by, HumanTask.completed_at, HumanTask.instance_id,
               HumanTask.element_id, HumanTask.name, Instance.status, Instance.process_key,
               User.display_name)
        .join(Instance, Instance.id == HumanTask.instance_id)
        .outerjoin(User, User.username == HumanTask.completed_by).where(HumanTask.id == task_id)).first()
    if row is None:
        return None
    if not DATA_READER.allows(load_actor(uow, actor), Facts(org_ids=instance_org_ids(uow.session, row.instance_id))):
        return None
    return {"state": row.state, "completed_by": row.completed_by, "completed_by_name": row.display_name,
            "completed_at": _iso(row.completed_at), "instance_id": row.instance_id, "instance_status": row.status,
            "process_key": row.process_key, "element_id": row.element_id, "name": row.name}


def instance_tasks(uow: UnitOfWork, actor: str, instance_id: int) -> list[dict[str, Any]]:
    """The ready tasks of one instance (whose turn it is), each with who holds it and what
    `actor` may do with it now: open it (`may_work`) or take it over from the colleague who
    holds it (`may_take_over`); both false while the instance is not running. No access check
    on the instance: callers have checked that `actor` may see it."""
    user = load_actor(uow, actor)
    orgs = instance_org_ids(uow.session, instance_id)
    rows = uow.session.execute(
        select(HumanTask, User.display_name, Instance.status)
        .join(Instance, Instance.id == HumanTask.instance_id)
        .outerjoin(User, User.username == HumanTask.assignee)
        .where(HumanTask.instance_id == instance_id, HumanTask.state == "ready")
        .order_by(HumanTask.created_at, HumanTask.id)).all()
    found = []
    for task, holder, status in rows:
        facts = Facts(task.assignee, frozenset(task.candidate_groups or ()), orgs)
        live = status == "running"
        found.append({
            "id": task.id, "element_id": task.element_id, "name": task.name, "due_at": _iso(task.due_at),
            "candidate_groups": sorted(set(task.candidate_groups or ())), "assignee": task.assignee,
            "assignee_name": holder or task.assignee, "may_work": live and MAY_WORK.allows(user, facts),
            "may_take_over": live and task.assignee not in (None, user.username) and MAY_TAKE_OVER.allows(user, facts),
        })
    return found
