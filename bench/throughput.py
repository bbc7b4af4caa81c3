"""Sustained human steps per second on the job-coaching process: Polku on PostgreSQL (or SQLite)
with 1, 2 and 4 processes, side by side with bare SpiffWorkflow doing the same step in memory.

    .venv/bin/python bench/throughput.py                     # PostgreSQL, 1, 2, 4 processes, 20 s each
    .venv/bin/python bench/throughput.py --database-url postgresql+psycopg://postgres@HOST:5432/polku_bench_tp
    .venv/bin/python bench/throughput.py --database-url sqlite            # a temp SQLite file, 1 process
    .venv/bin/python bench/throughput.py --quick                          # smoke run: 2 s a variant
    .venv/bin/python bench/throughput.py --profile 15                     # also cProfile one worker 15 s
    .venv/bin/python bench/throughput.py --quick --processes 1 --sql      # also list one step's statements

Preparation. A throwaway database (PostgreSQL: dropped and made again, its name must contain
"bench"; SQLite: a temp file) gets `polku demo` (schema, processes/ deployed, the demo area,
officials, providers and coaches). One template case per demo provider is run through the engine's
own commands (polku.seed_paths.Driver: referral by `virkailija1`, the coach accepts it and sets the
goals), so it waits in its first weekly review (`weekly_review`, the coach's step). `--cases` copies
of them are written in bulk as `polku seed` writes its copies (polku.seed_clone: new ids, clients,
task UUIDs; same dates). A period runs 2026-01-05..2026-05-01, so a case has 15 weekly reviews
before its need reassessment (a different step) is due.

One step, as a coach does it: the inbox lookup of the case's ready tasks (`queries.tasks_for`, what
`polku tasks --as COACH --instance ID` runs), then `tasks.complete` in a UnitOfWork with the runtime,
committed, exactly as the CLI and the web do, with valid form data: one meeting on the open week's
Monday, no absence. The step's clock is that Monday at noon (the week's due date, from the inbox row,
says which week is open), so the review is lawful (not a future week, meeting inside the week and
the period) and no timer falls due. Completing runs the form checks (field types, the
weekly_review_rules DMN), the handlers `record_week` (weekly_reviews, meetings rows) and
`open_week` (the next week), the boundary timer's rows, the task rows, the audit row.

Measurement. For each process count P, P worker processes each take a disjoint share of the cases
and go round them, one step per case in turn (a case with no review left leaves the round). Each
worker warms up (`--warmup` s), then all start together and step for `--duration` s. Bare and Polku
alternate per P so the machine's noise hits both alike.

Bare SpiffWorkflow does, per step: deserialize the JSON state (the task tree and data; the parsed
spec stays in memory, as Polku keeps it per version, so bare pays no spec serialization) → find the
ready `weekly_review` task → set the same form data and run it → engine steps, with the two service
tasks of the loop (`record_week`, `open_week`) completed by in-memory stand-ins that set the same
process variables as the real handlers (domain.weeks' pure week arithmetic; no rows) → serialize.
Same spec (Polku's parser, for its clock-aware timers; a plain script engine), same clock per step.
Bare has no database, no inbox lookup, no form validation or DMN check, no domain rows, no audit.

Columns:
    processes        worker processes P
    bare steps/s     bare SpiffWorkflow steps completed in the window ÷ seconds, all workers together
    Polku steps/s    Polku steps (inbox lookup + complete + commit) completed in the window ÷ seconds
    ratio            bare steps/s ÷ Polku steps/s (how many times costlier a Polku step is)
    p50 ms, p95 ms   Polku step latency (lookup + complete + commit), over all workers' steps
    SQL/step         statements a Polku step sends (lookup included; BEGIN, COMMIT and the
                     pool's pre-ping at each checkout are round trips not counted here), in the window
    bare cpu         CPU ms of the bare workers' processes a step, over the window
    Polku cpu        CPU ms of the Polku workers' processes a step (the client side: Python, SpiffWorkflow,
                     SQLAlchemy, psycopg; the database server's CPU is not in it). On 2 cores, 2000 ÷ (CPU
                     ms a step, client and server) bounds the steps/s
    db cpu           CPU ms of the PostgreSQL server processes serving the Polku workers' connections a
                     step (from /proc: the server on this machine; nan on SQLite or a remote server;
                     the WAL writer and other background processes not included)
    errors           Polku steps that raised (rolled back; a conflict would be one), by kind below
    ack = stored     steps each worker saw committed (warm-up included) = new complete audit rows =
                     new completed weekly_review task rows = new weekly_reviews rows; "ok" when all
                     four agree (no lost update), else the four numbers

Below the table, CPU a step (medians over the rows) and the steps/s it allows on this machine's
cores. CPU a step moves less with the machine's load than steps/s and latencies do, but it moves too
(shared cores and caches: bare's was 4.8 ms on a calmer moment, 9 ms at a load average of 9).

The machine is shared (2 cores): quote medians of several runs, and compare ratios measured side by
side rather than figures of separate runs.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import math
import multiprocessing as mp
import os
import pstats
import queue
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/polku_bench_tp"

# The step both variants take, and the bare variant (bench/throughput_bare.py, beside this file).
from throughput_bare import (  # noqa: E402
    BARE_CASES,
    LAST_MONDAY_BEFORE,
    PROCESS,
    STEP,
    BareStepper,
    bare_material,
    noon,
    review_data,
)
from throughput_prep import prepare, stored_counts  # noqa: E402  (the database, beside this file)


# --- Polku worker ------------------------------------------------------------------------------
class PolkuStepper:
    """One worker's steps: the coach's inbox lookup for the case, then `complete`, committed."""

    def __init__(self, url: str):
        from polku.engine.db import make_engine
        from polku.wiring import build_runtime

        self.engine, self.runtime = make_engine(url), build_runtime()
        self.statements = self.after_lookup = 0
        # Every statement, the engine's precompiled ones included, goes through SQLAlchemy's
        # connection: its event sees them all (a counter costs next to nothing against a round trip).
        event.listen(self.engine, "before_cursor_execute", self._count)

    def backend_pid(self) -> int | None:
        """The PostgreSQL server process of this worker's connection (one: the worker steps one at a
        time, and the pool hands back the connection it last took)."""
        if self.engine.dialect.name != "postgresql":
            return None
        with self.engine.connect() as conn:
            return int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())

    def _count(self, *args: Any) -> None:
        self.statements += 1

    def step(self, iid: int, coach: str) -> bool:
        """True: one review completed; False: the case has no lawful review left (leaves the round)."""
        from polku.engine import queries, tasks
        from polku.engine.clock import Clock, FixedClock
        from polku.engine.db import UnitOfWork

        with UnitOfWork(self.engine, Clock(), write=False) as uow:
            rows = [t for t in queries.tasks_for(uow, coach, iid) if t["element_id"] == STEP]
        self.after_lookup = self.statements
        if not rows:
            return False
        due = datetime.fromisoformat(rows[0]["due_at"]).date()  # the open week's Sunday, end of day
        monday = due - timedelta(days=due.weekday())
        if monday >= LAST_MONDAY_BEFORE:
            return False
        with UnitOfWork(self.engine, FixedClock(noon(monday)), origin="bench") as uow:
            tasks.complete(uow, self.runtime, coach, rows[0]["id"], review_data(monday))
            uow.commit()
        return True


# --- the workers -------------------------------------------------------------------------------
def worker(kind: str, url: str, share: list[tuple[int, str]], bare: tuple[str, dict] | None, warmup: float,
           duration: float, barrier, results, profile: str | None = None) -> None:
    if kind == "bare":
        stepper = BareStepper(*bare)
        states = [stepper.initial] * BARE_CASES  # in memory, a few dozen cases suffice

        def one(k: int) -> bool:
            nxt = stepper.step(states[k])
            states[k] = nxt if nxt is not None else stepper.initial  # a spent case starts again
            return True
        round_ = list(range(len(states)))
    else:
        stepper = PolkuStepper(url)

        def one(k: int) -> bool:
            return stepper.step(*share[k])
        round_ = list(range(len(share)))
    acked = errors = 0
    kinds: dict[str, int] = {}
    spent: list[int] = []
    pos = sql = 0

    def run_until(deadline: float, times: list[float] | None) -> int:
        nonlocal acked, errors, pos, sql
        steps = 0
        while round_:
            pos %= len(round_)
            k = round_[pos]
            before = getattr(stepper, "statements", 0)
            t0 = time.perf_counter()
            try:
                ok = one(k)
            except Exception as exc:  # counted and shown; the step was rolled back
                errors += 1
                name = type(exc).__name__
                if name not in kinds:
                    print(f"{kind} worker: {name}: {exc}", file=sys.stderr)
                kinds[name] = kinds.get(name, 0) + 1
                pos += 1
                if time.perf_counter() > deadline:
                    break
                continue
            t1 = time.perf_counter()
            if not ok:
                spent.append(share[k][0])
                round_.pop(pos)
                continue
            acked += 1
            pos += 1
            if t1 > deadline:
                break
            steps += 1
            if times is not None:
                times.append(t1 - t0)
                sql += getattr(stepper, "statements", 0) - before
        return steps

    run_until(time.perf_counter() + warmup, None)
    barrier.wait()
    times: list[float] = []
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    pid = stepper.backend_pid() if kind == "polku" else None
    server = _process_cpu(pid)
    start, cpu = time.perf_counter(), time.process_time()
    steps = run_until(start + duration, times)
    cpu = time.process_time() - cpu
    server = _process_cpu(pid) - server if pid is not None and pid == stepper.backend_pid() else float("nan")
    elapsed = min(time.perf_counter() - start, duration)
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    results.put({"kind": kind, "steps": steps, "statements": sql, "cpu": cpu, "server": server, "elapsed": elapsed,
                 "times": times, "acked": acked, "errors": errors, "error_kinds": kinds, "spent": spent,
                 "dry": not round_})


def _process_cpu(pid: int | None) -> float:
    """CPU seconds (user + system) of a process on this machine, or NaN when it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(kind: str, url: str, cases: list[tuple[int, str]], procs: int, bare, warmup: float, duration: float,
        profile: str | None = None) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(procs), ctx.Queue()
    workers = [ctx.Process(target=worker, args=(kind, url, cases[i::procs], bare, warmup, duration, barrier,
                                                results, profile if i == 0 else None)) for i in range(procs)]
    for w in workers:
        w.start()
    got: list[dict[str, Any]] = []
    while len(got) < procs:
        try:
            got.append(results.get(timeout=1))
        except queue.Empty:
            if any(w.exitcode for w in workers):  # it printed its traceback; the others wait at the barrier
                for w in workers:
                    w.terminate()
                raise SystemExit(f"a {kind} worker failed") from None
    for w in workers:
        w.join()
    times = sorted(t for g in got for t in g["times"])
    kinds: dict[str, int] = {}
    for g in got:
        for k, v in g["error_kinds"].items():
            kinds[k] = kinds.get(k, 0) + v
    steps = sum(g["steps"] for g in got)
    return {"rate": steps / duration, "times": times, "cpu": sum(g["cpu"] for g in got) / max(steps, 1),
            "sql": sum(g["statements"] for g in got) / max(steps, 1),
            "server": sum(g["server"] for g in got) / max(steps, 1),
            "acked": sum(g["acked"] for g in got), "errors": sum(g["errors"] for g in got), "error_kinds": kinds,
            "spent": {s for g in got for s in g["spent"]}, "dry": any(g["dry"] for g in got)}


def show_statements(url: str, pool: list[tuple[int, str]]) -> None:
    """The statements one Polku step sends, in order, each cut to a line (the lookup's marked)."""
    stepper, seen = PolkuStepper(url), []

    def keep(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(stepper.engine, "before_cursor_execute", keep)
    for iid, coach in pool:
        seen.clear()
        if stepper.step(iid, coach):
            break
    lookup = stepper.after_lookup - (stepper.statements - len(seen))
    print(f"statements of one Polku step ({lookup} for the inbox lookup, {len(seen) - lookup} for complete):")
    for i, sql in enumerate(seen, 1):
        print(f"  {i:>2} {'lookup' if i <= lookup else 'step':<6} {sql[:150]}")


def _cpu_summary(rows: list[tuple[Any, ...]]) -> None:
    """CPU a step, medians over the rows: what bounds steps/s on this machine whatever else runs."""
    bare = statistics.median(b["cpu"] for _p, b, _r, _s, _ok in rows) * 1e3
    client = statistics.median(r["cpu"] for _p, _b, r, _s, _ok in rows) * 1e3
    server = statistics.median(r["server"] for _p, _b, r, _s, _ok in rows) * 1e3
    total = client + (0.0 if math.isnan(server) else server)
    cores = os.cpu_count() or 1
    print(f"CPU a step (medians): bare {bare:.2f} ms; Polku {client:.2f} ms in the worker"
          + ("" if math.isnan(server) else f" + {server:.2f} ms in the database server") + f" = {total:.2f} ms, "
          f"{total / bare:.2f}x bare; with {cores} cores that bounds bare to {cores * 1000 / bare:.0f} and "
          f"Polku to {cores * 1000 / total:.0f} steps/s")


def _ms(times: list[float], q: float) -> float:
    if not times:
        return float("nan")
    return times[min(len(times) - 1, int(q * len(times)))] * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", default=DEFAULT_URL,
                    help="PostgreSQL URL (database name must contain 'bench'; dropped and made again), "
                         "or 'sqlite' for a temp file")
    ap.add_argument("--processes", default=None, help="comma-separated process counts (default 1,2,4; SQLite 1)")
    ap.add_argument("--duration", type=float, default=20.0, help="measured seconds per variant and P")
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds of steps before the window")
    ap.add_argument("--cases", type=int, default=None, help="job-coaching cases to prepare (15 reviews each)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 2 s windows, few cases")
    ap.add_argument("--sql", action="store_true", help="afterwards, list the statements of one Polku step")
    ap.add_argument("--profile", type=float, default=0.0, metavar="SECONDS",
                    help="afterwards, cProfile one Polku worker for SECONDS and print the top entries")
    args = ap.parse_args()
    sqlite = args.database_url.startswith("sqlite")
    procs = [int(p) for p in (args.processes or ("1" if sqlite else "1,2,4")).split(",")]
    if args.quick:
        args.duration, args.warmup = min(args.duration, 2.0), min(args.warmup, 0.5)
    # Enough reviews for every window at a generous 500 steps/s, 15 reviews a case.
    cases = args.cases or max(20, int(500 * (args.duration + args.warmup) * len(procs) / 15 * 1.2))
    with tempfile.TemporaryDirectory(prefix="polku-bench-tp-") as tmp:
        bench(args, procs, cases, Path(tmp))


def bench(args: argparse.Namespace, procs: list[int], cases: int, workdir: Path) -> None:
    t0 = time.perf_counter()
    pool = prepare(args.database_url, cases, workdir)
    url = f"sqlite:///{workdir / 'throughput.db'}" if args.database_url in ("sqlite", "sqlite:") else args.database_url
    print(f"prepared {len(pool)} job-coaching cases at their weekly review on "
          f"{url.split('@')[-1]} in {time.perf_counter() - t0:.1f} s")
    bare = bare_material(url, pool[0][0])
    rows = []
    for p in procs:
        b = run("bare", url, pool, p, bare, args.warmup, args.duration)
        before = stored_counts(url)
        r = run("polku", url, pool, p, None, args.warmup, args.duration)
        after = stored_counts(url)
        stored = [a - b_ for a, b_ in zip(after, before, strict=True)]
        ok = all(s == r["acked"] for s in stored)
        pool = [c for c in pool if c[0] not in r["spent"]]
        rows.append((p, b, r, stored, ok))
        if r["dry"]:
            print(f"warning: a worker ran out of cases with P={p}; use more --cases", file=sys.stderr)
    print(f"step: {PROCESS} {STEP} (inbox lookup + complete + commit) on {url.split('+')[0].split(':')[0]}; "
          f"{args.duration:g} s windows after {args.warmup:g} s warm-up")
    print(f"{'processes':>9} {'bare steps/s':>13} {'Polku steps/s':>14} {'ratio':>7} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'SQL/step':>9} {'bare cpu':>9} {'Polku cpu':>10} {'db cpu':>7} {'errors':>7}  ack = stored")
    failed = False
    for p, b, r, stored, ok in rows:
        check = "ok" if ok else f"MISMATCH ack {r['acked']} audit {stored[0]} tasks {stored[1]} reviews {stored[2]}"
        failed |= not ok
        print(f"{p:>9} {b['rate']:>13.1f} {r['rate']:>14.1f} {b['rate'] / max(r['rate'], 1e-9):>7.2f} "
              f"{_ms(r['times'], 0.5):>8.2f} {_ms(r['times'], 0.95):>8.2f} {r['sql']:>9.1f} "
              f"{b['cpu'] * 1e3:>9.2f} {r['cpu'] * 1e3:>10.2f} {r['server'] * 1e3:>7.2f} "
              f"{r['errors']:>7}  "
              f"{r['acked']} = {stored[0]} ({check})")
    for p, _b, r, _s, _ok in rows:
        if r["error_kinds"]:
            print(f"errors with P={p}: " + ", ".join(f"{k} {v}" for k, v in sorted(r["error_kinds"].items())))
    _cpu_summary(rows)
    if args.sql:
        show_statements(url, pool)
    if args.profile:
        path = str(workdir / "worker.prof")
        run("polku", url, pool, 1, None, 0.5, args.profile, profile=path)
        out = io.StringIO()
        stats = pstats.Stats(path, stream=out)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(15)
        print(f"cProfile of one Polku worker, {args.profile:g} s, top entries by cumulative time, then by own time:")
        print(out.getvalue())
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
