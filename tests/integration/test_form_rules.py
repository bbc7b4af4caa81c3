"""Start forms and form rules (DMN `validation_decision`): refused submissions change nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from polku.engine.models import AuditEvent, Instance
from tests.conftest import FIXTURES, task_of

FORMS = FIXTURES / "bpmn" / "forms"


def _setup(polku, make_user):
    make_user("designer1", "designer")
    make_user("off1", "official")
    polku("deploy", FORMS)


def _counts(db_engine):
    with db_engine.connect() as conn:
        return (conn.scalar(select(func.count()).select_from(Instance)),
                conn.scalar(select(func.count()).select_from(AuditEvent)))


def test_start_data_is_validated_against_the_start_form(polku, make_user, db_engine):
    _setup(polku, make_user)
    before = _counts(db_engine)
    refused = polku.refused("start", "form_case", "--as", "off1", "--json", "--data", '{"age": "12", "extra": 1}')
    assert refused.json["fields"] == {"name": "is required", "age": "must be at least 18", "extra": "unknown field"}
    assert _counts(db_engine) == before  # no instance, no audit row


def test_start_form_rule_refuses_info_without_consent(polku, make_user, db_engine):
    _setup(polku, make_user)
    before = _counts(db_engine)
    refused = polku.refused("start", "form_case", "--as", "off1", "--json",
                            "--data", '{"name": "A", "info": "health details"}')
    assert refused.json["code"] == "validation"
    assert refused.json["fields"] == {"info": "Info needs consent"}
    assert _counts(db_engine) == before
    iid = polku.json("start", "form_case", "--as", "off1", "--data",
                     '{"name": "A", "info": "health details", "consent": true, "age": 30}')["id"]
    assert polku.json("show", iid)["data"] == {"name": "A", "age": 30, "consent": True, "info": "health details"}


def test_task_form_rule_refuses_and_changes_nothing(polku, make_user, db_engine):
    _setup(polku, make_user)
    iid = polku.json("start", "form_case", "--as", "off1", "--data", '{"name": "A"}')["id"]
    task = task_of(polku, "off1", "check")
    before = _counts(db_engine)
    refused = polku.refused("complete", task["id"], "--as", "off1", "--json", "--data", '{"a": 3, "b": 4}')
    assert refused.json["fields"] == {"b": "a and b must add up to 10"}
    assert _counts(db_engine) == before
    assert task_of(polku, "off1", "check")["id"] == task["id"]
    polku("complete", task["id"], "--as", "off1", "--data", '{"a": 3, "b": 7}')
    assert polku.json("show", iid)["status"] == "completed"


def test_a_validation_decision_missing_from_the_bundle_is_refused_at_deploy(polku, make_user):
    make_user("designer1", "designer")
    refused = polku.refused("deploy", FORMS / "form_case.bpmn", "--as", "designer1")
    assert "validation decision 'start_rules' is not in the bundle" in refused.stderr
    assert "form_case.bpmn:4 [begin]" in refused.stderr


def test_a_dmn_file_with_two_decisions_is_refused_naming_the_second(polku, make_user):
    make_user("designer1", "designer")
    refused = polku.refused("deploy", FORMS / "form_case.bpmn", FIXTURES / "bpmn" / "deploy" / "two_decisions.dmn",
                            "--as", "designer1")
    assert "two_decisions.dmn:28 [task_rules]: a DMN file must hold exactly one decision" in refused.stderr
