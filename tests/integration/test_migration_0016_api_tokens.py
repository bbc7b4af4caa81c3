"""Migration 0016a on a database made before it: users keep their rows with an empty rest_login_at
(their next /engine-rest login is audited), api_tokens starts empty; downgrade drops both."""
from __future__ import annotations

import sqlite3
from contextlib import closing

from alembic import command
from sqlalchemy import inspect, text

from polku.engine.db import make_engine
from polku.schema import alembic_config


def test_users_get_an_empty_rest_login_and_tokens_a_table(tmp_path):
    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0015a")
    with closing(sqlite3.connect(path)) as raw, raw:
        raw.execute("INSERT INTO users (id, username, display_name, failed_logins, created_at) "
                    "VALUES (1, 'designer1', 'D', 0, '2026-01-05 09:00:00')")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0016a")
        assert conn.execute(text("SELECT username, rest_login_at FROM users")).all() == [("designer1", None)]
        assert conn.execute(text("SELECT count(*) FROM api_tokens")).scalar() == 0
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0015a")
        assert "api_tokens" not in inspect(conn).get_table_names()
        assert "rest_login_at" not in {c["name"] for c in inspect(conn).get_columns("users")}
        assert conn.execute(text("SELECT username FROM users")).all() == [("designer1",)]
    engine.dispose()
