"""Migration 0008d on a database made before it: notices already raised name no task, a deadline
notice's (task, kind) is unique, and the column goes again on downgrade."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from polku.engine.db import make_engine
from polku.schema import alembic_config

AT = datetime(2026, 1, 5, 9, tzinfo=timezone.utc).replace(tzinfo=None)
INSERT = text("INSERT INTO notices (instance_id, kind, recipient_role, created_at, details, task_id)"
              " VALUES (3, 'task_due_soon', 'coach', :at, '{}', :task)")


def test_old_notices_name_no_task_one_notice_of_a_kind_per_task_and_downgrade(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0007a")
        conn.execute(text("INSERT INTO notices (instance_id, kind, recipient_role, created_at, details)"
                          " VALUES (3, 'week_without_meeting', 'manager', :at, '{}')"), {"at": AT})
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0008d")
        assert conn.execute(text("SELECT kind, task_id FROM notices")).one() == ("week_without_meeting", None)
        conn.execute(INSERT, {"at": AT, "task": "t-1"})
        conn.execute(INSERT, {"at": AT, "task": None})
        conn.execute(INSERT, {"at": AT, "task": None})  # notices naming no task never collide
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(INSERT, {"at": AT, "task": "t-1"})
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0007a")
    assert "task_id" not in {c["name"] for c in inspect(engine).get_columns("notices")}
    engine.dispose()
