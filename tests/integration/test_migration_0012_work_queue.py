"""Migration 0012c on a database made before it: the ready, unclaimed tasks are queued in each
organisation of their instance for each of their candidate groups (claimed, completed and cancelled
ones not), and downgrade drops the table."""
from __future__ import annotations

import sqlite3
from contextlib import closing

from alembic import command
from sqlalchemy import inspect, text

from polku.engine.db import make_engine
from polku.schema import alembic_config


def test_waiting_tasks_are_queued_in_their_organisations_for_their_groups(tmp_path):
    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0012b")
    # Written without the foreign keys checked (sqlite3's default): the migration reads these tables only.
    with closing(sqlite3.connect(path)) as raw, raw:
        raw.executemany("INSERT INTO organisations (id, name, kind) VALUES (?, ?, ?)",
                        [(1, "Area", "area"), (2, "Provider", "provider"), (3, "Other area", "area")])
        raw.executemany("INSERT INTO instance_organisations (instance_id, organisation_id) VALUES (?, ?)",
                        [(10, 1), (10, 2), (11, 3)])
        tasks = [("both", 10, None, "ready"), ("claimed", 10, "off1", "ready"), ("done", 10, None, "completed"),
                 ("gone", 10, None, "cancelled"), ("other", 11, None, "ready"), ("nobody", 11, None, "ready")]
        raw.executemany("INSERT INTO human_tasks (id, instance_id, element_id, assignee, candidate_groups, fields, "
                        "state, created_at) VALUES (?, ?, 'step', ?, '[]', '[]', ?, '2026-01-05 09:00:00')", tasks)
        raw.executemany("INSERT INTO task_candidate_groups (task_id, group_name) VALUES (?, ?)",
                        [("both", "official"), ("both", "coach"), ("claimed", "official"), ("done", "official"),
                         ("gone", "coach"), ("other", "official")])
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0012c")
        rows = conn.execute(text("SELECT organisation_id, group_name, task_id FROM work_queue ORDER BY 1, 2, 3")).all()
    assert [tuple(r) for r in rows] == [(1, "coach", "both"), (1, "official", "both"), (2, "coach", "both"),
                                        (2, "official", "both"), (3, "official", "other")]
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0012b")
    assert "work_queue" not in inspect(engine).get_table_names()
    engine.dispose()
