"""Migration 0004 on a database made before it: deployed versions get their labels and start
event from their stored XML, and earlier referrals a row in `referrals` (the one-time copy of
what their start event recorded)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from alembic import command
from sqlalchemy import text

from polku.engine.db import make_engine
from polku.schema import alembic_config

PROCESS = Path(__file__).resolve().parents[2] / "processes" / "tyohonvalmennus.bpmn"
AT = datetime(2026, 1, 5, 9, tzinfo=timezone.utc).replace(tzinfo=None)


def test_upgrade_backfills_labels_start_events_and_referrals(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0003")
    start = {"client_hetu": "131052-308T", "client_name": "Matti", "client_language": "fi", "municipality": "Espoo",
             "service_need": "Work", "provider": "Valmennus Oy", "planned_start": "2026-01-12",
             "planned_end": "2026-01-20", "health_consent": False, "health_information": "not given with consent"}
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organisations (id, name, kind) VALUES (1, 'Valmennus Oy', 'provider')"))
        conn.execute(text(
            "INSERT INTO process_definitions (id, key, version, name, hash, sources, spec, extensions, deployed_at,"
            " deployed_by) VALUES (1, 'tyohonvalmennus', 1, 'T', 'h', :sources, '{}', :ext, :at, 'd')"),
            {"sources": json.dumps({"tyohonvalmennus.bpmn": PROCESS.read_text(encoding="utf-8")}),
             "ext": json.dumps({"tyohonvalmennus": {"start_form": []}}), "at": AT})
        conn.execute(text("INSERT INTO audit_events (at, actor, action, instance_id, details)"
                          " VALUES (:at, 'off1', 'start', 7, :details)"),
                     {"at": AT, "details": json.dumps({"data": start})})
        conn.execute(text("INSERT INTO eligibility_decisions (instance_id, client_id, decided_at, eligible, reason,"
                          " details) VALUES (7, NULL, :at, 0, 'R1_short', :details)"),
                     {"at": AT, "details": json.dumps({"planned_days": 9})})
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    with engine.connect() as conn:
        labels, extensions = conn.execute(text("SELECT labels, extensions FROM process_definitions")).one()
        referral = conn.execute(text("SELECT * FROM referrals")).mappings().one()
    assert json.loads(labels)["record_goals"] == "Tallenna tavoitteet"
    assert json.loads(extensions)["tyohonvalmennus"] == {"start_form": [], "start_event": "referral"}
    assert (referral["instance_id"], referral["outcome"], referral["refusal_reason"]) == (7, "refused", "R1_short")
    assert (referral["name"], referral["identity_code"], referral["municipality"]) == ("Matti", "131052-308T", "Espoo")
    assert (referral["provider_organisation_id"], referral["submitted_by"]) == (1, "off1")
    assert referral["health_information"] is None  # R10: not without consent
    assert json.loads(referral["figures"]) == {"planned_days": 9}
    with engine.begin() as conn:  # and back down
        command.downgrade(alembic_config(conn), "0003")
    engine.dispose()
