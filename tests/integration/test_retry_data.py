"""Issue 9, finding 9: `retry --data` takes only the variables the failed step reads, validated
like a form (the field that defines the variable, else a bounded JSON scalar), and never a
variable the engine sets: a manager cannot hand the case to another organisation by a retry."""
from __future__ import annotations

import json

import pytest

from tests.conftest import FIXTURES

RETRY = FIXTURES / "bpmn" / "retry"


@pytest.fixture
def failed(sample, make_user):
    """(polku, id) of a retry_case started with share 0: its script divided by zero."""
    sample("deploy", RETRY, "--as", "designer1")
    make_user("boss2", "manager", org="Area 2")
    iid = sample.json("start", "retry_case", "--as", "off1", "--data", '{"share": 0, "note": "x"}')["id"]
    shown = sample.json("show", iid)
    assert shown["status"] == "error" and shown["error"]["element_id"] == "compute"
    return sample, iid


def _refused(polku, iid, data: dict) -> dict:
    body = polku.refused("retry", iid, "--as", "boss", "--json", "--data", json.dumps(data)).json
    assert body["code"] == "validation"
    shown = polku.json("show", iid)
    assert shown["status"] == "error" and [h["action"] for h in shown["history"]] == ["start"]  # nothing changed
    return body["fields"]


@pytest.mark.parametrize("variable", ["case_organisations", "case_title", "started_by", "_internal"])
def test_variables_the_engine_sets_are_refused(failed, variable):
    """case_organisations and the initiator are read by the failed script, yet still refused."""
    polku, iid = failed
    fields = _refused(polku, iid, {variable: ["Area 2"] if variable == "case_organisations" else "boss2"})
    assert fields == {variable: "is set by the engine and cannot be changed by a retry"}
    assert polku.refused("show", iid, "--as", "boss2").stderr == f"error: no instance {iid}\n"


def test_variables_the_failed_step_does_not_read_are_refused(failed):
    polku, iid = failed
    fields = _refused(polku, iid, {"share": 5, "health_consent": True})
    assert fields["health_consent"].startswith("is not read by the failed step")
    assert "share" not in fields


@pytest.mark.parametrize(("data", "field"), [
    ({"share": "abc"}, "share"), ({"share": 500}, "share"), ({"share": True}, "share"),
    ({"note": "x" * 21}, "note"), ({"note": 5}, "note"),
    ({"offset": "x" * 2001}, "offset"), ({"offset": [1, 2]}, "offset"), ({"offset": {"a": 1}}, "offset"),
    ({"offset": 2**63}, "offset"),
])
def test_values_are_validated_like_a_form(failed, data, field):
    polku, iid = failed
    assert field in _refused(polku, iid, data)


def test_valid_corrected_data_is_converted_and_runs_on(failed):
    polku, iid = failed
    out = polku.json("retry", iid, "--as", "boss", "--data", '{"share": "4", "offset": 1}')
    assert out["status"] == "running", polku.json("show", iid)["error"]
    data = polku.json("show", iid)["data"]
    assert data["share"] == 4 and data["result"] == 25 + 1 + 1 + 1  # share converted by its form field

