"""Draining due timers: N instances each waiting on one due timer, K `polku worker --once`
processes started at once against one database; prints the time until all have exited and the
proof that every timer fired exactly once (one audit row of action 'timer' per timer id, every
instance completed, no timer row left).

The instances are copies of one started instance of bench/one_timer.bpmn (a start, a "PT1M" timer,
an end), written with bulk inserts (as polku/seed_clone.py copies cases): its state blob with
SpiffWorkflow's task UUIDs replaced by fresh ones, and its timer row. The workers run with
POLKU_NOW a day later, so every timer is due.

The database is emptied first: give a throwaway one (its name must contain "bench").
Usage: python bench/timers.py [--database-url URL] [-n 10000] [-k 2]
(without --database-url: a temporary SQLite file, where K should be 1: one writer at a time).
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from pathlib import Path

from sqlalchemy import func, insert, make_url, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from polku.engine import instances, users  # noqa: E402
from polku.engine.bundle import read_bundle  # noqa: E402
from polku.engine.clock import FixedClock, parse_instant  # noqa: E402
from polku.engine.db import UnitOfWork, make_engine  # noqa: E402
from polku.engine.deploy import deploy  # noqa: E402
from polku.engine.ids import UUID_PATTERN  # noqa: E402
from polku.engine.models import AuditEvent, Instance, Timer  # noqa: E402
from polku.schema import upgrade  # noqa: E402
from polku.wiring import build_runtime  # noqa: E402

BPMN = Path(__file__).with_name("one_timer.bpmn")
T0 = "2026-01-05T09:00:00+00:00"
LATER = "2026-01-06T09:00:00+00:00"  # every timer is due
_UUID = re.compile(UUID_PATTERN)
_CHUNK = 1000


def prepare(url: str, n: int) -> None:
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        if "bench" not in (make_url(url).database or ""):
            sys.exit(f"refusing to empty {make_url(url).database!r}: its name must contain 'bench'")
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade(engine)
    runtime, clock = build_runtime(), FixedClock(parse_instant(T0))
    with UnitOfWork(engine, clock) as uow:
        users.add_user(uow, "system", "bench", ["official", "designer"], None)
        deploy(uow, runtime, "bench", read_bundle([BPMN]))
        uow.commit()
    with UnitOfWork(engine, clock) as uow:
        iid = instances.start(uow, runtime, "bench", "one_timer").id
        uow.commit()
    with engine.begin() as conn:
        inst = dict(conn.execute(select(Instance.__table__).where(Instance.id == iid)).one()._mapping)
        timer = dict(conn.execute(select(Timer.__table__).where(Timer.instance_id == iid)).one()._mapping)
        state = zlib.decompress(inst["state"]).decode()
        for start in range(0, n - 1, _CHUNK):  # the started instance is the first of the n
            inst_rows, timer_rows = [], []
            for i in range(start, min(start + _CHUNK, n - 1)):
                fresh = {old: str(uuid.uuid4()) for old in set(_UUID.findall(state))}
                copy = _UUID.sub(lambda m, fresh=fresh: fresh[m.group(0)], state)
                new_id = iid + 1 + i
                inst_rows.append({**inst, "id": new_id, "state": zlib.compress(copy.encode(), 1)})
                timer_rows.append({**timer, "id": fresh[timer["id"]], "instance_id": new_id})
            conn.execute(insert(Instance.__table__), inst_rows)
            conn.execute(insert(Timer.__table__), timer_rows)
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval('instances_id_seq', (SELECT max(id) FROM instances))"))
            conn.execute(text("ANALYZE"))
    engine.dispose()


def drain(url: str, k: int) -> tuple[float, list[str]]:
    env = {**os.environ, "POLKU_DATABASE_URL": url, "POLKU_NOW": LATER}
    polku = [sys.executable, "-m", "polku"]
    t0 = time.perf_counter()
    procs = [subprocess.Popen([*polku, "worker", "--once", "--name", f"bench-{i}"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(k)]
    outs = []
    for p in procs:
        out, err = p.communicate()
        if p.returncode != 0:
            sys.exit(f"a worker failed ({p.returncode}):\n{err}")
        outs.append(out.splitlines()[0] if out else "")
    return time.perf_counter() - t0, outs


def check(url: str, n: int) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        per_timer = conn.execute(select(AuditEvent.task_id, func.count()).where(AuditEvent.action == "timer")
                                 .group_by(AuditEvent.task_id)).all()
        counts = {
            "timers fired (distinct)": len(per_timer),
            "timers fired more than once": sum(1 for _, c in per_timer if c > 1),
            "instances completed": conn.execute(select(func.count())
                                                .where(Instance.status == "completed")).scalar_one(),
            "timer rows left": conn.execute(select(func.count()).select_from(Timer)).scalar_one(),
        }
    engine.dispose()
    ok = (counts["timers fired (distinct)"] == n and counts["timers fired more than once"] == 0
          and counts["instances completed"] == n and counts["timer rows left"] == 0)
    counts["exactly once"] = int(ok)
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", default=None)
    ap.add_argument("-n", type=int, default=10_000, help="due timers [default: 10000]")
    ap.add_argument("-k", type=int, default=2, help="worker processes [default: 2]")
    args = ap.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='polku-bench-')}/timers.db"
    t0 = time.perf_counter()
    prepare(url, args.n)
    print(f"{args.n} due timers written in {time.perf_counter() - t0:.1f} s ({make_url(url).get_backend_name()})")
    seconds, outs = drain(url, args.k)
    print(f"{args.k} worker(s): drained in {seconds:.1f} s "
          f"({args.n / seconds:.0f} timers/s, process start-up included); workers said: {'; '.join(outs)}")
    counts = check(url, args.n)
    for name, value in counts.items():
        print(f"  {name}: {value}")
    if not counts["exactly once"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
