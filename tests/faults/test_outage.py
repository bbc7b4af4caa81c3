"""A database stopped and restarted under traffic: a PostgreSQL cluster the test starts itself (on a free
port in a temporary folder, never the shared server) is stopped with `pg_ctl stop -m immediate` while
a loop of `polku complete` runs and `polku serve` answers /healthz and the inbox, then started again.

During the outage every command exits 1 with one line, /healthz answers 503, the inbox the localized
503 page. Afterwards every completion that was acknowledged (exit 0) is in the database, no instance
is inconsistent (tests/faults/invariants.py), and the same `polku serve` process answers 200 again by
itself. The cluster is stopped in a finalizer whatever happens.

PostgreSQL machines only, but it needs only the binaries, not POLKU_TEST_DATABASE_URL: to run it once
per CI run it runs in the SQLite pass only (deselected when POLKU_TEST_DATABASE_URL is set; see
conftest.py). Without the binaries it fails, saying what is missing."""
from __future__ import annotations

import http.client
import os
import random
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from polku.engine.db import make_engine
from polku.engine.models import HumanTask
from tests.conftest import Polku, add_user
from tests.faults import pgcluster
from tests.faults.conftest import BENCH, OFFICIALS
from tests.faults.forkserver import Outcome
from tests.faults.invariants import check
from tests.faults.support import cli_env, ready_tasks, refusal_problem

OUTAGE_PAGE = "Palvelu ei ole juuri nyt käytettävissä. Mitään syöttämääsi ei tallennettu."
PASSWORD = "faults-outage-password"


class Browser:
    """Just enough of one: cookies kept by hand (the session cookie is Secure, and this is plain HTTP)."""

    def __init__(self, port: int):
        self.port, self.cookies = port, SimpleCookie()

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        headers = {"Accept": "text/html", "Accept-Language": "fi"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={m.value}" for k, m in self.cookies.items())
        body = urlencode(form) if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            for value in response.headers.get_all("Set-Cookie") or []:
                self.cookies.load(value)
            return response.status, response.read().decode()
        finally:
            conn.close()

    def login(self, username: str) -> None:
        _status, page = self.request("GET", "/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        status, _page = self.request("POST", "/login", {"username": username, "password": PASSWORD,
                                                        "csrf_token": token})
        assert status == 302, (status, _page[:500])


@dataclass
class Sent:
    task_id: str
    began: float
    ended: float
    outcome: Outcome

    @property
    def status(self) -> int:
        return self.outcome.status


class Traffic(threading.Thread):
    """A loop of `polku complete` on ready tasks, two at a time, each outcome kept."""

    def __init__(self, forks, url: str, seed: int):
        super().__init__(name="faults-traffic", daemon=True)
        self.forks, self.url, self.rng = forks, url, random.Random(seed)
        self.sent: list[Sent] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.engine = make_engine(url)

    def run(self) -> None:
        known: list[tuple[str, int, str | None]] = []
        try:
            while not self.stop.is_set():
                try:
                    known = ready_tasks(self.engine) or known
                except Exception:  # noqa: BLE001  (the database is away: the tasks known last are tried)
                    pass
                picked = self.rng.sample(known, min(2, len(known)))
                began = time.monotonic()
                pids = [(tid, self.forks.spawn(["complete", tid, "--as", self.rng.choice(OFFICIALS), "--data", "{}"],
                                               cli_env(self.url))) for tid, _iid, _assignee in picked]
                for tid, pid in pids:
                    outcome = self.forks.wait(pid)
                    self.sent.append(Sent(tid, began, time.monotonic(), outcome))
                if not pids:
                    time.sleep(0.05)
        except BaseException as exc:  # noqa: BLE001  (reported by the test)
            self.error = exc
        finally:
            self.engine.dispose()

    def acknowledged_after(self, instant: float) -> int:
        return sum(1 for s in self.sent if s.status == 0 and s.began > instant)


def _wait_for(what: str, condition, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


def _answer(browser: Browser, path: str) -> tuple[int, str]:
    try:
        return browser.request("GET", path)
    except OSError as exc:
        return -1, repr(exc)


@pytest.mark.own_postgres
def test_a_database_stopped_and_restarted_under_traffic(forks, tmp_path, sizes, seed, capsys, request):
    reason = pgcluster.missing()
    if reason:
        pytest.fail(f"this test starts a PostgreSQL cluster of its own: {reason}")
    cluster = pgcluster.Cluster()
    request.addfinalizer(cluster.destroy)
    cluster.start()
    url = cluster.create_database("polku")
    with Polku(url) as polku:
        polku("init-db")
        add_user(polku, "designer1", "designer")
        polku("deploy", BENCH / "four_steps.bpmn", "--as", "designer1")
        for name in OFFICIALS:
            add_user(polku, name, "official")
        polku("user", "add", "web1", "--role", "official", "--org", "Area 1", "--password-stdin",
              input=PASSWORD + "\n")
        for _ in range(60 if sizes.long else 25):
            polku("start", "four_steps", "--as", "off1")

    port = pgcluster.free_port()
    log = open(tmp_path / "serve.log", "w")  # noqa: SIM115  (closed by the finalizer)
    serve = subprocess.Popen([sys.executable, "-m", "polku", "serve", "--port", str(port)], stdout=log,
                             stderr=subprocess.STDOUT,
                             env={**os.environ, "POLKU_DATABASE_URL": url, "POLKU_SECRET_KEY": "faults-outage"})

    def stop_serve():
        serve.terminate()
        try:
            serve.wait(timeout=10)
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.wait()
        log.close()

    request.addfinalizer(stop_serve)
    browser = Browser(port)
    try:
        _wait_for("polku serve answering /healthz", lambda: _answer(browser, "/healthz")[0] == 200)
    except AssertionError as exc:
        log.flush()
        raise AssertionError(f"{exc}; its output:\n{(tmp_path / 'serve.log').read_text()[-3000:]}") from None
    browser.login("web1")
    assert browser.request("GET", "/")[0] == 200

    traffic = Traffic(forks, url, seed)
    traffic.start()
    try:
        _wait_for("completions before the outage", lambda: traffic.acknowledged_after(0) >= 3)
        cluster.stop("immediate")
        down = time.monotonic()
        web_answers = []
        while time.monotonic() < down + sizes.outage_seconds:
            health, page = _answer(browser, "/healthz"), _answer(browser, "/")
            web_answers.append((health[0], page[0]))
            assert health[0] == 503, health
            assert page[0] == 503 and OUTAGE_PAGE in page[1], page
            time.sleep(0.3)
        up = time.monotonic()
        cluster.start()
        restarted = time.monotonic()
        recovered = _wait_for("the same polku serve answering 200 again", lambda: (
            _answer(browser, "/healthz")[0] == 200 and _answer(browser, "/")[0] == 200 and time.monotonic()))
        _wait_for("completions after the restart", lambda: traffic.acknowledged_after(restarted) >= 3)
    finally:
        traffic.stop.set()
        traffic.join(timeout=60)
    assert traffic.error is None, repr(traffic.error)
    assert serve.poll() is None, "polku serve ended"

    problems = [(s.task_id, refusal_problem(s.outcome)) for s in traffic.sent if refusal_problem(s.outcome)]
    assert not problems, problems
    during = [s for s in traffic.sent if s.began > down and s.ended < up]
    assert during and all(s.status == 1 and "database" in s.outcome.stderr for s in during), during
    acknowledged = {s.task_id for s in traffic.sent if s.status == 0}
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            done = set(conn.scalars(select(HumanTask.id).where(HumanTask.state == "completed")))
    finally:
        engine.dispose()
    assert acknowledged <= done, f"acknowledged completions missing: {sorted(acknowledged - done)}"
    violations = check(url)
    assert not violations, "\n".join(violations)
    with capsys.disabled():
        print(f"\noutage: {up - down:.1f} s down; {len(traffic.sent)} completes sent, {len(acknowledged)} "
              f"acknowledged (all in the database), {len(during)} refused with one line during the outage; "
              f"{len(web_answers)} web checks answered 503; serve answered 200 {recovered - restarted:.1f} s "
              "after the restart")
