"""Migration 0014a on a database made before it: the area of a refused referral is linked with the
provider the referral named, both ways round, each pair once (a pair already there is kept); a
refusal naming no provider links nothing; downgrade leaves the pairs."""
from __future__ import annotations

import sqlite3
from contextlib import closing

from alembic import command
from sqlalchemy import text

from polku.engine.db import make_engine
from polku.schema import alembic_config


def _pairs(conn) -> list[tuple[int, int]]:
    return [tuple(p) for p in conn.execute(text("SELECT organisation_id, linked_id FROM organisation_links "
                                                "ORDER BY 1, 2"))]


def test_refused_referrals_link_their_area_and_provider(tmp_path):
    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0013a")
    # Written without the foreign keys checked (sqlite3's default): the migration reads these tables only.
    with closing(sqlite3.connect(path)) as raw, raw:
        raw.executemany("INSERT INTO organisations (id, name, kind) VALUES (?, ?, ?)",
                        [(1, "Area", "area"), (2, "Provider A", "provider"), (3, "Provider B", "provider"),
                         (4, "Other area", "area")])
        raw.executemany("INSERT INTO instance_organisations (instance_id, organisation_id) VALUES (?, ?)",
                        [(10, 1), (10, 2), (11, 1), (12, 4), (13, 1), (14, 1)])
        raw.executemany("INSERT INTO organisation_links (organisation_id, linked_id) VALUES (?, ?)", [(1, 2), (2, 1)])
        referrals = [(10, 2, "accepted"), (11, 3, "refused"), (12, 2, "refused"), (13, 2, "refused"),
                     (14, None, "refused")]
        raw.executemany("INSERT INTO referrals (instance_id, provider_organisation_id, outcome, identity_code, "
                        "temporary_code, name, name_search, health_consent, planned_start, planned_end, figures, "
                        "submitted_by, submitted_at, responsible_official) VALUES (?, ?, ?, 'x', 0, 'n', ' n', 0, "
                        "'2026-01-05', '2026-03-05', '{}', 'off1', '2026-01-05 09:00:00', 'off1')", referrals)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0014a")
        assert _pairs(conn) == [(1, 2), (1, 3), (2, 1), (2, 4), (3, 1), (4, 2)]
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0013a")
        assert len(_pairs(conn)) == 6
    engine.dispose()
