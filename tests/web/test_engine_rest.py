"""Camunda Modeler's Deploy and Start buttons against /engine-rest (web.engine_rest), with requests
shaped as its client sends them (../shared/modeler-contract.md): Basic credentials on every call,
the version and connection checks, a multipart deployment of the open diagram alone (its decisions
already deployed), duplicate filtering, a validation failure whose message is what the designer
reads, and Camunda's typed variables on a start."""
from __future__ import annotations

import base64
import io
import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from polku.engine.models import AuditEvent, ProcessDefinition
from tests.conftest import T0, add_user
from tests.scenarios.conftest import AREA, PROCESSES, referral
from tests.web.conftest import BASE, PASSWORD

BAD = PROCESSES.parent / "tests" / "fixtures" / "bpmn" / "bad"


def basic(username: str, password: str = PASSWORD) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}", "Accept": "application/json"}


def deploy(client, username: str, *files: tuple[str, bytes], name: str = "Työhönvalmennus",
           headers: dict[str, str] | None = None):
    """POST /deployment/create as the Modeler's client builds it: the form fields first, then the
    open diagram and the attachments, each a part named by its file name, typed text/xml.
    `headers`: other credentials than `username`'s password (a Bearer token)."""
    data: dict = {"deployment-name": name, "deployment-source": "Camunda Modeler",
                  "enable-duplicate-filtering": "true"}
    for filename, content in files:
        data[filename] = (io.BytesIO(content), filename, "text/xml")
    return client.post("/engine-rest/deployment/create", data=data, headers=headers or basic(username), base_url=BASE,
                       content_type="multipart/form-data")


@pytest.fixture
def client(web_app, passwords):
    return web_app.test_client()


def versions(db_engine, key: str) -> list[int]:
    with Session(db_engine) as s:
        return list(s.scalars(select(ProcessDefinition.version).where(ProcessDefinition.key == key)
                              .order_by(ProcessDefinition.version)))


def test_the_version_and_connection_checks_answer_a_designer(client):
    assert client.get("/engine-rest/version", headers=basic("designer1"), base_url=BASE).get_json() == {
        "version": "7.23.0"}
    checked = client.get("/engine-rest/deployment?maxResults=0", headers=basic("designer1"), base_url=BASE)
    assert (checked.status_code, checked.get_json()) == (200, [])


def test_the_open_diagram_deploys_alone_its_decisions_taken_from_what_is_deployed(client, db_engine):
    diagram = (PROCESSES / "tyohonvalmennus.bpmn").read_bytes()
    same = deploy(client, "designer1", ("tyohonvalmennus.bpmn", diagram))
    assert same.status_code == 200, same.get_json()
    assert same.get_json()["deployedProcessDefinitions"] is None  # the same bytes: no new version
    changed = diagram.replace(b'name="Valmennusjakso"', b'name="Valmennusjakso (uusi)"')
    body = deploy(client, "designer1", ("tyohonvalmennus.bpmn", changed)).get_json()
    assert list(body["deployedProcessDefinitions"]) == ["tyohonvalmennus:2"]
    deployed = body["deployedProcessDefinitions"]["tyohonvalmennus:2"]
    assert (deployed["key"], deployed["version"], deployed["deploymentId"]) == ("tyohonvalmennus", 2, body["id"])
    assert (body["name"], body["source"]) == ("Työhönvalmennus", "Camunda Modeler")
    assert versions(db_engine, "tyohonvalmennus") == [1, 2]
    with Session(db_engine) as s:
        sources = s.scalar(select(ProcessDefinition.sources).where(ProcessDefinition.version == 2))
        kept = s.scalars(select(ProcessDefinition.source).where(ProcessDefinition.key == "tyohonvalmennus")
                         .order_by(ProcessDefinition.version)).all()
        details = s.scalars(select(AuditEvent.details).where(AuditEvent.action == "deploy")
                            .order_by(AuditEvent.id.desc())).first()
    assert "referral_eligibility.dmn" in sources  # the deployed decision travels with the new version
    assert (details["source"], details["files"][0]) == ("modeler", "tyohonvalmennus.bpmn")
    assert kept == ["cli", "modeler"]  # the first from `polku deploy`


def test_a_file_with_problems_is_refused_with_each_problem_in_the_message(client, db_engine):
    refused = deploy(client, "designer1", ("unknown_service.bpmn", (BAD / "unknown_service.bpmn").read_bytes()))
    assert refused.status_code == 400
    body = refused.get_json()
    assert body["type"] == "ParseException"
    assert body["message"].startswith("ENGINE-09005 Could not parse BPMN process. Errors:\n")
    assert "unknown_service.bpmn:7 [svc]: unknown service handler" in body["message"]
    assert [(d["file"], d["element_id"], d["line"]) for d in body["details"]][0] == ("unknown_service.bpmn", "svc", 7)
    assert versions(db_engine, "unknown_service_case") == []


@pytest.mark.parametrize("headers,status", [
    ({}, 401), (basic("designer1", "wrong"), 401), (basic("nobody"), 401),
    ({"Authorization": "Bearer something"}, 401), ({"Authorization": "Basic %%%"}, 401),
    (basic("off1"), 403), (basic("coach1"), 403), (basic("boss"), 403),
])
def test_others_are_refused_with_camundas_codes(client, headers, status):
    diagram = (PROCESSES / "tyohonvalmennus.bpmn").read_bytes()
    for response in (client.get("/engine-rest/version", headers=headers, base_url=BASE),
                     client.post("/engine-rest/deployment/create", headers=headers, base_url=BASE,
                                 data={"f.bpmn": (io.BytesIO(diagram), "f.bpmn", "text/xml")})):
        assert response.status_code == status
        assert response.get_json()["message"]


def test_a_designers_browser_login_is_not_enough(browser):
    """The session cookie is never read there: a page elsewhere cannot deploy in a designer's name."""
    b = browser("designer1")
    assert b.client.get("/engine-rest/version", base_url=BASE).status_code == 401


def test_a_start_with_typed_variables(client, polku, monkeypatch):
    monkeypatch.setenv("POLKU_NOW", T0)  # the referral's planned dates are near then
    add_user(polku, "designoff", "designer", "official", org=AREA)
    polku("user", "set-password", "designoff", "--password-stdin", "--as", "system", input=PASSWORD + "\n")
    with_password = basic("designoff")
    variables = {k: {"value": v, "type": "Boolean" if isinstance(v, bool) else "String"}
                 for k, v in referral().items()}
    started = client.post("/engine-rest/process-definition/tyohonvalmennus:1/start", headers=with_password,
                          base_url=BASE, json={"businessKey": "case-1", "variables": variables})
    assert started.status_code == 200, started.get_json()
    body = started.get_json()
    assert (body["definitionId"], body["businessKey"], body["ended"]) == ("tyohonvalmennus:1", "case-1", False)
    assert polku.json("show", body["id"], "--as", "off1")["business_key"] == "case-1"


@pytest.mark.parametrize("definition,payload,status,message", [
    ("nothing:1", {}, 404, "no deployed process definition 'nothing:1'"),
    ("tyohonvalmennus:9", {}, 404, "no deployed process definition"),
    ("tyohonvalmennus:1", {"variables": {"x": {"value": "1", "type": "Integer"}}}, 400, "'1' is not a Integer"),
    ("tyohonvalmennus:1", {"variables": {"x": {"value": 1, "type": "Object"}}}, 400, "type 'Object' is not one of"),
    ("tyohonvalmennus:1", {"variables": {"client_name": {"value": "A", "type": "String"}}}, 403, "start"),
])
def test_a_start_that_cannot_be_done_says_why(client, definition, payload, status, message):
    response = client.post(f"/engine-rest/process-definition/{definition}/start", headers=basic("designer1"),
                           base_url=BASE, data=json.dumps(payload), content_type="application/json")
    assert response.status_code == status, response.get_json()
    assert message in response.get_json()["message"]


@pytest.mark.parametrize("username, password", [("designer1\x00", PASSWORD), ("\x00", "x"),
                                                ("designer1", PASSWORD + "\x00")])
def test_a_nul_in_basic_credentials_is_refused_401_before_any_query(client, db_engine, username, password):
    """PostgreSQL cannot even be asked about such a name (psycopg's DataError was a 500)."""
    response = client.get("/engine-rest/version", headers=basic(username, password), base_url=BASE)
    assert response.status_code == 401, response.get_data(as_text=True)[-300:]
    assert response.get_json()["type"] == "AuthenticationException"
    with Session(db_engine) as s:  # nothing was asked or counted: no failed login for the name
        assert list(s.scalars(select(AuditEvent.actor).where(AuditEvent.action == "login_failed"))) == []
