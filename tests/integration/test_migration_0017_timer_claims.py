"""Migration 0017a on a database made before it: timers keep their rows, unclaimed, and the claim's
index on (due_at, id) replaces the one on due_at; downgrade puts both back."""
from __future__ import annotations

import sqlite3
from contextlib import closing

from alembic import command
from sqlalchemy import inspect, text

from polku.engine.db import make_engine
from polku.schema import alembic_config


def test_timers_keep_their_rows_unclaimed_and_get_the_claim_index(tmp_path):
    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0016a")
    with closing(sqlite3.connect(path)) as raw, raw:  # foreign keys off: no instance row needed
        raw.execute("INSERT INTO timers (id, instance_id, element_id, kind, due_at) "
                    "VALUES ('t1', 1, 'remind', 'duration', '2026-01-08 09:00:00')")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0017a")
        assert conn.execute(text("SELECT id, claimed_by, claimed_until FROM timers")).all() == [("t1", None, None)]
        indexes = {i["name"]: i["column_names"] for i in inspect(conn).get_indexes("timers")}
        assert indexes.get("ix_timers_due_at_id") == ["due_at", "id"] and "ix_timers_due_at" not in indexes
    with closing(sqlite3.connect(path)) as raw, raw:  # downgrade copies the table, foreign keys on
        raw.execute("DELETE FROM timers")
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0016a")
        indexes = {i["name"] for i in inspect(conn).get_indexes("timers")}
        assert "ix_timers_due_at" in indexes and "ix_timers_due_at_id" not in indexes
        assert "claimed_by" not in {c["name"] for c in inspect(conn).get_columns("timers")}

