"""Issue 9, the audit trail that proves itself (through the CLI, on SQLite and PostgreSQL):
rows say who, role, organisation and from where; form values and identity codes stay out;
the database refuses UPDATE and DELETE; `polku audit verify` finds an edited, deleted or
reordered row; `polku audit client HETU` exports one person's access log."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from polku.engine.models import AuditEvent
from tests.conftest import REVIEW_OK, task_of
from tests.scenarios.conftest import HETU, coaching, refer, referral  # noqa: F401

HEALTH = "Diabetes, insulin twice a day"


def _rows(db_engine) -> list:
    with db_engine.connect() as conn:
        return conn.execute(select(AuditEvent).order_by(AuditEvent.id)).all()


def test_a_row_says_who_with_which_role_and_organisation_from_where(sample, db_engine):
    iid = sample.json("start", "sample_case", "--as", "off1")["id"]
    row = _rows(db_engine)[-1]
    assert (row.action, row.actor, row.instance_id) == ("start", "off1", iid)
    assert (row.role, row.organisation, row.origin) == ("official", "Area 1", "cli")
    assert (row.chain, row.seq) == (f"i{iid}", 1)


def test_a_completed_form_leaves_its_field_names_not_its_values(sample, db_engine):
    iid = sample.json("start", "sample_case", "--as", "off1")["id"]
    tid = task_of(sample, "off1", "review", iid)["id"]
    sample("complete", tid, "--as", "off1", "--data", json.dumps({**REVIEW_OK, "note": "very private words"}))
    row = _rows(db_engine)[-1]
    assert row.action == "complete" and {*REVIEW_OK, "note"} <= set(row.details["fields"])
    assert "very private words" not in json.dumps([r.details for r in _rows(db_engine)])


def test_no_health_information_or_identity_code_reaches_the_trail(refer, db_engine):
    case = refer(**{"health_consent": True, "health_information": HEALTH})
    case.polku("show", case.id, "--as", "off1")
    trail = json.dumps([[r.details, r.actor, r.task_id] for r in _rows(db_engine)], ensure_ascii=False)
    assert HEALTH not in trail and HETU not in trail
    start = [r for r in _rows(db_engine) if r.action == "start"][-1]
    assert set(referral()) <= set(start.details["fields"])


def test_cli_show_is_a_logged_read(sample, db_engine):
    iid = sample.json("start", "sample_case", "--as", "off1")["id"]
    sample("show", iid, "--as", "off2", "--json")
    row = _rows(db_engine)[-1]
    assert (row.action, row.actor, row.instance_id, row.role) == ("show", "off2", iid, "official")
    sample("show", iid)
    assert (_rows(db_engine)[-1].action, _rows(db_engine)[-1].actor) == ("show", "operator")


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET actor = 'someone else'",
                                       "DELETE FROM audit_events"])
def test_the_database_refuses_to_change_or_delete_audit_rows(sample, db_engine, statement):
    sample.json("start", "sample_case", "--as", "off1")
    before = len(_rows(db_engine))
    with pytest.raises(DBAPIError, match="append-only"), db_engine.begin() as conn:
        conn.execute(text(statement))
    assert len(_rows(db_engine)) == before and {r.actor for r in _rows(db_engine)} != {"someone else"}


# --- tampering, with the trigger out of the way (as a database administrator could) ----------
@pytest.fixture
def tamper(sample, db_engine):
    """Three commands on one case (one chain of three rows) and a way to run raw SQL on the trail
    with its triggers dropped; they are put back afterwards (PostgreSQL's templates keep the schema)."""
    iid = sample.json("start", "sample_case", "--as", "off1")["id"]
    tid = task_of(sample, "off1", "review", iid)["id"]
    sample("claim", tid, "--as", "off1")
    sample("unclaim", tid, "--as", "off1")
    ids = [r.id for r in _rows(db_engine) if r.instance_id == iid]
    sqlite = db_engine.dialect.name == "sqlite"
    drops = (["DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"] if sqlite else
             ["ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change"])

    def run(*statements: str) -> None:
        with db_engine.begin() as conn:
            for s in [*drops, *statements]:
                conn.execute(text(s.format(first=ids[0], middle=ids[1], last=ids[2])))
            if not sqlite:
                conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change"))

    return sample, run


def _verify(polku):
    result = polku("audit", "verify", "--json", ok=False)
    return result.exit_code, json.loads(result.stdout)


def test_an_untouched_trail_verifies(tamper):
    polku, _run = tamper
    code, report = _verify(polku)
    assert code == 0 and report["ok"] and report["problems"] == [] and report["rows"] >= 3


TAMPERING = {
    "edited": ["UPDATE audit_events SET actor = 'boss' WHERE id = {middle}"],
    "edited details": ["UPDATE audit_events SET details = '{{\"previous\": \"off2\"}}' WHERE id = {last}"],
    "deleted in the middle": ["DELETE FROM audit_events WHERE id = {middle}"],
    "deleted at the end": ["DELETE FROM audit_events WHERE id = {last}"],
    "reordered by number": ["UPDATE audit_events SET seq = 100 WHERE id = {middle}",
                            "UPDATE audit_events SET seq = 2 WHERE id = {last}",
                            "UPDATE audit_events SET seq = 3 WHERE id = {middle}"],
    "reordered by id": ["UPDATE audit_events SET id = 1000000 WHERE id = {middle}",
                        "UPDATE audit_events SET id = {middle} WHERE id = {last}",
                        "UPDATE audit_events SET id = {last} WHERE id = 1000000"],
}
EXPECTED = {"edited": {"edited"}, "edited details": {"edited"}, "deleted in the middle": {"missing", "link"},
            "deleted at the end": {"head"}, "reordered by number": {"edited", "link"},
            "reordered by id": {"order"}}


@pytest.mark.parametrize("kind", list(TAMPERING))
def test_verify_finds_each_kind_of_tampering(tamper, kind):
    polku, run = tamper
    run(*TAMPERING[kind])
    code, report = _verify(polku)
    assert code == 1 and not report["ok"]
    assert EXPECTED[kind] <= {p["kind"] for p in report["problems"]}, report["problems"]
    assert "TAMPERED" in polku("audit", "verify", ok=False).stdout


# --- the data subject's right of access ----------------------------------------------------
def test_a_persons_access_log_lists_every_use_of_their_cases_and_only_theirs(refer, db_engine):
    mine = refer()
    other = refer(client_hetu="010101-123N", client_name="Maija Muukalainen")
    polku = mine.polku
    polku("show", mine.id, "--as", "off2")
    polku("show", other.id, "--as", "off2")
    exported = polku("audit", "client", HETU.lower()).json
    assert exported["identity_code"] == HETU and exported["cases"] == [mine.id]
    events = exported["events"]
    assert {e["action"] for e in events} >= {"start", "show"}
    assert all(e["cases"] == [mine.id] for e in events)
    read = [e for e in events if e["action"] == "show"][0]
    assert (read["actor"], read["role"], read["origin"]) == ("off2", "official", "cli")
    last = _rows(db_engine)[-1]
    assert (last.action, last.actor, last.details) == ("export_access_log", "operator", {"instances": [mine.id]})
    with db_engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.actor == HETU)) == 0


def test_an_invalid_identity_code_is_refused(polku):
    assert polku.refused("audit", "client", "not-a-code").exit_code == 1
