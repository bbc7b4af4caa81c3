"""bench/web_load.py runs end to end: a small SQLite database, `polku serve`, 2 sessions for 2 s,
every page answered without an error, tasks completed through their forms, and the audit trail
verifies after the load (issue 12)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "web_load.py"


def test_the_web_load_bench_runs_briefly_on_sqlite(tmp_path):
    done = subprocess.run([sys.executable, str(BENCH), "--cases", "20", "--servers", "serve", "--sessions", "2",
                           "--duration", "2", "--workdir", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    table = done.stdout.split("server, sessions", 1)[1]
    pages = {"inbox", "task", "complete", "case", "total"}
    rows = {line.split()[3]: line.split() for line in table.splitlines()
            if line.startswith("serve 2 sessions") and line.split()[3] in pages}
    assert set(rows) == pages
    assert int(rows["inbox"][4]) > 0 and int(rows["total"][9]) == 0  # requests made, no errors
    assert int(rows["complete"][4]) > 0  # forms posted: tasks completed, or met by a 409/400 a user meets too
    assert "audit verify: ok" in done.stdout
