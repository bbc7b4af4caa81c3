"""Web under load: logged-in sessions on loopback against gunicorn and `polku serve`, side by side.

    .venv/bin/python bench/web_load.py                         # SQLite, serve and gunicorn, 10 and 50 sessions
    .venv/bin/python bench/web_load.py --database postgresql+psycopg://postgres@127.0.0.1:5432/postgres \\
        --servers gunicorn --sessions 10,50 --duration 30

Prepares a database (`polku demo`, then `polku seed --cases N`; on PostgreSQL a database of its own,
`polku_bench_web`, made on the server the URL names; `--reuse` keeps one already prepared), starts each
server on a free port, logs in N sessions as the users whose inbox holds the most tasks (demo password scheme
`<user>-demo`, the login form's CSRF token), and has each session loop for a fixed time: the inbox
(/tasks) → one of its tasks (/tasks/<id>) → the task's form posted (complete) → that task's case
(/cases/<id>). Prints req/s, p50/p95/p99 per page and in total and
the errors (status >= 400, redirects to the login page, broken connections) for each server and
session count, then runs `polku audit verify` on the database (every read is an audit row).

Sessions also complete tasks (`--complete-every`, default every round): the task page's form is
posted back as a browser would send it (its CSRF token, hidden fields, the defaults shown, checked
boxes, selected options) with the required inputs it can fill (a date: today; a number: its
minimum; text, and a row's text: a word; a choice not made: the first), then the case is opened.
A completing round opens a task it may complete: not one already completed, refused or unfilled
by this run (a form with a required repeated group, e.g. a goal list, is only read), nor one due
after this week (a weekly review of a week not begun, which the process refuses). Completing
moves a case on (a weekly review opens the next week's), and the seeded cases (`--cases`, 6,000)
keep about 900 tasks ready to complete; when the inbox has none left to complete, the round only reads.
Besides the errors, the "complete" row counts the 409s (two sessions of one user chose the same
task: the second gets the "already handled" page) and the 400s (the process's rules refused the
filled form): outcomes a user meets too, not failures of the server.

Bounded: loopback only, a fixed duration, one connection per session (http.client, no extra
dependency). The machine is shared: quote medians of several runs.
"""
from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_forms import later_tasks, task_form  # noqa: E402  (bench/load_forms.py, beside this file)

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PAGES = ("inbox", "task", "complete", "case")
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_TASK = re.compile(r'href="(/tasks/[0-9a-fA-F-]{16,})"')
_CASE = re.compile(r'href="(/cases/\d+)"')
PG_DATABASE = "polku_bench_web"
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def polku(url: str, *args: str, quiet: bool = True) -> str:
    env = dict(os.environ, POLKU_DATABASE_URL=url)
    done = subprocess.run([str(BIN / "polku"), *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"polku {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()[-800:]}")
    return done.stdout


def prepare(database: str, cases: int, reuse: bool, workdir: Path) -> str:
    """The database URL, prepared with the demo and `cases` seeded cases."""
    if database == "sqlite":
        path = workdir / "web_load.db"
        url = f"sqlite:///{path}"
        if reuse and path.exists():
            return url
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        import psycopg

        admin = database.replace("postgresql+psycopg://", "postgresql://")
        base, _slash, _name = admin.rpartition("/")
        url = database.rpartition("/")[0] + "/" + PG_DATABASE
        with psycopg.connect(admin, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DATABASE,)).fetchone()
            if exists and reuse:
                return url
            if exists:
                conn.execute(f"DROP DATABASE {PG_DATABASE} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {PG_DATABASE}")
    polku(url, "demo")
    if cases:
        polku(url, "seed", "--cases", str(cases))
    return url


def users_with_tasks(url: str) -> list[str]:
    """The officials and coaches whose inbox holds ready tasks (their own and their groups'), most
    first, by the inbox's own query in a read that is never committed (so nothing is audited).
    They work the client cases; a manager's tasks are providers' follow-ups, not cases to open."""
    from sqlalchemy import text

    from polku.engine import inbox
    from polku.engine.clock import Clock
    from polku.engine.db import UnitOfWork, make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        names = [r[0] for r in conn.execute(text(
            "SELECT DISTINCT u.username FROM users u JOIN user_roles r ON r.user_id = u.id "
            "WHERE r.role IN ('official', 'coach') ORDER BY u.username"))]
    counted = []
    with UnitOfWork(engine, Clock(), write=False) as uow:
        for name in names:
            total = inbox.inbox(uow, name, per_page=1)["total"]
            if total:
                counted.append((-total, name))
    engine.dispose()
    return [name for _total, name in sorted(counted)]


class Server:
    def __init__(self, kind: str, url: str, workers: int, env_extra: dict[str, str]):
        self.kind, self.port = kind, free_port()
        env = dict(os.environ, POLKU_DATABASE_URL=url, POLKU_SECRET_KEY="bench-web-load-secret", **env_extra)
        if kind == "gunicorn":
            env["POLKU_ENV"] = "production"
            cmd = [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
                   "--log-level", "warning", "polku.wsgi:app"]
        else:
            cmd = [str(BIN / "polku"), "serve", "--port", str(self.port)]
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{kind} exited: {self.output()[-1500:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"{kind} did not answer /healthz in 60 s")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> None:
        self.proc.terminate()  # gunicorn and serve both end on SIGTERM (atexit handlers run)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Session:
    """One logged-in browser: its own keep-alive connection and cookies."""

    def __init__(self, port: int, username: str):
        self.port, self.username, self.cookies = port, username, {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, str, str]:
        headers = {"Referer": f"http://127.0.0.1:{self.port}/", "Connection": "keep-alive"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode(errors="replace")
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        for cookie in response.msg.get_all("Set-Cookie") or []:
            name, _eq, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response.getheader("Location") or "", text

    def login(self) -> None:
        _status, _loc, page = self.request("GET", "/login")
        token = _TOKEN.search(page)
        form = {"username": self.username, "password": f"{self.username}-demo",
                "csrf_token": token.group(1) if token else ""}
        status, location, _ = self.request("POST", "/login", form)
        if status != 302 or "/login" in location:
            raise SystemExit(f"login of {self.username} failed: {status} {location}")


def run_sessions(port: int, users: list[str], sessions: int, duration: float, complete_every: int = 1) -> dict:
    clients = []
    for i in range(sessions):
        s = Session(port, users[i % len(users)])
        s.login()
        clients.append(s)
    samples: dict[str, list[float]] = {p: [] for p in PAGES}
    errors: dict[str, int] = {p: 0 for p in PAGES}
    conflicts = {"complete": 0}  # the task was completed by another session first (409)
    refused = {"complete": 0}  # the form was refused by the process's rules (400; e.g. a review of a later week)
    spent: set[str] = set()  # tasks not to complete again: completed, refused, or a form not filled here
    dry = [0]  # completing rounds whose inbox had no task left to complete (the seed ran short)
    lock = threading.Lock()
    start_at = time.monotonic() + 0.2
    stop_at = start_at + duration

    def timed(s: Session, page: str, path: str, form: dict | None = None) -> str | None:
        began = time.perf_counter()
        try:
            status, location, text = s.request("POST" if form is not None else "GET", path, form)
            ok = status < 400 and not (status in (301, 302, 303) and "/login" in location)
            if page == "complete" and status != 302:  # a completed task redirects to the inbox
                ok = False
        except (http.client.HTTPException, OSError):
            status, ok, text = 0, False, ""
        took = time.perf_counter() - began
        with lock:
            samples[page].append(took)
            if page == "complete" and status == 409:
                conflicts["complete"] += 1
            elif page == "complete" and status == 400:
                refused["complete"] += 1
            else:
                errors[page] += 0 if ok else 1
        return text if ok else None

    def loop(s: Session, rng: random.Random) -> None:
        while time.monotonic() < start_at:
            time.sleep(0.01)
        rounds = 0
        while time.monotonic() < stop_at:
            rounds += 1
            inbox = timed(s, "inbox", "/tasks")
            tasks = _TASK.findall(inbox or "")
            if not tasks or time.monotonic() >= stop_at:
                continue
            completing = bool(complete_every) and rounds % complete_every == 0
            with lock:  # a task that may be completed now, if the inbox has one
                open_now = [t for t in tasks if t not in spent and t not in later_tasks(inbox or "")]
                dry[0] += 1 if completing and not open_now else 0
            completing = completing and bool(open_now)  # else this round only reads
            path = rng.choice(open_now if completing else tasks)
            task = timed(s, "task", path)
            cases = _CASE.findall(task or "")
            form = task_form(task or "") if completing and task else None
            if completing and task and form is None:
                with lock:
                    spent.add(path)  # a form this bench does not fill: read only from now on
            if form is not None and time.monotonic() < stop_at:
                if timed(s, "complete", form[0], form[1]) is None:
                    with lock:
                        spent.add(path)  # refused (its rules) or handled by another session first
            if cases and time.monotonic() < stop_at:
                timed(s, "case", cases[0])

    threads = [threading.Thread(target=loop, args=(s, random.Random(i))) for i, s in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start_at
    for s in clients:
        s.conn.close()
    return {"samples": samples, "errors": errors, "conflicts": conflicts, "refused": refused, "dry": dry[0],
            "elapsed": elapsed}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def summary_lines(label: str, result: dict) -> list[str]:
    lines = []
    every = [v for p in PAGES for v in result["samples"][p]]
    for page, values in [*((p, result["samples"][p]) for p in PAGES), ("total", every)]:
        errs = sum(result["errors"].values()) if page == "total" else result["errors"][page]
        clash = sum(result["conflicts"].values()) if page == "total" else result["conflicts"].get(page, 0)
        refused = sum(result["refused"].values()) if page == "total" else result["refused"].get(page, 0)
        rate = len(values) / result["elapsed"] if result["elapsed"] else 0.0
        cells = [f"{percentile(values, q) * 1000:7.0f}" for q in (50, 95, 99)]
        lines.append(f"{label:<24} {page:<8} {len(values):>6} {rate:>7.1f} {' '.join(cells)} "
                     f"{errs:>6} {clash:>5} {refused:>5}")
    if result["dry"]:
        lines.append(f"{label:<24} ({result['dry']} rounds found no task left to complete: seed more --cases)")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="sqlite", help="sqlite, or a PostgreSQL URL (its server gets a "
                        f"database {PG_DATABASE})")
    parser.add_argument("--servers", default="serve,gunicorn")
    parser.add_argument("--sessions", default="10,50")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per server and session count")
    parser.add_argument("--cases", type=int, default=6000, help="seeded cases beside the demo's (0: none)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--complete-every", type=int, default=1, help="complete the opened task every Nth round "
                        "of a session (0: never, reads only)")
    parser.add_argument("--read-audit-batch", default="", help="POLKU_READ_AUDIT_BATCH for the servers: auto, on, off")
    parser.add_argument("--reuse", action="store_true", help="keep a database prepared by an earlier run")
    parser.add_argument("--workdir", default=str(ROOT / "instance" / "bench"), help="where the SQLite file lives")
    parser.add_argument("--no-verify", action="store_true", help="skip `polku audit verify` at the end")
    args = parser.parse_args(argv)
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    url = prepare(args.database, args.cases, args.reuse, workdir)
    users = users_with_tasks(url)
    if not users:
        raise SystemExit("no user has a ready task: nothing to open")
    print(f"database {url.split('@')[-1]} prepared in {time.monotonic() - began:.0f} s; "
          f"{len(users)} users with ready tasks", flush=True)
    env_extra = {"POLKU_READ_AUDIT_BATCH": args.read_audit_batch} if args.read_audit_batch else {}
    lines = []
    for kind in [k.strip() for k in args.servers.split(",") if k.strip()]:
        server = Server(kind, url, args.workers, env_extra)
        try:
            for n in [int(x) for x in args.sessions.split(",")]:
                label = f"{kind}{f' x{args.workers}' if kind == 'gunicorn' else ''} {n} sessions"
                result = run_sessions(server.port, users, n, args.duration, args.complete_every)
                lines += summary_lines(label, result)
                print("\n".join(summary_lines(label, result)), flush=True)
        finally:
            server.stop()
    print(f"\n{'server, sessions':<24} {'page':<8} {'reqs':>6} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'p99 ms':>7} {'errors':>6} {'409s':>5} {'400s':>5}")
    print("\n".join(lines))
    if not args.no_verify:
        out = polku(url, "audit", "verify")
        print("audit verify:", out.strip().splitlines()[-1] if out.strip() else "ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
