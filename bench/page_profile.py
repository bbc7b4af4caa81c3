"""Where one request of a hot page spends its time: CPU, SQL statements and the top functions.

    .venv/bin/python bench/page_profile.py                       # SQLite, prepared as bench/web_load.py does
    .venv/bin/python bench/page_profile.py --database postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/page_profile.py --reuse --profile task   # cProfile of the task page's requests
    .venv/bin/python bench/page_profile.py --reuse --sql            # each page's SQL statements

In-process, through Flask's test client (no server, no network): logs in as the official or coach
whose inbox holds the most tasks (the next one once its first page has nothing left to complete),
then for each page (the inbox /tasks, a task page /tasks/<id>, the
task's form posted (complete), the case view /cases/<id>) runs `--requests` requests after a warm-up
and prints the median wall and CPU time per request and the SQL statements each sent (SQLAlchemy's
before_cursor_execute, which the prepared statements of engine.prepared fire too; `--sql` lists them
with their times). `--profile PAGE`
runs that page's requests under cProfile and prints the top functions by own and cumulative time.
The database is prepared by bench/web_load.py's `prepare` (demo and `--cases` seeded cases), so the
two benches read the same data.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import web_load  # noqa: E402  (the same preparation, users and form filling)

PAGES = ("inbox", "task", "complete", "case")


class Counter:
    def __init__(self) -> None:
        self.count = 0
        self.statements: list[str] | None = None  # kept when --sql asks, with each one's time
        self._began = 0.0

    def __call__(self, _conn, _cursor, statement, *_args) -> None:
        self.count += 1
        if self.statements is not None:
            self.statements.append(" ".join(statement.split())[:200])
            self._began = time.perf_counter()

    def done(self, *_args) -> None:
        if self.statements:
            self.statements[-1] = f"{(time.perf_counter() - self._began) * 1000:6.2f} ms  {self.statements[-1]}"


def by_package(profiler: cProfile.Profile) -> str:
    """Own time summed by where the code lives: a library, or this project's package."""
    totals: dict[str, float] = {}
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in pstats.Stats(profiler).stats.items():
        if "site-packages/" in filename:
            where = filename.split("site-packages/", 1)[1].split("/", 1)[0]
        elif filename.startswith(str(web_load.ROOT)):
            where = "polku " + filename[len(str(web_load.ROOT)) + 1:].split("/", 1)[0]
        else:
            where = "python" if filename.startswith(("/", "<frozen")) else filename
        totals[where] = totals.get(where, 0.0) + tottime
    whole = sum(totals.values()) or 1.0
    return "\n".join(f"    {where:<28} {seconds * 1000:8.1f} ms {seconds / whole:6.1%}"
                     for where, seconds in sorted(totals.items(), key=lambda kv: -kv[1])[:14])


def login(client, username: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    done = client.post("/login", data={"username": username, "password": f"{username}-demo", "csrf_token": token})
    if done.status_code != 302 or "/login" in (done.headers.get("Location") or ""):
        raise SystemExit(f"login of {username} failed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--cases", type=int, default=6000)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--url", default="", help="a database already prepared (no preparing)")
    parser.add_argument("--workdir", default=str(web_load.ROOT / "instance" / "bench"))
    parser.add_argument("--requests", type=int, default=20, help="measured requests per page")
    parser.add_argument("--profile", default="", help="a page to run under cProfile: " + ", ".join(PAGES))
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sql", action="store_true", help="print the statements of each page's last request")
    args = parser.parse_args(argv)
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    url = args.url or web_load.prepare(args.database, args.cases, args.reuse, workdir)
    users = web_load.users_with_tasks(url)

    from sqlalchemy import event

    from polku.app import build_app

    app = build_app({"DATABASE_URL": url, "SECRET_KEY": "bench-page-profile-secret"})
    engine = app.extensions["polku"]["engine"]
    counter = Counter()
    event.listen(engine, "before_cursor_execute", counter)
    event.listen(engine, "after_cursor_execute", counter.done)
    holder = [app.test_client()]
    login(holder[0], users[0])
    spent: set[str] = set()

    current = [0]  # the user logged in: the next one when this one's first page has nothing to complete

    def pick(completing: bool) -> tuple[str, str]:
        while True:
            inbox = holder[0].get("/tasks").get_data(as_text=True)
            tasks = web_load._TASK.findall(inbox)
            later = web_load.later_tasks(inbox)
            for path in tasks:
                if completing and (path in spent or path in later):
                    continue
                page = holder[0].get(path).get_data(as_text=True)
                if not completing or web_load.task_form(page):
                    return path, page
                spent.add(path)
            current[0] += 1
            if current[0] >= len(users):
                raise SystemExit("no task left to complete: prepare with more --cases")
            holder[0] = app.test_client()  # a browser of the next user
            login(holder[0], users[current[0]])

    def one(page: str, profiler: cProfile.Profile | None = None) -> None:
        """One request of `page`; what it needs is fetched before (not measured)."""
        if page == "inbox":
            run = lambda: holder[0].get("/tasks")  # noqa: E731
        elif page in ("task", "case"):
            path, html = pick(False)
            target = path if page == "task" else web_load._CASE.findall(html)[0]
            run = lambda: holder[0].get(target)  # noqa: E731
        else:
            path, html = pick(True)
            spent.add(path)
            action, fields = web_load.task_form(html)
            run = lambda: holder[0].post(action, data=fields, headers={"Referer": "http://localhost/"})  # noqa: E731
        counter.count = 0
        if counter.statements is not None:
            counter.statements.clear()
        if profiler:
            profiler.enable()
        wall, cpu = time.perf_counter(), time.process_time()
        response = run()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if profiler:
            profiler.disable()
        results.append((wall, cpu, counter.count, response.status_code))

    print(f"{'page':<9} {'wall ms':>8} {'cpu ms':>7} {'SQL':>5} statuses", flush=True)
    for page in PAGES:
        results: list[tuple[float, float, int, int]] = []
        for _ in range(3):  # warm-up: caches, templates, prepared statements
            one(page)
        results.clear()
        profiler = cProfile.Profile() if page == args.profile else None
        for _ in range(args.requests):
            one(page, profiler)
        if args.sql:  # one more request, its statements listed
            counter.statements = []
            one(page)
            sql, counter.statements = counter.statements, None
        statuses = sorted({r[3] for r in results})
        print(f"{page:<9} {statistics.median(r[0] for r in results) * 1000:8.1f} "
              f"{statistics.median(r[1] for r in results) * 1000:7.1f} {statistics.median(r[2] for r in results):5.0f} "
              f"{statuses}", flush=True)
        if args.sql:
            print("\n".join(f"    {line}" for line in sql))
        if profiler:
            print(by_package(profiler))
            for key in ("tottime", "cumulative"):
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(key).print_stats(args.top)
                print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
