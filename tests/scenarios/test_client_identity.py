"""One client, one identity code (issue 8): a referral naming a known identity code under
another name is refused with a field error on the name until the official corrects the name
or confirms the change; a confirmed change renames the client and is recorded as such."""
from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from polku.domain.models import Client, Period, Referral
from polku.engine.models import AuditEvent
from tests.scenarios.conftest import HETU, referral, rows

LATER = {"planned_start": "2026-09-01", "planned_end": "2026-10-30"}  # lawful after the first period


def start(coaching, **overrides):
    return coaching.json("start", "tyohonvalmennus", "--as", "off1", "--data", json.dumps(referral(**overrides)))


def renames(db_engine) -> list:
    with Session(db_engine) as session:
        return session.scalars(select(AuditEvent).where(AuditEvent.action == "rename_client")).all()


def test_a_known_identity_code_under_another_name_is_refused_naming_the_client_name(refer, coaching, db_engine):
    first = refer()
    before = (first.show(), rows(db_engine, Referral), rows(db_engine, Period))
    refused = coaching.refused("start", "tyohonvalmennus", "--as", "off1", "--json", "--data",
                               json.dumps(referral(client_name="Maija Virtanen", **LATER)))
    assert list(refused.json["fields"]) == ["client_name"]
    assert "Matti Meikäläinen" in refused.json["fields"]["client_name"]
    # Nothing created, nothing changed: one instance, the first referral's records as they were.
    assert [i["id"] for i in coaching.json("instances")] == [first.id]
    assert first.show() == before[0]
    assert [r.id for r in rows(db_engine, Referral)] == [r.id for r in before[1]]
    assert [p.id for p in rows(db_engine, Period)] == [p.id for p in before[2]]
    assert [c.name for c in rows(db_engine, Client)] == ["Matti Meikäläinen"]
    assert renames(db_engine) == []
    # Without --json the one error line names the field too.
    plain = coaching.refused("start", "tyohonvalmennus", "--as", "off1", "--data",
                             json.dumps(referral(client_name="Maija Virtanen", **LATER)))
    assert "client_name" in plain.stderr and "Matti Meikäläinen" in plain.stderr


def test_an_unticked_box_is_no_confirmation(refer, coaching):
    refer()
    refused = coaching.refused("start", "tyohonvalmennus", "--as", "off1", "--json", "--data",
                               json.dumps(referral(client_name="Maija Virtanen", confirm_name_change=False, **LATER)))
    assert list(refused.json["fields"]) == ["client_name"]


def test_the_same_name_typed_otherwise_is_not_a_conflict_and_keeps_the_name_on_record(refer, coaching, db_engine):
    refer()
    second = start(coaching, client_name="  matti   MEIKÄLÄINEN ", **LATER)
    assert coaching.json("show", second["id"])["data"]["eligible"] is True
    assert [c.name for c in rows(db_engine, Client)] == ["Matti Meikäläinen"]
    assert renames(db_engine) == []


def test_a_confirmed_change_renames_the_client_and_is_recorded(refer, coaching, db_engine):
    first = refer()
    second = start(coaching, client_name="Matti Meikäläinen-Virtanen", confirm_name_change=True, **LATER)
    assert coaching.json("show", second["id"])["data"]["eligible"] is True
    [client] = rows(db_engine, Client)
    assert (client.identity_code, client.name) == (HETU, "Matti Meikäläinen-Virtanen")
    assert len(rows(db_engine, Period, client_id=client.id)) == 2  # both cases are the one client's
    [event] = renames(db_engine)
    assert (event.actor, event.instance_id) == ("off1", second["id"])
    # Which field changed, not its values (the trail is never erased): the names are the referrals'.
    assert event.details == {"client_id": client.id, "fields": ["name"], "confirmed": True}
    assert [r.name for r in rows(db_engine, Referral)] == ["Matti Meikäläinen", "Matti Meikäläinen-Virtanen"]
    assert event.at is not None
    assert first.status == "running"
    # The new name is the one on record now: the old one is the conflict.
    refused = coaching.refused("start", "tyohonvalmennus", "--as", "off1", "--json", "--data",
                               json.dumps(referral(**{**LATER, "planned_start": "2026-11-02",
                                                      "planned_end": "2026-12-18"})))
    assert "Matti Meikäläinen-Virtanen" in refused.json["fields"]["client_name"]


def test_a_new_identity_code_needs_no_confirmation(refer, coaching, db_engine):
    refer()
    other = start(coaching, client_hetu="010594Y9021", client_name="Maija Virtanen")
    assert coaching.json("show", other["id"])["data"]["eligible"] is True
    assert sorted(c.name for c in rows(db_engine, Client)) == ["Maija Virtanen", "Matti Meikäläinen"]
    assert renames(db_engine) == []
