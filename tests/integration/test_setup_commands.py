"""init-db, demo and serve: the commands a newcomer runs first."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

from sqlalchemy import func, select

from polku.engine.models import User
from tests.conftest import task_of


def test_init_db_creates_the_schema_and_is_repeatable(tmp_path):
    from click.testing import CliRunner

    from polku.cli import main

    url = f"sqlite:///{tmp_path}/fresh/polku.db"
    runner = CliRunner()
    for _ in range(2):
        result = runner.invoke(main, ["--database-url", url, "init-db"])
        assert result.exit_code == 0 and "up to date" in result.stdout
    assert runner.invoke(main, ["--database-url", url, "definitions", "--json"]).stdout.strip() == "[]"


def test_commands_on_an_uninitialised_database_fail_in_one_line(tmp_path):
    from click.testing import CliRunner

    from polku.cli import main

    result = CliRunner().invoke(main, ["--database-url", f"sqlite:///{tmp_path}/empty.db", "instances"])
    assert result.exit_code == 1
    assert "init-db" in result.stderr and result.stderr.count("\n") == 1


def test_demo_is_idempotent_and_lists_its_users(polku, db_engine):
    first = polku("demo").stdout
    second = polku("demo").stdout
    assert "virkailija1" in first and "valmentaja2" in first and first.splitlines()[-7:] == second.splitlines()[-7:]
    with db_engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(User)) == 7


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_answers_http_and_its_worker_thread_fires_due_timers(sample, database_url):
    polku = sample
    iid = polku.json("start", "sample_case", "--as", "off1")["id"]
    polku("complete", task_of(polku, "off1", "review")["id"], "--as", "off1", "--data",
          '{"decision": "approve", "amount": 1, "start_date": "2026-01-10"}')
    port = _free_port()
    env = {**os.environ, "POLKU_DATABASE_URL": database_url, "POLKU_NOW": "2026-02-01T00:00:00+00:00"}
    proc = subprocess.Popen([sys.executable, "-m", "polku", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        health = status = None
        while time.monotonic() < deadline and (health is None or status != "completed"):
            time.sleep(0.3)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    health = json.load(response)
            except OSError:
                continue
            status = polku.json("show", iid)["status"]
        assert health["status"] == "ok" and health["database"] == "ok"
        assert status == "completed"  # the boundary timer fired in the serve process's worker
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_serve_worker_survives_a_failing_round(monkeypatch, caplog):
    import threading
    from types import SimpleNamespace

    import polku.serve_cli as serve_cli

    stop, calls = threading.Event(), []

    def flaky(engine, runtime, clock, jobs):
        calls.append(clock)
        if len(calls) == 1:
            raise ConnectionError("database went away")
        stop.set()
        return SimpleNamespace(fired=0, jobs={})

    monkeypatch.setattr(serve_cli, "worker_round", flaky)
    serve_cli.run_worker_loop(SimpleNamespace(engine=None, runtime=None), 0.01, stop)
    assert len(calls) == 2  # the second round ran after the first failed
    assert "timer round failed" in caplog.text
