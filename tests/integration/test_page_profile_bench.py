"""bench/page_profile.py runs end to end on a small SQLite database: each hot page answered (the
completion redirects), with its CPU time and SQL statement count, and cProfile's report of one
page (issue 12)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "page_profile.py"


def test_the_page_profile_bench_runs_briefly_on_sqlite(tmp_path):
    done = subprocess.run([sys.executable, str(BENCH), "--cases", "40", "--requests", "2", "--profile", "case",
                           "--top", "5", "--workdir", str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = {line.split()[0]: line.split() for line in done.stdout.splitlines()
            if line.split() and line.split()[0] in ("inbox", "task", "complete", "case")}
    assert set(rows) == {"inbox", "task", "complete", "case"}
    assert rows["complete"][4] == "[302]" and rows["inbox"][4] == "[200]"
    assert all(int(row[3]) > 0 for row in rows.values())  # statements counted
    assert "Ordered by: cumulative time" in done.stdout
