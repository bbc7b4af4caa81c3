"""Migration 0013a on a database made before it: each instance gets the count of its ready tasks and
the earliest due time among them (claimed ones counted; completed and cancelled ones not; no due
time: none), an instance with none gets 0 and nothing; downgrade takes the columns away."""
from __future__ import annotations

import sqlite3
from contextlib import closing

from alembic import command
from sqlalchemy import inspect, text

from polku.engine.db import make_engine
from polku.schema import alembic_config


def test_instances_get_their_ready_tasks_count_and_next_due(tmp_path):
    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0012d")
    # Written without the foreign keys checked (sqlite3's default): the migration reads these tables only.
    with closing(sqlite3.connect(path)) as raw, raw:
        raw.executemany("INSERT INTO instances (id, definition_id, process_key, version, status, lock_version, state, "
                        "started_at, started_by, updated_at) VALUES (?, 1, 'p', 1, ?, 1, x'', "
                        "'2026-01-05 09:00:00', 'x', '2026-01-05 09:00:00')",
                        [(10, "running"), (11, "running"), (12, "completed")])
        tasks = [("a", 10, None, "ready", "2026-01-09 21:59:59.000000"),
                 ("b", 10, "off1", "ready", "2026-01-07 21:59:59.000000"),
                 ("c", 10, None, "completed", "2026-01-06 21:59:59.000000"),
                 ("d", 11, None, "ready", None), ("e", 12, None, "cancelled", "2026-01-06 21:59:59.000000")]
        raw.executemany("INSERT INTO human_tasks (id, instance_id, element_id, assignee, state, due_at, "
                        "candidate_groups, fields, created_at) VALUES (?, ?, 'step', ?, ?, ?, '[]', '[]', "
                        "'2026-01-05 09:00:00')", tasks)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0013a")
        rows = conn.execute(text("SELECT id, open_tasks, next_due_at FROM instances ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(10, 2, "2026-01-07 21:59:59.000000"), (11, 1, None), (12, 0, None)]
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0012d")
    assert {"open_tasks", "next_due_at"}.isdisjoint(c["name"] for c in inspect(engine).get_columns("instances"))
    engine.dispose()
