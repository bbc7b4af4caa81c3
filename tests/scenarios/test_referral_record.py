"""The referral as submitted lives in a domain table (`referrals`), written by the process's
handlers in the step's transaction; the labels and the start event of a version are stored at
deploy time. Neither is read back from the audit trail or from XML."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from polku.domain.casefile import case_file
from polku.domain.caselist import case_list
from polku.domain.kpis import TOTAL, dashboard
from polku.domain.models import Client, Referral
from polku.engine import queries
from polku.engine.models import AuditEvent, Organisation, ProcessDefinition
from tests.scenarios.conftest import HETU, OTHER_PROVIDER, PROVIDER, rows

ROOT = Path(__file__).resolve().parents[2]


def test_a_refused_referral_is_recorded_with_its_reason_and_figures(refer, db_engine):
    case = refer(planned_end="2026-01-20", other_services="Work try-out")
    [referral] = rows(db_engine, Referral, instance_id=case.id)
    assert (referral.outcome, referral.refusal_reason, referral.client_id) == ("refused", "R1_short", None)
    assert (referral.identity_code, referral.name, referral.language, referral.municipality) == \
        (HETU, "Matti Meikäläinen", "fi", "Helsinki")
    assert (referral.service_need, referral.other_services) == ("Support to find work in logistics", "Work try-out")
    assert (referral.planned_start.isoformat(), referral.planned_end.isoformat()) == ("2026-01-12", "2026-01-20")
    assert (referral.figures["planned_days"], referral.figures["min_period_days"]) == (9, 14)
    assert (referral.submitted_by, referral.health_consent, referral.health_information) == ("off1", False, None)
    with Session(db_engine) as session:
        provider = session.scalar(select(Organisation.id).where(Organisation.name == PROVIDER))
    assert referral.provider_organisation_id == provider


def test_an_accepted_referral_links_the_client_and_keeps_health_information_given_with_consent(refer, db_engine):
    case = refer(client_hetu="131052-308t", health_consent=True, health_information="Back problems")
    [referral] = rows(db_engine, Referral, instance_id=case.id)
    [client] = rows(db_engine, Client)
    assert (referral.outcome, referral.refusal_reason, referral.client_id) == ("accepted", None, client.id)
    assert referral.identity_code == HETU  # normalised (R13)
    assert (referral.health_consent, referral.health_information) == (True, "Back problems")


def test_the_case_file_of_a_refused_referral_reads_the_referral_not_the_audit_trail(refer, db_engine, uow_factory):
    case = refer(planned_end="2026-01-20", client_hetu="010594Y9021", client_name="Maija Toinen")
    with db_engine.begin() as conn:  # what the audit trail says must not matter to the case file
        if db_engine.dialect.name == "sqlite":  # the trail refuses updates (migration 0009d): undo that here
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
        else:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(update(AuditEvent).where(AuditEvent.action == "start").values(details={}))
    with uow_factory() as uow:
        client = case_file(uow, "off1", case.id)["client"]
    assert client == {"name": "Maija Toinen", "identity_code": "010594Y9021", "temporary": True, "language": "fi",
                      "municipality": "Helsinki"}


def test_labels_and_the_start_event_are_stored_with_the_version(refer, db_engine, uow_factory):
    case = refer()
    with Session(db_engine) as session:
        row = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == "tyohonvalmennus"))
        assert row.labels["record_goals"] == "Tallenna tavoitteet"
        assert row.labels["referral.client_hetu"] == "Asiakkaan henkilötunnus"
        assert row.labels["referral.client_language.sv"] == "ruotsi"
        assert row.extensions["tyohonvalmennus"]["start_event"] == "referral"
        # Readers use what was stored: change it and they follow, no XML is consulted.
        row.labels = {**row.labels, "record_goals": "Stored label"}
        row.extensions = {**row.extensions, "tyohonvalmennus": {**row.extensions["tyohonvalmennus"],
                                                               "start_event": "stored_start"}}
        row.sources = {}
        session.commit()
    with uow_factory(write=False) as uow:
        assert queries.start_form(uow, "tyohonvalmennus")["start_element"] == "stored_start"
    with uow_factory() as uow:
        assert case_file(uow, "off1", case.id)["labels"]["record_goals"] == "Stored label"


def test_no_code_reads_state_back_from_the_audit_trail():
    """AuditEvent is selected only where history is displayed (engine.queries.show, the case's
    acts on its timeline and its access log, a person's access log, the report of reads without a
    task); everything else only writes it."""
    readers = {}
    for folder in ("engine", "domain", "web", "polku"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            count = text.count("select(AuditEvent")
            if count:
                readers[str(path.relative_to(ROOT))] = count
    assert readers == {"engine/queries.py": 1, "domain/casefile_story.py": 2, "domain/access_export.py": 1,
                       "domain/anomalies.py": 2}


def test_a_provider_named_only_by_a_refused_referral_is_a_column_of_the_area_but_is_not_shown_the_case(
        refer, uow_factory):
    case = refer(planned_end="2026-01-20", provider=OTHER_PROVIDER)  # 9 days: refused (R1)
    with uow_factory(write=False) as uow:
        found = dashboard(uow, "boss", date(2026, 1, 1), date(2026, 1, 31))
        other = uow.session.scalar(select(Organisation.id).where(Organisation.name == OTHER_PROVIDER))
        assert [p for p, _name in found["providers"]] == [other]
        refused = found["kpis"]["referrals"].row("refused").values
        assert (refused[other], refused[TOTAL]) == (1, 1)
    with uow_factory() as uow:  # the provider is not among the case's organisations
        assert case.id not in [c["id"] for c in case_list(uow, "coach2")]
