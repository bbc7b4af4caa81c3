"""The inbox query: the ready tasks a user may act on, filtered, sorted and paged in SQL.

Its cost must not grow with the number of cases (issue 10: p95 <= 50 ms at 100,000 cases). A user
may work on a small part of the ready tasks (an area's are 1/8 of them, a provider's 1/300), so
nothing here reads the others:
- the candidates are the user's own assigned tasks and the tasks waiting in their organisation's
  queues for their roles (engine.work_queue): read first, each joined to its task by key, then
  tested against the scope's access rule (engine.access, unchanged: the queues only narrow the
  candidates) and the filters, and sorted. Testing every ready task in the sort's index order
  (``ix_human_tasks_inbox_due``: ``state, due_at IS NULL, due_at, created_at, id``) and stopping
  after the page read all of them when the user's were few: 200 ms at 100,000 cases spread over
  eight areas;
- the count stops at ``queries.COUNT_CAP`` (or one past the page asked for): a queue longer than
  that says "more than", which is all anyone needs to know of it. Such a queue's default page is
  read by walking the ready tasks in due order (the index above) and stopping after the page: the
  user's tasks are then a good part of them (every case of an area on two providers: 26,000 of a
  coach's), and sorting them all took 300 ms;
- the step filter's options come from the distinct steps that have ready tasks, found by skipping
  along ``ix_human_tasks_state_element`` (one probe per step, however many tasks each has), kept
  when the step's candidate groups include one of the user's roles or a task of it is theirs.
  A step of the user's groups whose tasks are all in other organisations is offered too; choosing
  it shows an empty list, never another organisation's task.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, SQLColumnExpression, select, union_all
from sqlalchemy.orm import defer

from . import audit, queries, work_queue
from .access import ASSIGNEE, MAY_WORK, OPEN_TO_CANDIDATE
from .db import UnitOfWork
from .models import HumanTask, Instance
from .queries import count_upto, distinct_values, task_dict
from .users import Actor, load_actor

SORTS: dict[str, Callable[[], tuple[SQLColumnExpression[Any], ...]]] = {
    "due": lambda: (HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at),
    "priority": lambda: (HumanTask.priority.is_(None), HumanTask.priority.desc(), HumanTask.created_at),
    "created": lambda: (HumanTask.created_at,),
}
# Each scope's rule, and where its candidates come from (a superset of what the rule allows).
ALL_SOURCES = (work_queue.assigned, work_queue.queued)
SCOPES = {"mine": (ASSIGNEE, (work_queue.assigned,)), "groups": (OPEN_TO_CANDIDATE, (work_queue.queued,))}


def inbox(uow: UnitOfWork, actor: str, *, scope: str = "all", step: str | None = None, overdue: bool = False,
          sort: str = "due", page: int = 1, per_page: int = 20) -> dict[str, Any]:
    """scope: "mine" (assigned to me), "groups" (unclaimed in my groups and organisation), or both.
    ``total`` counts at most ``queries.COUNT_CAP`` rows (``more``: there are more than that)."""
    user = load_actor(uow, actor)
    page = max(page, 1)
    rule, sources = SCOPES.get(scope, (MAY_WORK, ALL_SOURCES))
    found = work_queue.candidates(*(source(user) for source in sources))
    where = [HumanTask.state == "ready", Instance.status == "running", rule.where(user)]
    if step:
        where.append(HumanTask.element_id == step)
    if overdue:
        where.append(HumanTask.due_at < uow.now)

    def read(*columns: Any, walk: bool = False) -> Select[Any]:
        start = select(*columns).select_from(HumanTask) if walk else (
            select(*columns).select_from(found).join(HumanTask, HumanTask.id == found.c.task_id))
        return start.join(Instance, Instance.id == HumanTask.instance_id).where(*where)

    total, more = count_upto(uow.session, read(HumanTask.id), max(queries.COUNT_CAP, page * per_page))
    # Past the cap the user's tasks are many, a good part of the ready ones (a provider with every
    # case of an area): walking the ready tasks in due order finds a page sooner than sorting them all.
    base = read(HumanTask, Instance.title, Instance.process_key, walk=more and sort not in ("priority", "created"))
    rows = uow.session.execute(
        base.order_by(*SORTS.get(sort, SORTS["due"])(), HumanTask.id).limit(per_page).offset((page - 1) * per_page)
        # The list shows no form: each row's form definition (JSON, the widest column) stays
        # in the database instead of being sent and decoded 20 times a page (issue 12).
        .options(defer(HumanTask.fields, raiseload=True))
    ).all()
    items = []
    for task, title, process_key in rows:
        item = task_dict(task, set(task.candidate_groups or ()), fields=False)
        item.update(title=title, process_key=process_key)
        items.append(item)
    if items:  # the rows name their cases (a title is the client's name): a read of each, logged
        shown = list(dict.fromkeys(i["instance_id"] for i in items))
        audit.record(uow, user, "list_tasks", details={"instances": shown})
    return {"items": items, "total": total, "more": more, "page": page,
            "per_page": per_page, "steps": ready_steps(uow, user, scope)}


# SQLite refuses a compound SELECT of more than 500 parts; a step is one part.
PROBES_PER_STATEMENT = 400


def ready_steps(uow: UnitOfWork, user: Actor, scope: str = "all") -> list[dict[str, Any]]:
    """The steps worth offering in the step filter (see the module docstring), by element id."""
    mine = set() if scope == "groups" else set(distinct_values(
        uow.session, HumanTask.element_id, HumanTask.assignee == user.username, HumanTask.state == "ready"))
    grouped = scope != "mine" and user.organisation_id is not None
    element_ids = distinct_values(uow.session, HumanTask.element_id, HumanTask.state == "ready")
    if not element_ids:
        return []
    # One ready task of each step tells its name, groups and process: one probe a step, all in one
    # statement (a statement a step was most of the inbox's statements, issue 12). A step whose
    # tasks were all handled since the probe above has no row and is not offered.
    firsts = [select(HumanTask.element_id, HumanTask.name, HumanTask.candidate_groups, Instance.process_key)
              .join(Instance, Instance.id == HumanTask.instance_id)
              .where(HumanTask.state == "ready", HumanTask.element_id == element_id).limit(1).subquery()
              for element_id in element_ids]
    probes = [select(*first.c) for first in firsts]
    found: dict[str, Any] = {}
    for at in range(0, len(probes), PROBES_PER_STATEMENT):
        part = probes[at:at + PROBES_PER_STATEMENT]
        rows = uow.session.execute(part[0] if len(part) == 1 else union_all(*part))
        found.update({row.element_id: row for row in rows})
    steps = []
    for element_id in element_ids:
        row = found.get(element_id)
        if row is None:
            continue
        if element_id in mine or (grouped and user.roles & set(row.candidate_groups or ())):
            steps.append({"element_id": element_id, "name": row.name, "process_key": row.process_key})
    return steps
