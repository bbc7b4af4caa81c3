"""What the hash-chained audit trail costs under concurrency: steps a second with several writers
on PostgreSQL, the trail chained per case (as built) against one global chain (every command
behind one head row's lock), which is what the per-case chain avoids (docs/security.md).

Each writer thread drives its own instances of the four-step process through `complete`.
Usage: POLKU_BENCH_DATABASE_URL=postgresql+psycopg://... python bench/audit_chain.py [--threads 4]
(the per-step cost against bare SpiffWorkflow, one writer, is bench/step_overhead.py).
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from step_overhead import Polku  # noqa: E402

from polku.engine import audit  # noqa: E402


def throughput(polku: Polku, threads: int, instances: int) -> float:
    """Steps per second with `threads` writers, each completing `instances` instances."""
    def work() -> None:
        for _ in range(instances):
            polku.run_instance()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    t0 = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return threads * instances * 4 / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--instances", type=int, default=15, help="per thread")
    args = ap.parse_args()
    url = os.environ.get("POLKU_BENCH_DATABASE_URL") or os.environ.get("POLKU_TEST_DATABASE_URL")
    if not url:
        sys.exit("set POLKU_BENCH_DATABASE_URL to a PostgreSQL database (SQLite has one writer anyway)")
    polku = Polku(url)
    polku.run_instance()  # warm up
    per_case = audit.chain_of
    print(f"{args.threads} writers × {args.instances} instances × 4 steps, PostgreSQL")
    print(f"{'trail':<28}{'1 writer':>12}{f'{args.threads} writers':>14}  steps/s")
    for name, chain in (("chained per case", per_case), ("one global chain", lambda _a, _i: "global")):
        audit.chain_of = chain  # type: ignore[assignment]
        single = throughput(polku, 1, args.instances)
        many = throughput(polku, args.threads, args.instances)
        print(f"{name:<28}{single:>12.0f}{many:>14.0f}")
    audit.chain_of = per_case


if __name__ == "__main__":
    main()
