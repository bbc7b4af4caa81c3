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
    tasks = (select(HumanTask.id, HumanTask.instance_id, HumanTask.element_id, HumanTask.name,
                    HumanTask.candidate_groups, Referral.provider_organisation_id)
             .join(Referral, Referral.instance_id == HumanTask.instance_id)  # a job-coaching case's
             .where(scope.holds(HumanTask.instance_id), HumanTask.state != "cancelled", HumanTask.created_at < end))
    # Open at the end: not completed, or completed after it. Two reads, each a range of the index
    # (completed_at, due_at); as one OR, SQLite walked every completion instant there is (90 ms),
    # and so it did for the second unless its due time is kept out of the index's use.
    due = unindexed(HumanTask.due_at)
    found = uow.session.execute(union_all(
        tasks.where(HumanTask.completed_at.is_(None), HumanTask.due_at.is_not(None), HumanTask.due_at < end),
        tasks.where(HumanTask.completed_at >= end, due.is_not(None), due < end))).all()
    found = [r for r in found if scope.provider_ok(r.provider_organisation_id)]
    steps = sorted({r.element_id for r in found})
    by_step = count_rows(((r.provider_organisation_id, r.element_id, r.id, r.instance_id) for r in found),
                         providers, steps)
    turns = [(r.provider_organisation_id, turn, r.id, r.instance_id) for r in found for turn in TURNS
             if turn in (r.candidate_groups or [])]
    by_turn = count_rows(turns, providers, TURNS, total_code=None)
    names = {r.element_id: r.name or r.element_id for r in found}
    return Kpi("overdue_steps", by_step, names=names, fixed_rows=False), Kpi("overdue_turns", by_turn)
