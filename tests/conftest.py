"""Shared fixtures: a fresh database per test (SQLite by default, PostgreSQL when
POLKU_TEST_DATABASE_URL is set), the `polku` CLI as users run it, and small factories."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from polku.cli import Env, main
from polku.engine import accounts
from polku.engine.clock import FixedClock, parse_instant
from polku.engine.db import UnitOfWork, make_engine
from polku.wiring import build_runtime
from tests.databases import SCHEMA, PostgresTemplates, SqliteTemplates, Templates

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE = FIXTURES / "bpmn" / "sample"
BAD = FIXTURES / "bpmn" / "bad"
PG_URL = os.environ.get("POLKU_TEST_DATABASE_URL")
T0 = "2026-01-05T09:00:00+00:00"  # a Monday
# One cheap iteration instead of scrypt: the suite hashes a password in most web tests and verifies
# one on every login. Production keeps scrypt (tests/unit/test_password_hashing.py checks it).
TEST_PASSWORD_METHOD = "pbkdf2:sha256:1"
accounts.PASSWORD_METHOD = TEST_PASSWORD_METHOD


def pytest_addoption(parser):
    # tests/faults (issue 12): the fault tests' full sizes. Declared here rather than in
    # tests/faults/conftest.py, which pytest reads too late for `pytest tests --long`.
    parser.addoption("--long", action="store_true", default=False,
                     help="tests/faults: the full sizes (500 kills per database, 50 race rounds, a 20 s outage)")


def pytest_report_header(config):
    return f"polku test database: {PG_URL or 'SQLite (per-test file)'}"


def pytest_collection_modifyitems(config, items):
    """.ci/run runs the suite twice, on SQLite and on PostgreSQL. A test about one pass's database
    runs in that pass only, and is deselected (not skipped) in the other: `postgres_only` ones
    (PostgreSQL's own connections) in the SQLite pass, `own_postgres` ones (a cluster the test
    starts itself, whichever database the suite uses) in the PostgreSQL pass."""
    other = "postgres_only" if not PG_URL else "own_postgres"
    dropped = [i for i in items if i.get_closest_marker(other)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if i not in dropped]


TEMPLATES = Templates()


def _run_recipe(recipe, url: str) -> None:
    with Polku(url) as cli:
        recipe(cli)


def template(name: str, parent: str = SCHEMA):
    """Registers a fixture's database state as a template: `recipe(polku)` runs once per session on a
    copy of `parent`, and every test using the fixture named `name` starts from a copy of the result."""

    def register(recipe):
        TEMPLATES.register(name, parent, lambda url: _run_recipe(recipe, url), source=recipe.__qualname__)
        return recipe

    return register


@pytest.fixture(scope="session")
def _templates(tmp_path_factory):
    """The schema, made once per session by Alembic (the same path `polku init-db` takes), and the
    templates built on it when a test first needs them."""
    TEMPLATES.backend = PostgresTemplates(PG_URL) if PG_URL else SqliteTemplates(tmp_path_factory.mktemp("db"))
    yield TEMPLATES
    TEMPLATES.backend.close()
    TEMPLATES.backend = None


@dataclass
class Database:
    url: str
    template: str  # the template it was copied from


@pytest.fixture
def _database(_templates, request):
    """A fresh database for this test, copied from the deepest template among its fixtures."""
    name = _templates.deepest(request.fixturenames)
    url = _templates.fresh(name)
    yield Database(url, name)
    _templates.backend.release(url)


def from_template(database: Database, name: str) -> None:
    """Fails loudly when a template fixture was not part of the test's fixture closure."""
    if name not in TEMPLATES.chain(database.template):
        raise RuntimeError(f"the database was copied from {database.template!r}, not {name!r}: "
                           f"request the `{name}` fixture as an argument, not through getfixturevalue")


@pytest.fixture
def database_url(_database):
    return _database.url


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
    """Runs `polku ...` in-process with its own environment, like a user's shell would.

    Its commands share one `Env` (connection pool and runtime), as a long-running process would:
    opening a PostgreSQL pool for every command cost the suite more than the commands themselves.
    Close it (or use it as a context manager) when done."""

    def __init__(self, database_url: str):
        self.database_url = database_url
        self.now = T0
        self._env = Env(database_url)

    def close(self) -> None:
        self._env.close()

    def __enter__(self) -> Polku:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __call__(self, *args, now: str | None = None, ok: bool = True, input: str | None = None) -> Result:
        env = {"POLKU_DATABASE_URL": self.database_url, "POLKU_NOW": now or self.now}
        res = CliRunner().invoke(main, [str(a) for a in args], input=input, env=env, obj=self._env,
                                 catch_exceptions=False)
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
    with Polku(database_url) as cli:
        yield cli


def add_user(polku: Polku, username, *roles, org="Area 1", kind="area", name=None):
    args = ["user", "add", username, *[x for r in roles for x in ("--role", r)], "--org", org, "--org-kind", kind]
    if name:
        args += ["--name", name]
    polku(*args)
    return username


@pytest.fixture
def make_user(polku):
    def make(username, *roles, org="Area 1", kind="area", name=None):
        return add_user(polku, username, *roles, org=org, kind=kind, name=name)

    return make


@template("sample")
def _sample_cast(polku: Polku) -> None:
    add_user(polku, "designer1", "designer")
    polku("deploy", SAMPLE, "--as", "designer1")
    add_user(polku, "off1", "official")
    add_user(polku, "off2", "official")
    add_user(polku, "coach1", "coach")
    add_user(polku, "boss", "manager")
    add_user(polku, "outsider", "official", org="Area 2")


@pytest.fixture
def sample(polku, _database):
    """The sample process deployed and the usual cast: officials, a coach, a manager (built once per
    session by `_sample_cast`; the test's database is a copy)."""
    from_template(_database, "sample")
    return polku


def task_of(polku, actor, element_id=None, instance_id=None):
    args = ["tasks", "--as", actor] + (["--instance", instance_id] if instance_id else [])
    rows = polku.json(*args)
    rows = [r for r in rows if element_id is None or r["element_id"] == element_id]
    assert rows, f"no {element_id} task for {actor}"
    return rows[0]


REVIEW_OK = {"decision": "approve", "amount": 10, "start_date": "2026-01-10"}


def deployed_units(db_engine, make_user, runtime, paths):
    """Units of work at a given time (T0 by default; the runtime as their `.runtime`), the processes
    at `paths` deployed by designer1, and off1 (official) and boss (manager) made: the handler and
    retry tests' setup around a runtime that knows their own handlers."""
    from polku.engine import deploy
    from polku.engine.bundle import read_bundle

    def make(now: str = T0) -> UnitOfWork:
        return UnitOfWork(db_engine, FixedClock(parse_instant(now)))

    make.runtime = runtime
    make_user("designer1", "designer")
    make_user("off1", "official")
    make_user("boss", "manager")
    with make() as u:
        deploy.deploy(u, runtime, "designer1", read_bundle([paths]))
        u.commit()
    return make
