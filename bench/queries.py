"""Response times of the pages users wait on, on a seeded database (`polku seed --cases N`).

Through the Flask test client, on an app started as a server process starts it (``polku.app.serving``),
logged in as the demo users (what a user sees, login excluded):
the inbox (GET /tasks) of a coach and of an official, the case list (/cases) with typical filters
(an official's own cases, and the whole area's: scope=area),
the managers' instance list (/instances) with typical filters, the case page and the instance page
of a case, and the managers' dashboard: its default range (/dashboard, served from the worker's
snapshot: the snapshots are made first, and how long that took is printed) and a chosen range (the
last two full months, counted live). p50 and p95 in ms over
--runs runs each (the dashboard over --dashboard-runs), after one warm-up. Targets from issue 10:
p95 inbox <= 50 ms, lists <= 100 ms, detail <= 100 ms, dashboard <= 250 ms.
On a default seed each demo user carries a real user's load, whatever N: esihenkilo manages one area
of eight, virkailija1 is responsible for at most ~120 of its running cases, valmentaja1 coaches on a
provider of at most ~60 running cases (`polku seed --concentrated` gives the worst case instead: every
case in one area, on two providers, with virkailija1).
Give --database-url once per database: one column pair per database, side by side (e.g. 10k and
100k, or SQLite and PostgreSQL).

Usage: python bench/queries.py --database-url sqlite:///10k.db --database-url sqlite:///100k.db [--runs 50]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from polku.app import build_app, serving  # noqa: E402
from polku.domain.kpis.snapshots import default_range, refresh  # noqa: E402
from polku.domain.kpis.support import local_day  # noqa: E402
from polku.domain.models import Referral  # noqa: E402
from polku.engine.clock import clock_from_env  # noqa: E402
from polku.engine.db import UnitOfWork  # noqa: E402
from polku.engine.models import Instance  # noqa: E402
from polku.serve_cli import demo_password  # noqa: E402
from tests.web.conftest import Browser  # noqa: E402

TARGETS = {"inbox": 50, "list": 100, "detail": 100, "dashboard": 250}


# (label, kind, user, path): {case} is a running case near the middle of the ids, {word} a word of its name,
# {from} and {to} the last two full months.
PAGES = [
    ("inbox, coach", "inbox", "valmentaja1", "/tasks"),
    ("inbox, official", "inbox", "virkailija1", "/tasks"),
    ("cases, official", "list", "virkailija1", "/cases"),
    ("cases, running", "list", "virkailija1", "/cases?status=running"),
    ("cases, name search", "list", "virkailija1", "/cases?q={word}"),
    ("cases, coach", "list", "valmentaja1", "/cases"),
    ("cases, area running", "list", "virkailija1", "/cases?scope=area&status=running"),
    ("cases, area name search", "list", "virkailija1", "/cases?scope=area&q={word}"),
    ("instances, manager", "list", "esihenkilo", "/instances"),
    ("instances, overdue", "list", "esihenkilo", "/instances?status=running&overdue=1"),
    ("instances, step", "list", "esihenkilo", "/instances?step=weekly_review&sort=due"),
    ("case page", "detail", "virkailija1", "/cases/{case}"),
    ("instance page", "detail", "esihenkilo", "/instances/{case}"),
    ("dashboard", "dashboard", "esihenkilo", "/dashboard"),
    ("dashboard, chosen range", "dashboard", "esihenkilo", "/dashboard?from={from}&to={to}"),
]


def _sample(app) -> dict[str, object]:
    engine = app.extensions["polku"]["engine"]
    with engine.connect() as conn:
        ids = (select(Instance.id).join(Referral, Referral.instance_id == Instance.id)  # one virkailija1 may open
               .where(Instance.process_key == "tyohonvalmennus", Instance.status == "running",
                      Referral.responsible_official == "virkailija1"))
        middle = conn.scalar(select(func.max(Instance.id)).where(Instance.id.in_(ids))) // 2
        case = conn.scalar(ids.where(Instance.id >= middle).order_by(Instance.id).limit(1))
        name = conn.scalar(select(Referral.name).where(Referral.instance_id == case))
    last_start, last_end = default_range(local_day(clock_from_env().now()))
    before_start, _end = default_range(last_start)
    return {"case": case, "word": name.split()[1], "from": before_start.isoformat(), "to": last_end.isoformat()}


def make_snapshots(engine) -> tuple[int, float]:
    """What the worker's job (domain.kpis.snapshots.KpiSnapshots) does over its rounds, at once:
    every area's default view counted and stored. How many, and the seconds it took."""
    t0 = time.perf_counter()
    with UnitOfWork(engine, clock_from_env(), origin="worker") as uow:
        counted = refresh(uow, uow.now)
        uow.commit()
    return counted, time.perf_counter() - t0


def measure(url: str, runs: int, dashboard_runs: int) -> tuple[dict[str, tuple[float, float]], str]:
    app = serving(build_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "bench"}))  # as a server starts
    engine = app.extensions["polku"]["engine"]
    counted, seconds = make_snapshots(engine)
    print(f"{url.split('@')[-1]}: dashboard snapshots of {counted} area(s) made in {seconds:.1f} s", file=sys.stderr)
    with engine.connect() as conn:
        cases = conn.scalar(select(func.count()).select_from(Instance).where(Instance.process_key == "tyohonvalmennus"))
    browsers: dict[str, Browser] = {}
    out = {}
    sample = _sample(app)
    for label, kind, user, template in PAGES:
        path = template.format(**sample)
        if user not in browsers:
            browsers[user] = Browser(app).login(user, demo_password(user))
        b = browsers[user]
        assert b.get(path).status_code == 200, (label, path)  # warm-up
        times = []
        for _ in range(dashboard_runs if kind == "dashboard" else runs):
            t0 = time.perf_counter()
            response = b.get(path)
            times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
        times.sort()
        out[label] = (statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))])
    engine.dispose()
    dialect = engine.dialect.name
    return out, f"{cases:,} {'PG' if dialect == 'postgresql' else dialect}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", action="append", required=True)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--dashboard-runs", type=int, default=5)
    args = parser.parse_args()
    results = [measure(url, args.runs, args.dashboard_runs) for url in args.database_url]
    kinds = {label: kind for label, kind, _u, _p in PAGES}
    width = max(map(len, kinds)) + 2
    head = "".join(f" | {cases:>18}" for _r, cases in results)
    sub = "".join(f" | {'p50':>8} {'p95':>9}" for _ in results)
    print(f"{'page (ms)':<{width}}{head} | target p95")
    print(f"{'':<{width}}{sub} |")
    for label, kind in kinds.items():
        cells = ""
        for r, _cases in results:
            p50, p95 = r[label]
            flag = "*" if p95 > TARGETS[kind] else " "
            cells += f" | {p50:8.1f} {p95:8.1f}{flag}"
        print(f"{label:<{width}}{cells} | {TARGETS[kind]}")
    print("* over the target; databases: " + ", ".join(u.split("@")[-1] for u in args.database_url))


if __name__ == "__main__":
    main()
