"""bench/throughput.py runs end to end on SQLite: job-coaching cases prepared at their weekly review,
one bare SpiffWorkflow worker and one Polku worker stepping for 2 s each, both making steps, no step
failing, and every acknowledged step stored (audit, task and weekly-review rows) (issue 12)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "throughput.py"


def test_the_throughput_bench_runs_briefly_on_sqlite():
    done = subprocess.run([sys.executable, str(BENCH), "--database-url", "sqlite", "--quick", "--cases", "60"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "prepared 60 job-coaching cases" in done.stdout
    table = done.stdout.split("ack = stored", 1)[1].strip().splitlines()
    row = table[0].split()
    processes, bare, polku, _ratio, _p50, _p95, sql, bare_cpu, cpu, _db_cpu, errors = row[:11]
    acked, _eq, stored, check = row[11:]
    assert processes == "1" and float(bare) > 0 and float(polku) > 0 and float(sql) > 0
    assert float(bare_cpu) > 0 and float(cpu) > 0
    assert errors == "0" and acked == stored and int(acked) > 0 and check == "(ok)"
    assert "CPU a step (medians): bare" in done.stdout
    assert "warning" not in done.stderr, done.stderr
