"""Migration 0007a on a database made before it: notices already raised stay open (nobody has
acknowledged them), and the acknowledgement columns go again on downgrade."""
from __future__ import annotations

from datetime import datetime, timezone

from alembic import command
from sqlalchemy import inspect, text

from polku.engine.db import make_engine
from polku.schema import alembic_config

AT = datetime(2026, 1, 5, 9, tzinfo=timezone.utc).replace(tzinfo=None)


def test_existing_notices_stay_open_and_downgrade_drops_the_columns(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0006b")
        conn.execute(text("INSERT INTO notices (instance_id, kind, recipient_role, created_at, details)"
                          " VALUES (3, 'week_without_meeting', 'manager', :at, '{}')"), {"at": AT})
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0007a")
    with engine.connect() as conn:
        row = conn.execute(text("SELECT kind, acknowledged_at, acknowledged_by FROM notices")).one()
    assert tuple(row) == ("week_without_meeting", None, None)
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0006b")
    assert {"acknowledged_at", "acknowledged_by"}.isdisjoint(c["name"] for c in inspect(engine).get_columns("notices"))
    engine.dispose()
