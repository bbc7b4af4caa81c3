"""What a round of the worker's deadline watch costs, against reading the same tasks bare, side by side in one run.

The database: processes/ deployed; a few real coaching cases started and driven through the engine's
commands (waiting at accept_referral, set_goals, weekly_review, and one whose late start notice gave
the manager a follow-up task); then copies of those cases in bulk (instance, ready tasks, their
candidate groups and organisations) with each copy's dates moved a whole number of local days, until
there are --tasks ready tasks whose due days spread evenly from two weeks before the round's day to
ten weeks after it. Copies share their template's workflow state and have no client or period rows:
the watch reads neither.

Each repeat, at one fixed instant (Wednesday 4 March 2026, 11.00 in Helsinki):
(a) first round: the job `polku worker --once` runs (wiring.periodic_jobs, in its own unit of work
    as engine.worker.worker_round runs it), raising the reminders and escalations now due;
(b) quiet round right after: the same job, nothing left to raise;
(c) bare select: the ready tasks with a due date (id, instance, groups, due), fetched in a unit of
    work of the same kind: the least a round could do.
Between repeats the deadline notices are deleted (their audit rows stay: the audit is append-only).
The job object lives across repeats, as in a running worker (its limits cache is warm), and one
unmeasured repeat comes first.

Usage: python bench/deadline_watch.py [--tasks N] [--repeats R] [--database-url URL]
SQLite in a temporary directory always; --database-url adds a database (PostgreSQL) that must be
empty: the bench fills it and leaves it behind.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import delete, func, insert, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from polku.domain.deadline_watch import DUE_SOON, OVERDUE  # noqa: E402
from polku.domain.deadlines import SERVICE_TZ  # noqa: E402
from polku.domain.models import Notice  # noqa: E402
from polku.engine import instances, tasks, users  # noqa: E402
from polku.engine.bundle import read_bundle  # noqa: E402
from polku.engine.clock import FixedClock  # noqa: E402
from polku.engine.db import UnitOfWork, make_engine  # noqa: E402
from polku.engine.deploy import deploy  # noqa: E402
from polku.engine.models import HumanTask, Instance, InstanceOrganisation, TaskCandidateGroup, User  # noqa: E402
from polku.engine.worker import fire_due_timers  # noqa: E402
from polku.schema import upgrade  # noqa: E402
from polku.wiring import build_runtime, periodic_jobs, processes_dir  # noqa: E402

AREA, PROVIDER = "Helsingin työllisyysalue", "Valmennus Oy"
ROUND_AT = datetime(2026, 3, 4, 9, 0, tzinfo=timezone.utc)
SPREAD = (-14, 70)  # due days of the copies, in days from the round's day
GOALS = [{"category": "job_search_skills", "description": "CV updated", "verification": "Applications log"},
         {"category": "job_opportunities", "description": "Map employers", "verification": "List reviewed"}]


def at(day: str, hour: int = 9) -> FixedClock:
    return FixedClock(datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00"))


def hetu(i: int) -> str:
    """A valid Finnish personal identity code, different for each i (R3 refuses a second case of one client)."""
    birth, serial = f"0101{80 + i % 20:02d}", f"{100 + i:03d}"
    return f"{birth}-{serial}{'0123456789ABCDEFHJKLMNPRSTUVWXY'[int(birth + serial) % 31]}"


class Database:
    def __init__(self, url: str):
        self.engine = make_engine(url)
        upgrade(self.engine)
        self.runtime = build_runtime()
        with UnitOfWork(self.engine, at("2026-01-01")) as uow:
            if uow.session.scalar(select(func.count()).select_from(User).where(User.username != "system")):
                sys.exit(f"{url}: the bench needs an empty database")

    def seed(self, n_tasks: int) -> None:
        self._real_cases()
        self._copies(n_tasks)

    def _do(self, clock, fn, *args):
        with UnitOfWork(self.engine, clock) as uow:
            result = fn(uow, self.runtime, *args)
            uow.commit()
        return result

    def _ready(self, iid: int, element_id: str) -> str:
        with UnitOfWork(self.engine, at("2026-01-01"), write=False) as uow:
            return uow.session.scalar(select(HumanTask.id).where(
                HumanTask.instance_id == iid, HumanTask.element_id == element_id, HumanTask.state == "ready"))

    def _real_cases(self) -> None:
        with UnitOfWork(self.engine, at("2026-01-01")) as uow:
            for name, role, org, kind in (("designer1", "designer", AREA, "area"), ("off1", "official", AREA, "area"),
                                          ("boss", "manager", AREA, "area"), ("coach1", "coach", PROVIDER, "provider")):
                users.add_user(uow, "system", name, [role], org, kind)
            deploy(uow, self.runtime, "designer1", read_bundle([processes_dir()]))
            uow.commit()

        def refer(i: int) -> int:
            data = {"client_hetu": hetu(i), "client_name": f"Asiakas {i}", "client_language": "fi",
                    "municipality": "Helsinki", "service_need": "Support to find work", "provider": PROVIDER,
                    "planned_start": "2026-01-12", "planned_end": "2026-04-30", "health_consent": False}
            return self._do(at("2026-01-05"), instances.start, "off1", "tyohonvalmennus", data).id

        refer(0)  # waits at accept_referral ...
        fire_due_timers(self.engine, self.runtime, at("2026-01-14"))  # ... and late: the manager's follow-up
        refer(1)  # waits at accept_referral, due Tue 13 January
        accepted = refer(2)  # waits at set_goals
        self._do(at("2026-01-12"), tasks.complete, "coach1", self._ready(accepted, "accept_referral"),
                 {"actual_start": "2026-01-12"})
        reviewing = refer(3)  # waits at weekly_review
        self._do(at("2026-01-12"), tasks.complete, "coach1", self._ready(reviewing, "accept_referral"),
                 {"actual_start": "2026-01-12"})
        self._do(at("2026-01-12", 11), tasks.complete, "coach1", self._ready(reviewing, "set_goals"),
                 {"goals": GOALS, "meetings_per_week": 2})

    def _copies(self, n_tasks: int) -> None:
        """Copies of the running cases until there are n_tasks ready tasks with a due date, each copy
        moved so that its earliest due day falls on a random day of SPREAD around the round's day."""
        rng = random.Random(8)
        today = ROUND_AT.astimezone(SERVICE_TZ).date()
        with UnitOfWork(self.engine, at("2026-01-01")) as uow:
            s = uow.session
            templates = []
            for inst in s.execute(select(Instance.__table__).where(Instance.status == "running")).mappings():
                ready = s.execute(select(HumanTask.__table__).where(
                    HumanTask.instance_id == inst["id"], HumanTask.state == "ready",
                    HumanTask.due_at.is_not(None))).mappings().all()
                orgs = s.scalars(select(InstanceOrganisation.organisation_id).where(
                    InstanceOrganisation.instance_id == inst["id"])).all()
                templates.append((dict(inst), [dict(t) for t in ready], orgs))
            have = sum(len(t[1]) for t in templates)
            next_id = s.scalar(select(func.max(Instance.id))) + 1
            rows: dict = {Instance: [], HumanTask: [], TaskCandidateGroup: [], InstanceOrganisation: []}
            while have < n_tasks:
                inst, ready, orgs = templates[next_id % len(templates)]
                first_due = min(_local_day(t["due_at"]) for t in ready)
                days = (today - first_due).days + rng.randint(*SPREAD)
                rows[Instance].append({**inst, "id": next_id, "started_at": _move(inst["started_at"], days),
                                       "updated_at": _move(inst["updated_at"], days)})
                rows[InstanceOrganisation] += [{"instance_id": next_id, "organisation_id": o} for o in orgs]
                for task in ready[:n_tasks - have]:
                    task_id = str(uuid.uuid4())
                    rows[HumanTask].append({**task, "id": task_id, "instance_id": next_id,
                                            "due_at": _move(task["due_at"], days),
                                            "created_at": _move(task["created_at"], days)})
                    rows[TaskCandidateGroup] += [{"task_id": task_id, "group_name": g}
                                                 for g in task["candidate_groups"]]
                    have += 1
                next_id += 1
            for model, values in rows.items():
                for i in range(0, len(values), 1000):
                    s.execute(insert(model), values[i:i + 1000])
            uow.commit()

    def reset(self) -> None:
        with UnitOfWork(self.engine, at("2026-01-01")) as uow:
            uow.session.execute(delete(Notice).where(Notice.task_id.is_not(None), Notice.kind.in_((DUE_SOON, OVERDUE))))
            uow.commit()

    def notices(self) -> dict[str, int]:
        with UnitOfWork(self.engine, at("2026-01-01"), write=False) as uow:
            return dict(uow.session.execute(select(Notice.kind, func.count()).where(Notice.task_id.is_not(None))
                                            .group_by(Notice.kind)).all())

    def count_tasks(self) -> int:
        with UnitOfWork(self.engine, at("2026-01-01"), write=False) as uow:
            return uow.session.scalar(select(func.count()).select_from(HumanTask).where(
                HumanTask.state == "ready", HumanTask.due_at.is_not(None)))


def _local_day(instant: datetime) -> date:
    return instant.astimezone(SERVICE_TZ).date()


def _move(instant: datetime | None, days: int) -> datetime | None:
    """The same local time `days` days later: a due time stays at the end of its day across DST."""
    if instant is None:
        return None
    return (instant.astimezone(SERVICE_TZ) + timedelta(days=days)).astimezone(timezone.utc)


def timed_job(db: Database, job) -> tuple[float, int]:
    """One periodic job the way engine.worker.worker_round runs it: its own unit of work, committed."""
    t0 = time.perf_counter()
    with UnitOfWork(db.engine, FixedClock(ROUND_AT)) as uow:
        done = job(uow, db.runtime)
        uow.commit()
    return time.perf_counter() - t0, done


def bare_select(uow, _runtime) -> int:
    return len(uow.session.execute(
        select(HumanTask.id, HumanTask.instance_id, HumanTask.candidate_groups, HumanTask.due_at)
        .where(HumanTask.state == "ready", HumanTask.due_at.is_not(None))).all())


def repeat(db: Database, watch) -> tuple[float, float, float, int, int]:
    db.reset()
    bare, rows = timed_job(db, bare_select)
    first, raised = timed_job(db, watch)
    quiet, again = timed_job(db, watch)
    assert raised > 0 and again == 0, (raised, again)
    return first, quiet, bare, raised, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=5000, help="ready human tasks with a due date")
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--database-url", help="a further, empty database to measure on (PostgreSQL)")
    args = ap.parse_args()
    targets = {"sqlite": f"sqlite:///{tempfile.mkdtemp(prefix='polku-bench-')}/bench.db"}
    if args.database_url:
        targets[args.database_url.split(":", 1)[0].split("+")[0]] = args.database_url
    print(f"{args.tasks} ready tasks due from {SPREAD[0]} to +{SPREAD[1]} days around the round "
          f"({ROUND_AT.astimezone(SERVICE_TZ):%a %d %b %Y %H.%M} Helsinki); medians of {args.repeats} repeats")
    print(f"{'database':<12}{'(a) first ms':>14}{'(b) quiet ms':>14}{'(c) bare ms':>13}{'b÷c':>7}{'a÷c':>8}"
          f"{'raised':>8}{'rows (c)':>10}")
    for name, url in targets.items():
        db = Database(url)
        db.seed(args.tasks)
        assert db.count_tasks() == args.tasks
        watch = periodic_jobs()["deadline_watch"]
        repeat(db, watch)  # warm: the limits cache, the database's pages, SQLAlchemy's statement cache
        runs = [repeat(db, watch) for _ in range(args.repeats)]
        first, quiet, bare = (statistics.median(r[i] for r in runs) for i in range(3))
        raised, rows, kinds = runs[-1][3], runs[-1][4], db.notices()
        assert raised == kinds[DUE_SOON] + kinds[OVERDUE], kinds
        print(f"{name:<12}{first * 1e3:>14.2f}{quiet * 1e3:>14.2f}{bare * 1e3:>13.2f}{quiet / bare:>7.2f}"
              f"{first / bare:>8.1f}{raised:>8}{rows:>10}")
        print(f"{'':<12}(a) raised {kinds[DUE_SOON]} reminders ({DUE_SOON}) and {kinds[OVERDUE]} escalations "
              f"({OVERDUE})")
        db.engine.dispose()


if __name__ == "__main__":
    main()
