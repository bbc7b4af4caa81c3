"""Retention (R16, 380/2023 §122(1)): four years after the client relationship ends, `polku purge`
removes the person's cases from every table; `--dry-run` lists them and changes nothing."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from polku.domain import retention
from polku.domain.models import Client, Referral
from polku.engine.models import AuditEvent, Base
from tests.scenarios.conftest import HETU, at

OTHER = "010594Y9021"


def _terminate(case, day: str) -> None:
    case.polku("terminate", case.id, "--as", "boss", "--reason", "client moved away", now=at(day))


def _rows_naming(db_engine, case_id: int) -> dict[str, int]:
    """Rows of every table except the audit trail that name the case by `instance_id`."""
    found = {}
    with db_engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if "instance_id" in table.columns and table.name not in retention.KEPT_TABLES:
                n = conn.scalar(select(func.count()).select_from(table).where(table.c.instance_id == case_id))
                if n:
                    found[table.name] = n
    return found


def _counts(db_engine) -> dict[str, int]:
    with db_engine.connect() as conn:
        return {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in inspect(db_engine).get_table_names()}


def test_nothing_goes_before_four_years_and_dry_run_changes_nothing(refer, coaching, db_engine):
    case = refer()
    case.accept()
    _terminate(case, "2026-02-02")
    before = _counts(db_engine)
    early = coaching.json("purge", "--dry-run", now=at("2030-02-01"))
    assert (early["due"], early["dry_run"]) == ([], True)
    listed = coaching.json("purge", "--dry-run", now=at("2030-02-02"))
    assert listed["due"] == [{"cases": [case.id], "clients": listed["due"][0]["clients"],
                              "relationship_ended": "2026-02-02", "removable_from": "2030-02-02"}]
    assert _counts(db_engine) == before
    assert case.polku("purge", "--dry-run", now=at("2030-02-02")).stdout.splitlines()[-1] == \
        "would remove 1 case(s) of 1 person(s); kept 0 person(s) with a case still open"


def test_purge_removes_every_row_of_the_case_and_the_client_and_audits_it(refer, coaching, db_engine):
    case = refer(health_consent=True, health_information="Back pain; no lifting")
    case.accept()
    case.set_goals()
    _terminate(case, "2026-02-10")
    assert _rows_naming(db_engine, case.id)  # periods, goals' period, referral, tasks, outbox...
    done = coaching.json("purge", now=at("2030-02-10"))
    assert done["removed_rows"]["clients"] == 1 and done["removed_rows"]["instances"] == 1
    assert _rows_naming(db_engine, case.id) == {}
    with Session(db_engine) as s:
        assert s.scalar(select(func.count()).select_from(Client)) == 0
        [row] = s.scalars(select(AuditEvent).where(AuditEvent.action == "purge_case")).all()
    assert (row.instance_id, row.actor, row.origin) == (case.id, "operator", "cli")
    assert row.details["relationship_ended"] == "2026-02-10" and row.details["rows"]["goals"] == 3
    # The trail is untouched and still proves itself; it holds nothing of the person.
    assert coaching.json("audit", "verify")["ok"] is True
    with Session(db_engine) as s:
        trail = " ".join(str(r.details) for r in s.scalars(select(AuditEvent)))
    assert HETU not in trail and "Meikäläinen" not in trail and "Back pain" not in trail
    # The case is gone for everyone; the person's access-log export finds no case any more.
    assert coaching.refused("show", case.id, "--as", "off1", "--json").json["code"] == "not_found"
    assert coaching.json("audit", "client", HETU)["cases"] == []
    # Run again: nothing left to do.
    assert coaching.json("purge", now=at("2030-02-11"))["due"] == []


def test_an_open_case_keeps_the_persons_every_case(refer, coaching, db_engine):
    old = refer()
    _terminate(old, "2026-01-06")
    # The same person referred again after the first period's planned end; the new case is still open.
    new = refer(planned_start="2026-06-01", planned_end="2026-08-31", now=at("2026-05-20"))
    assert new.status == "running", new.data.get("refusal_reason")
    report = coaching.json("purge", now=at("2031-01-01"))
    assert (report["due"], report["held_open"]) == ([], 1)
    assert _rows_naming(db_engine, old.id)
    # Once the new case ends, the clock starts from its end.
    _terminate(new, "2026-06-10")
    assert coaching.json("purge", "--dry-run", now=at("2030-06-09"))["due"] == []
    assert coaching.json("purge", now=at("2030-06-10"))["due"][0]["cases"] == [old.id, new.id]
    assert _rows_naming(db_engine, old.id) == {} and _rows_naming(db_engine, new.id) == {}


def test_a_refused_referral_goes_after_four_years_and_other_peoples_cases_stay(refer, coaching, db_engine):
    refused = refer(client_hetu=OTHER, planned_end="2026-01-20")  # R1_short: ends at once, no client row
    assert refused.status == "completed"
    kept = refer()
    kept.accept()
    report = coaching.json("purge", now=at("2030-01-05"))
    assert [d["cases"] for d in report["due"]] == [[refused.id]] and report["due"][0]["clients"] == []
    with Session(db_engine) as s:
        assert s.scalars(select(Referral.instance_id)).all() == [kept.id]
    assert kept.status == "running" and _rows_naming(db_engine, kept.id)


@pytest.mark.parametrize(("ended", "removable"), [
    ("2026-02-02", "2030-02-02"), ("2024-02-29", "2028-02-29"), ("2096-02-29", "2100-03-01")])
def test_four_years_are_counted_in_calendar_days(ended, removable):
    assert retention.removable_from(date.fromisoformat(ended)) == date.fromisoformat(removable)
