"""The real half of `polku seed`: template cases run through the engine's own commands.

Each path takes one client's job-coaching case from the referral as far as the path goes, step by
step through `instances.start`, `tasks.complete` and `instances.terminate`, each step in its own
unit of work on a clock set to the day the step happens. Everything they write (state, tasks,
timers, domain rows, audit rows) is what the app writes for a user. polku.seed_clone copies them.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.engine import Engine

from polku.domain.identity import check_character
from polku.engine import instances, tasks
from polku.engine.clock import FixedClock
from polku.engine.db import UnitOfWork
from polku.engine.models import HumanTask
from polku.engine.runtime import Runtime

PROCESS = "tyohonvalmennus"
OFFICIAL, MANAGER = "virkailija1", "esihenkilo"
FIRST = ["Aino", "Eero", "Helmi", "Ilkka", "Johanna", "Kalle", "Leena", "Mikko", "Noora", "Oskari", "Pirjo",
         "Rasmus", "Saara", "Tapio", "Ulla", "Veikko", "Åsa", "Björn", "Elina", "Juha", "Katja", "Lauri"]
LAST = ["Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Hämäläinen", "Laine", "Heikkinen", "Koskinen",
        "Järvinen", "Lehtonen", "Lindqvist", "Saarinen", "Salminen", "Holmström", "Rantanen", "Väisänen"]
MUNICIPALITIES = ["Helsinki", "Espoo", "Vantaa"]
NEEDS = ["Support to find work in logistics", "Career change after a long absence", "First job after studies",
         "Return to work after rehabilitation", "Job search in retail and services"]
GOALS = [
    {"category": "job_search_skills", "description": "CV updated and sent", "verification": "Sent applications log"},
    {"category": "job_opportunities", "description": "Map ten employers", "verification": "List reviewed together"},
    {"category": "working_life_readiness", "description": "Daily routine", "verification": "Attendance record"},
]


def identity_code(n: int) -> str:
    """The n-th synthetic identity code (all valid, all distinct for n < 12.5 million): a birth day
    in 1960-1998, an individual number 002-899 (R13's rules; domain.identity computes the check)."""
    born = date(1960, 1, 1) + timedelta(days=n % 14000)
    ddmmyy, nnn = born.strftime("%d%m%y"), f"{2 + n // 14000:03d}"
    return f"{ddmmyy}-{nnn}{check_character(ddmmyy, nnn)}"


def person(n: int) -> tuple[str, str]:
    """(name, identity code) of the n-th synthetic client."""
    return f"{FIRST[n % len(FIRST)]} {LAST[(n // len(FIRST)) % len(LAST)]}", identity_code(n)


@dataclass
class Path:
    name: str
    weight: int  # share of the seeded cases, in parts of the sum of all weights
    running: bool  # running paths are cloned near today, finished ones spread over two years
    run: Callable[[Driver, date], None]
    weeks_before: int  # the path's first Monday, in weeks before this week's Monday


class Driver:
    """One template case: the steps of its path, through the engine's commands."""

    def __init__(self, engine: Engine, runtime: Runtime, coach: str, provider: str, who: tuple[int, str, str]):
        self.engine, self.runtime, self.coach, self.provider = engine, runtime, coach, provider
        self.n, self.name, self.hetu = who
        self.id = 0

    def uow(self, day: date, hour: int) -> UnitOfWork:
        at = datetime.combine(day, time(hour), tzinfo=timezone.utc)
        return UnitOfWork(self.engine, FixedClock(at), origin="cli")

    def refer(self, start: date, weeks: int = 12) -> None:
        language = "sv" if self.n % 9 == 0 else "fi"
        data = {"client_hetu": self.hetu, "client_name": self.name, "client_language": language,
                "municipality": MUNICIPALITIES[self.n % 3], "service_need": NEEDS[self.n % len(NEEDS)],
                "provider": self.provider, "planned_start": start.isoformat(),
                "planned_end": (start + timedelta(weeks=weeks, days=-3)).isoformat(), "health_consent": False}
        with self.uow(start - timedelta(days=7), 9) as uow:
            self.id = instances.start(uow, self.runtime, OFFICIAL, PROCESS, data).id
            uow.commit()

    def do(self, element: str, actor: str, day: date, hour: int = 10, **values) -> None:
        with self.uow(day, hour) as uow:
            task_id = uow.session.scalars(select(HumanTask.id).where(
                HumanTask.instance_id == self.id, HumanTask.element_id == element,
                HumanTask.state == "ready")).first()
            if task_id is None:
                raise RuntimeError(f"seed: case {self.id} has no ready {element} task")
            tasks.complete(uow, self.runtime, actor, task_id, values)
            uow.commit()

    def accept(self, monday: date) -> None:
        self.do("accept_referral", self.coach, monday, 9, actual_start=monday.isoformat())

    def goals(self, monday: date) -> None:
        self.do("set_goals", self.coach, monday, 11, goals=GOALS, meetings_per_week=1 + self.n % 2)

    def weeks(self, monday: date, count: int, end: bool = False) -> None:
        for k in range(count):
            friday = monday + timedelta(weeks=k, days=4)
            flags = {"end_period": True} if end and k == count - 1 else {}
            self.do("weekly_review", self.coach, friday, 15, absence_days=0,
                    meetings=[{"date": friday.isoformat(), "kind": "individual"}], **flags)

    def close(self, day: date) -> None:
        reached = 1 + self.n % 3
        results = [{"goal": i, "reached": i < reached, "evidence": f"evidence {i}"} for i in range(len(GOALS))]
        self.do("closure", self.coach, day, 10, goal_results=results, outcome_areas=["job_search_skills"],
                employment_status=["employed", "jobseeker", "education"][self.n % 3],
                next_steps="" if reached >= 2 else "Apply to a vocational course")
        self.do("final_statement", self.coach, day, 14, statement_kind="arvi", statement_text="Coaching went well.",
                reviewed_with_client=True)

    def terminate(self, day: date) -> None:
        with self.uow(day, 12) as uow:
            instances.terminate(uow, self.runtime, MANAGER, self.id, reason="Client moved away (seed)")
            uow.commit()


def _referred(d: Driver, m: date) -> None:
    d.refer(m)


def _goals(d: Driver, m: date) -> None:
    d.refer(m)
    d.accept(m)


def _coaching(d: Driver, m: date) -> None:
    _goals(d, m)
    d.goals(m)
    d.weeks(m, 2)


def _closure(d: Driver, m: date) -> None:
    _goals(d, m)
    d.goals(m)
    d.weeks(m, 3, end=True)


def _review(d: Driver, m: date) -> None:
    _closure(d, m)
    d.close(m + timedelta(days=19))


def _completed(d: Driver, m: date) -> None:
    _review(d, m)
    d.do("review_end", OFFICIAL, m + timedelta(days=22), feedback_discussion="none")


def _refused(d: Driver, m: date) -> None:
    d.refer(m, weeks=1)  # R1: shorter than two weeks


def _terminated(d: Driver, m: date) -> None:
    _goals(d, m)
    d.goals(m)
    d.terminate(m + timedelta(days=2))


# Weights in per cent. Finished cases are spread over two years and a case runs three to four
# months, so about a fifth of the cases are running at a time: 18 % here, most of them in their
# weekly reviews; most finished ones completed.
PATHS = [
    Path("referred", 2, True, _referred, -1),
    Path("goals", 1, True, _goals, 0),
    Path("coaching", 10, True, _coaching, 2),
    Path("closure", 2, True, _closure, 3),
    Path("review", 3, True, _review, 4),
    Path("completed", 66, False, _completed, 5),
    Path("refused", 8, False, _refused, -1),
    Path("terminated", 8, False, _terminated, 1),
]


def run_path(path: Path, driver: Driver, today: date) -> int:
    """Runs one template case of `path`; returns its instance id."""
    this_monday = today - timedelta(days=today.weekday())
    path.run(driver, this_monday - timedelta(weeks=path.weeks_before))
    return driver.id
