"""Migration 0009d on a trail written before it: the old rows are chained in id order (per case,
per actor), verify finds nothing wrong, new rows continue the chains, and downgrade drops it all."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from polku.engine.audit import record
from polku.engine.audit_verify import verify
from polku.engine.clock import Clock
from polku.engine.db import UnitOfWork, make_engine
from polku.schema import alembic_config

AT = datetime(2026, 1, 5, 9, tzinfo=timezone.utc).replace(tzinfo=None)
OLD = text("INSERT INTO audit_events (at, actor, action, instance_id, task_id, details)"
           " VALUES (:at, :actor, :action, :iid, NULL, '{\"x\": 1}')")


def test_old_rows_are_chained_and_verify_and_downgrade(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0008c")
        for actor, action, iid in [("off1", "start", 1), ("off1", "list_cases", None), ("boss", "suspend", 1),
                                   ("off1", "start", 2)]:
            conn.execute(OLD, {"at": AT, "actor": actor, "action": action, "iid": iid})
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0009d")
        chained = conn.execute(text("SELECT chain, seq FROM audit_events ORDER BY id")).all()
    assert [tuple(r) for r in chained] == [("i1", 1), ("u:off1", 1), ("i1", 2), ("i2", 1)]
    clock = Clock()
    with UnitOfWork(engine, clock) as uow:
        record(uow, "boss", "resume", instance_id=1)
        uow.commit()
    with UnitOfWork(engine, clock, write=False) as uow:
        report = verify(uow)
    assert report.ok and (report.rows, report.chains) == (5, 3)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events"))
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0008c")
        conn.execute(text("DELETE FROM audit_events WHERE id = 1"))  # no trigger any more
    assert "chain" not in {c["name"] for c in inspect(engine).get_columns("audit_events")}
    engine.dispose()
