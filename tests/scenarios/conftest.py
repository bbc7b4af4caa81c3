"""Scenario driver for the job-coaching process: each step is a real `polku` command, with
time moved by POLKU_NOW the way the demo and the tests of the core do."""
from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from polku.domain.models import Client, Period
from polku.engine.models import Organisation
from tests.conftest import Polku, add_user, from_template, template

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
AREA, PROVIDER, OTHER_PROVIDER = "Helsingin työllisyysalue", "Valmennus Oy", "Toinen Valmennus Oy"
HETU = "131052-308T"
GOALS = [
    {"category": "job_search_skills", "description": "CV updated and sent", "verification": "Sent applications log"},
    {"category": "job_opportunities", "description": "Map ten employers", "verification": "List reviewed together"},
    {"category": "working_life_readiness", "description": "Daily routine", "verification": "Attendance record"},
]
# What a coach sets when the official asks for the goals to be revised.
REVISED_GOALS = [
    {"category": "realistic_plan", "description": "Plan studies", "verification": "Application sent"},
    {"category": "job_opportunities", "description": "Visit two employers", "verification": "Visit notes"},
]


def at(day: str, clock: str = "09:00") -> str:
    return f"{day}T{clock}:00+00:00"


class Case:
    """One client's case, driven through the CLI."""

    def __init__(self, polku: Polku, iid: int):
        self.polku, self.id = polku, iid

    def show(self) -> dict:
        return self.polku.json("show", self.id)

    @property
    def data(self) -> dict:
        return self.show()["data"]

    @property
    def status(self) -> str:
        return self.show()["status"]

    def ready(self) -> list[str]:
        return [t["element_id"] for t in self.show()["ready_tasks"]]

    def task(self, element_id: str, actor: str) -> dict:
        rows = [t for t in self.polku.json("tasks", "--as", actor, "--instance", self.id)
                if t["element_id"] == element_id]
        assert rows, f"{actor} has no {element_id} task; ready: {self.ready()}"
        return rows[0]

    def do(self, element_id: str, actor: str, now: str | None = None, **values):
        task = self.task(element_id, actor)
        return self.polku("complete", task["id"], "--as", actor, "--data", json.dumps(values), now=now)

    def refused(self, element_id: str, actor: str, now: str | None = None, **values) -> dict:
        task = self.task(element_id, actor)
        return self.polku.refused("complete", task["id"], "--as", actor, "--json", "--data", json.dumps(values),
                                  now=now).json

    # --- the usual steps, with sensible values ---------------------------------------
    def accept(self, actual_start="2026-01-12", now=None):
        # By default recorded on the start day: an actual start in the future is refused.
        self.do("accept_referral", "coach1", now=now or at(actual_start), actual_start=actual_start)

    def set_goals(self, goals=GOALS, per_week=2, now=None):
        self.do("set_goals", "coach1", now=now, goals=goals, meetings_per_week=per_week)

    def week(self, day: str, meetings=1, now=None, **flags):
        """The open week's review, recorded on `day`. Its meetings are held on `day` when that is in
        the week (and the period); a review recorded late has them on the week's last day in it."""
        values = {"meetings": [{"date": self.meeting_day(day), "kind": "individual"}] * meetings, "absence_days": 0,
                  **flags}
        self.do("weekly_review", "coach1", now=now or at(day, "15:00"), **values)

    def meeting_day(self, day: str) -> str:
        data = self.data
        start = data["actual_start"] if data["period_number"] == 1 else data["period_start"]
        return max(min(day, data["week_sunday"], data["period_end"]), data["week_monday"], start)

    def close(self, reached=2, next_steps="", now=None, **extra):
        goals = self.data.get("goals", GOALS)
        results = [{"goal": i, "reached": i < reached, "evidence": f"evidence {i}"} for i in range(len(goals))]
        values = {"goal_results": results, "outcome_areas": ["job_search_skills"], "employment_status": "employed",
                  "next_steps": next_steps, **extra}
        self.do("closure", "coach1", now=now, **values)

    def statement(self, now=None, **extra):
        values = {"statement_kind": "arvi", "statement_text": "Coaching went well.", "reviewed_with_client": True,
                  **extra}
        self.do("final_statement", "coach1", now=now, **values)


@template("coaching")
def _coaching_cast(polku: Polku) -> None:
    add_user(polku, "designer1", "designer", org=AREA)
    assert "new" in polku("deploy", PROCESSES, "--as", "designer1").stdout
    add_user(polku, "off1", "official", org=AREA)
    add_user(polku, "off2", "official", org=AREA)
    add_user(polku, "boss", "manager", org=AREA)
    add_user(polku, "coach1", "coach", org=PROVIDER, kind="provider")
    add_user(polku, "coach2", "coach", org=OTHER_PROVIDER, kind="provider")


@pytest.fixture
def coaching(polku, _database):
    """processes/ deployed; officials, a manager and a designer in one area; two providers with a coach
    each (built once per session by `_coaching_cast`; the test's database is a copy)."""
    from_template(_database, "coaching")
    return polku


def referral(**overrides) -> dict:
    values = {
        "client_hetu": HETU, "client_name": "Matti Meikäläinen", "client_language": "fi", "municipality": "Helsinki",
        "service_need": "Support to find work in logistics", "provider": PROVIDER,
        "planned_start": "2026-01-12", "planned_end": "2026-04-30", "health_consent": False,
    }
    values.update(overrides)
    return values


@pytest.fixture
def refer(coaching):
    def start(now: str | None = None, **overrides) -> Case:
        iid = coaching.json("start", "tyohonvalmennus", "--as", "off1", "--data", json.dumps(referral(**overrides)),
                            now=now)["id"]
        return Case(coaching, iid)

    return start


@pytest.fixture
def history(db_engine):
    """Earlier coaching periods of a client, written straight into the domain tables."""

    earlier = iter(range(-1, -1000, -1))  # instance ids of cases older than this database

    def add(start: str, end: str, hetu: str = HETU, status: str = "ended"):
        with Session(db_engine) as session:
            client = session.scalar(select(Client).where(Client.identity_code == hetu))
            if client is None:
                from polku.engine.clock import parse_instant
                from tests.conftest import T0

                # The name the referrals use: another name would be a name conflict (domain.clientname).
                client = Client(identity_code=hetu, temporary_code=False, name="Matti Meikäläinen", language="fi",
                                municipality="Helsinki", created_at=parse_instant(T0))
                session.add(client)
                session.flush()
            org = session.scalar(select(Organisation).where(Organisation.name == PROVIDER))
            session.add(Period(client_id=client.id, provider_organisation_id=org.id, instance_id=next(earlier),
                               number=1, planned_start=date.fromisoformat(start), planned_end=date.fromisoformat(end),
                               actual_start=date.fromisoformat(start), actual_end=date.fromisoformat(end),
                               status=status, created_at=client.created_at))
            session.commit()

    return add


def rows(db_engine, model, **where) -> list:
    """Domain records of a model, filtered by column values, in insertion order."""
    with Session(db_engine) as session:
        query = select(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return session.scalars(query.order_by(model.id)).all()


def days(d: str, n: int) -> str:
    return (date.fromisoformat(d) + timedelta(days=n)).isoformat()
