"""Shared fixtures: a fresh database per test (SQLite by default, PostgreSQL when
POLKU_TEST_DATABASE_URL is set), the `polku` CLI as users run it, and small factories."""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from polku.engine.clock import FixedClock, parse_instant
from polku.engine.db import UnitOfWork, make_engine
from polku.engine.models import Base
from polku.schema import upgrade
from polku.cli import main
from polku.wiring import build_runtime

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE = FIXTURES / "bpmn" / "sample"
BAD = FIXTURES / "bpmn" / "bad"
PG_URL = os.environ.get("POLKU_TEST_DATABASE_URL")
T0 = "2026-01-05T09:00:00+00:00"  # a Monday


def pytest_report_header(config):
    return f"polku test database: {PG_URL or 'SQLite (per-test file)'}"


@pytest.fixture(scope="session")
def _template(tmp_path_factory):
    """The schema, made once per session by Alembic (the same path `polku init-db` takes)."""
    if PG_URL:
        engine = make_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        upgrade(engine)
        engine.dispose()
        return PG_URL
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def database_url(_template, tmp_path):
    if PG_URL:
        engine = make_engine(PG_URL)
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return PG_URL
    path = tmp_path / "polku.db"
    shutil.copy(_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def db_engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def runtime():
    return build_runtime()


@pytest.fixture
def uow_factory(db_engine, runtime):
    """Units of work for engine-level tests, on a clock the test controls."""

    def make(now: str = T0, write: bool = True) -> UnitOfWork:
        return UnitOfWork(db_engine, FixedClock(parse_instant(now)), write=write)

    make.runtime = runtime  # what commands that run workflows take beside the unit of work
    return make


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self):
        return json.loads(self.stdout)


class Polku:
    """Runs `polku ...` in-process with its own environment, like a user's shell would."""

    def __init__(self, database_url: str):
        self.database_url = database_url
        self.now = T0

    def __call__(self, *args, now: str | None = None, ok: bool = True) -> Result:
        env = {"POLKU_DATABASE_URL": self.database_url, "POLKU_NOW": now or self.now}
        res = CliRunner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)
        result = Result(res.exit_code, res.stdout, res.stderr)
        if ok and res.exit_code != 0:
            raise AssertionError(f"polku {' '.join(map(str, args))} failed ({res.exit_code}): {res.stderr}{res.stdout}")
        return result

    def json(self, *args, **kwargs):
        return self(*args, "--json", **kwargs).json

    def refused(self, *args, now: str | None = None) -> Result:
        result = self(*args, now=now, ok=False)
        assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
        return result


@pytest.fixture
def polku(database_url):
    return Polku(database_url)


@pytest.fixture
def make_user(polku):
    def make(username, *roles, org="Area 1", kind="area", name=None):
        args = ["user", "add", username, *[x for r in roles for x in ("--role", r)], "--org", org, "--org-kind", kind]
        if name:
            args += ["--name", name]
        polku(*args)
        return username

    return make


@pytest.fixture
def sample(polku, make_user):
    """The sample process deployed and the usual cast: officials, a coach, a manager."""
    make_user("designer1", "designer")
    polku("deploy", SAMPLE, "--as", "designer1")
    make_user("off1", "official")
    make_user("off2", "official")
    make_user("coach1", "coach")
    make_user("boss", "manager")
    make_user("outsider", "official", org="Area 2")
    return polku


def task_of(polku, actor, element_id=None, instance_id=None):
    args = ["tasks", "--as", actor] + (["--instance", instance_id] if instance_id else [])
    rows = polku.json(*args)
    rows = [r for r in rows if element_id is None or r["element_id"] == element_id]
    assert rows, f"no {element_id} task for {actor}"
    return rows[0]


REVIEW_OK = {"decision": "approve", "amount": 10, "start_date": "2026-01-10"}
