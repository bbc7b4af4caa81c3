"""GET /healthz: the database, its schema revision against the code's head, and the age of the
last timer-worker round."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from polku.app import build_app
from polku.cli import Env
from polku.engine.clock import Clock
from polku.engine.heartbeat import last_round
from polku.schema import head_revision
from polku.serve_cli import run_worker_loop
from tests.conftest import PG_URL, T0


def _health(app):
    response = app.test_client().get("/healthz", base_url="https://localhost")
    return response.status_code, response.get_json()


def test_healthy_app_reports_database_schema_and_no_worker_yet(web_app):
    status, body = _health(web_app)
    assert status == 200
    assert body == {
        "status": "ok",
        "database": "ok",
        "schema": {"revision": head_revision(), "head": head_revision(), "status": "current"},
        "worker": {"name": None, "last_round_at": None, "age_seconds": None},
    }
    assert head_revision() is not None


def _unreachable_urls():
    urls = {"refused-port": "postgresql+psycopg://postgres@127.0.0.1:1/polku_nowhere"}
    if PG_URL:  # the real server, but a database that was never created
        urls["no-such-database"] = make_url(PG_URL).set(database="polku_no_such_database").render_as_string(
            hide_password=False)
    return urls


@pytest.mark.parametrize("url", list(_unreachable_urls().values()), ids=list(_unreachable_urls()))
def test_database_away_is_503_with_a_json_body(url):
    app = build_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "test-secret"})
    try:
        status, body = _health(app)
    finally:
        app.extensions["polku"]["engine"].dispose()
    assert status == 503
    assert body == {"status": "unavailable", "database": "unreachable", "schema": None, "worker": None}


def test_schema_behind_head_is_503(web_app, db_engine):
    with db_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0003'"))
    try:
        status, body = _health(web_app)
    finally:  # the PostgreSQL test database is shared by the session
        with db_engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head_revision()})
    assert status == 503
    assert body["status"] == "unavailable" and body["database"] == "ok"
    assert body["schema"] == {"revision": "0003", "head": head_revision(), "status": "behind"}


def test_schema_never_made_is_behind(tmp_path):
    app = build_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}", "TESTING": True, "SECRET_KEY": "s"})
    try:
        status, body = _health(app)
    finally:
        app.extensions["polku"]["engine"].dispose()
    assert status == 503
    assert body["schema"] == {"revision": None, "head": head_revision(), "status": "behind"}


def test_worker_age_after_polku_worker_once(web_app, polku, monkeypatch):
    # the dashboard's snapshot job reports its count on a line of its own (domain.kpis.snapshots)
    assert polku("worker", "--once", "--name", "timers-1", now=T0).stdout.startswith("fired 0 timer(s)\n")
    monkeypatch.setenv("POLKU_NOW", "2026-01-05T09:01:30+00:00")
    status, body = _health(web_app)
    assert status == 200
    assert body["worker"] == {"name": "timers-1", "last_round_at": T0, "age_seconds": 90.0}


def test_the_newest_round_of_several_workers_counts(web_app, polku, monkeypatch):
    polku("worker", "--once", "--name", "a", now="2026-01-05T09:00:00+00:00")
    polku("worker", "--once", "--name", "b", now="2026-01-05T09:00:40+00:00")
    polku("worker", "--once", "--name", "a", now="2026-01-05T08:59:00+00:00")  # a's row is updated in place
    monkeypatch.setenv("POLKU_NOW", "2026-01-05T09:01:00+00:00")
    assert _health(web_app)[1]["worker"] == {"name": "b", "last_round_at": "2026-01-05T09:00:40+00:00",
                                             "age_seconds": 20.0}


def test_the_worker_loop_records_its_rounds(database_url, monkeypatch):
    monkeypatch.delenv("POLKU_NOW", raising=False)
    env = Env(database_url)
    stop = threading.Event()
    thread = threading.Thread(target=run_worker_loop, args=(env, 0.05, stop, "loop"), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while last_round(env.engine, Clock()) is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(10)
        latest = last_round(env.engine, Clock())
        env.close()
    assert not thread.is_alive()
    assert latest is not None and latest.worker == "loop" and latest.fired == 0
