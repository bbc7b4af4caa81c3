"""Migration 0006b on a database made before it: clients and referrals already there get their
`name_search` (the case list's name search finds them), and the column goes again on downgrade."""
from __future__ import annotations

from datetime import datetime, timezone

from alembic import command
from sqlalchemy import inspect, text

from polku.engine.db import make_engine
from polku.schema import alembic_config

AT = datetime(2026, 1, 5, 9, tzinfo=timezone.utc).replace(tzinfo=None)


def test_upgrade_fills_the_search_names_of_existing_clients_and_referrals(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0005")
        conn.execute(text("INSERT INTO clients (id, identity_code, temporary_code, name, language, municipality,"
                          " created_at) VALUES (1, '131052-308T', 0, 'Matti Meikäläinen', 'fi', 'Espoo', :at)"),
                     {"at": AT})
        conn.execute(text(
            "INSERT INTO referrals (instance_id, client_id, identity_code, temporary_code, name, health_consent,"
            " planned_start, planned_end, outcome, figures, submitted_by, submitted_at)"
            " VALUES (7, NULL, '010594Y9021', 0, 'Anna-Liisa Östman', 0, '2026-01-12', '2026-01-20', 'refused',"
            " '{}', 'off1', :at)"), {"at": AT})
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0006b")
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT name_search FROM clients")) == " matti meikalainen"
        assert conn.scalar(text("SELECT name_search FROM referrals")) == " anna liisa ostman"
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0005")
    assert "name_search" not in {c["name"] for c in inspect(engine).get_columns("clients")}
    engine.dispose()
