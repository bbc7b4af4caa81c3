"""Overdue tasks: the human tasks of the area's cases open at the end of the range (created before
it and not completed by then; cancelled ones left out, their cancelling time is not recorded) whose
due time was before that instant, by step (the task's element) and by whose turn (the roles among
the task's candidate groups: official, coach, manager). Definition: ``../shared/kpis.md``. A task's
column is the provider named in its case's referral."""
from __future__ import annotations

from sqlalchemy import select, union_all

from polku.engine.models import HumanTask
from polku.engine.queries import unindexed

from ..models import Referral
from .support import Kpi, Scope, count_rows

TURNS = ("official", "coach", "manager")


def overdue_tasks(uow, scope: Scope, providers: list[int]) -> tuple[Kpi, Kpi]:
    end = scope.end_at
    task = HumanTask
    columns = (task.id, task.instance_id, task.element_id, task.name, task.candidate_groups)
    kept = (task.state != "cancelled", task.created_at < end)
    # Open at the end: not completed, or completed after it. Two reads, each a range of the index
    # (completed_at, due_at); as one OR, SQLite walked every completion instant there is (90 ms),
    # and so it did for the second unless its due time is kept out of the index's use. Read first,
    # on their own (MATERIALIZED): PostgreSQL otherwise guessed thousands and went through every
    # case of the area instead (200 ms at 100,000 cases for none found).
    due = unindexed(task.due_at)
    open_at_end = union_all(
        select(*columns).where(*kept, task.completed_at.is_(None), task.due_at.is_not(None), task.due_at < end),
        select(*columns).where(*kept, task.completed_at >= end, due.is_not(None), due < end),
    ).cte("open_at_end").prefix_with("MATERIALIZED")
    found = uow.session.execute(
        select(open_at_end, Referral.provider_organisation_id)
        .join(Referral, Referral.instance_id == open_at_end.c.instance_id)  # a job-coaching case's
        .where(scope.holds(open_at_end.c.instance_id))).all()
    found = [r for r in found if scope.provider_ok(r.provider_organisation_id)]
    steps = sorted({r.element_id for r in found})
    by_step = count_rows(((r.provider_organisation_id, r.element_id, r.id, r.instance_id) for r in found),
                         providers, steps)
    turns = [(r.provider_organisation_id, turn, r.id, r.instance_id) for r in found for turn in TURNS
             if turn in (r.candidate_groups or [])]
    by_turn = count_rows(turns, providers, TURNS, total_code=None)
    names = {r.element_id: r.name or r.element_id for r in found}
    return Kpi("overdue_steps", by_step, names=names, fixed_rows=False), Kpi("overdue_turns", by_turn)
