"""Where cases stand (the figures of the heat map, as tables). Definition: ``../shared/kpis.md``.

- Waiting: the running cases (instance status ``running``) by the BPMN element where they wait now:
  their open (``ready``) human tasks and their waiting timers; a case waiting at two elements counts
  at both. Now, not at the range's end: the rows of what is open are all there is.
- Time in step: for the user tasks completed in the range, the median time from the task's creation
  to its completion, in days, by element.
A case's column is the provider named in its referral.
"""
from __future__ import annotations

from sqlalchemy import select

from polku.engine.models import HumanTask, Instance, Timer

from ..models import Referral
from .support import Kpi, Scope, count_rows, grouped, median, stat_row

DAY_SECONDS = 86400.0


def _provider_of(uow, scope: Scope, instance_ids: set[int]) -> dict[int, int | None]:
    if not instance_ids:
        return {}
    return dict(uow.session.execute(select(Referral.instance_id, Referral.provider_organisation_id)
                                    .where(Referral.instance_id.in_(sorted(instance_ids)))).all())


def waiting(uow, scope: Scope, providers: list[int]) -> Kpi:
    running = select(Instance.id).where(Instance.id.in_(scope.cases()), Instance.status == "running")
    tasks = uow.session.execute(select(HumanTask.instance_id, HumanTask.element_id, HumanTask.name)
                                .where(HumanTask.instance_id.in_(running), HumanTask.state == "ready")).all()
    timers = uow.session.execute(select(Timer.instance_id, Timer.element_id)
                                 .where(Timer.instance_id.in_(running))).all()
    at = [(r.instance_id, r.element_id) for r in tasks] + [(r.instance_id, r.element_id) for r in timers]
    provider = _provider_of(uow, scope, {i for i, _e in at})
    items = [(provider.get(i), element, i) for i, element in at if scope.provider_ok(provider.get(i))]
    names = {r.element_id: r.name or r.element_id for r in tasks}
    return Kpi("waiting", count_rows(items, providers, sorted({e for _p, e, _i in items})), names=names)


def time_in_step(uow, scope: Scope, providers: list[int]) -> Kpi:
    done = uow.session.execute(
        select(HumanTask.instance_id, HumanTask.element_id, HumanTask.name, HumanTask.created_at,
               HumanTask.completed_at)
        .where(HumanTask.instance_id.in_(scope.cases()), HumanTask.state == "completed",
               HumanTask.completed_at >= scope.start_at, HumanTask.completed_at < scope.end_at)).all()
    provider = _provider_of(uow, scope, {r.instance_id for r in done})
    done = [r for r in done if scope.provider_ok(provider.get(r.instance_id))]
    rows = []
    for element in sorted({r.element_id for r in done}):
        groups = grouped(((provider.get(r.instance_id), (r.completed_at - r.created_at).total_seconds() / DAY_SECONDS)
                          for r in done if r.element_id == element), providers)
        rows.append(stat_row(element, "days", groups, median))
    return Kpi("time_in_step", rows, names={r.element_id: r.name or r.element_id for r in done})
