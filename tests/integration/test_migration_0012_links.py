"""Migration 0012b on a database made before it: the organisations that already share an instance
are linked both ways round (each pair once, however many instances they share), and downgrade drops
the table."""
from __future__ import annotations

import sqlite3
from contextlib import closing

from alembic import command
from sqlalchemy import inspect, text

from polku.engine.db import make_engine
from polku.schema import alembic_config


def test_existing_instances_link_their_organisations(tmp_path):
    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0012a")
    # Written without the foreign keys checked (sqlite3's default): the migration reads the links only.
    with closing(sqlite3.connect(path)) as raw, raw:
        raw.executemany("INSERT INTO organisations (id, name, kind) VALUES (?, ?, ?)",
                        [(1, "Area", "area"), (2, "Provider A", "provider"), (3, "Provider B", "provider"),
                         (4, "Other area", "area")])
        raw.executemany("INSERT INTO instance_organisations (instance_id, organisation_id) VALUES (?, ?)",
                        [(10, 1), (10, 2), (11, 1), (11, 2), (12, 1), (12, 3), (13, 4)])
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0012b")
        pairs = conn.execute(text("SELECT organisation_id, linked_id FROM organisation_links ORDER BY 1, 2")).all()
    assert [tuple(p) for p in pairs] == [(1, 2), (1, 3), (2, 1), (3, 1)]
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0012a")
    assert "organisation_links" not in inspect(engine).get_table_names()
    engine.dispose()
