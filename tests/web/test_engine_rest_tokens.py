"""Bearer tokens for /engine-rest (engine.api_tokens, `polku token ...`): what Camunda Modeler sends
when its Deploy dialog's authentication is "Bearer token" (../shared/modeler-contract.md), and how
often the API's logins are audit rows (a successful login once per credential and quarter hour; a
failure every time)."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from polku.engine.models import ApiToken, AuditEvent, User
from tests.conftest import add_user
from tests.scenarios.conftest import PROCESSES
from tests.web.conftest import BASE
from tests.web.test_engine_rest import basic, deploy, versions

T0 = "2026-01-05T09:00:00+00:00"
DIAGRAM = (PROCESSES / "tyohonvalmennus.bpmn").read_bytes()
CHANGED = DIAGRAM.replace(b'name="Valmennusjakso"', b'name="Valmennusjakso (uusi)"')


@pytest.fixture
def client(web_app, passwords, monkeypatch):
    monkeypatch.setenv("POLKU_NOW", T0)
    return web_app.test_client()


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", "Accept": "application/json"}


def make_token(polku, username: str = "designer1", *extra) -> dict:
    return polku.json("token", "create", "--user", username, "--name", "Modeler on my laptop", *extra)


def modeler_session(client, headers: dict[str, str], diagram: bytes = DIAGRAM):
    """The three requests of one deploy from the Modeler: version, connection check, deploy."""
    return (client.get("/engine-rest/version", headers=headers, base_url=BASE),
            client.get("/engine-rest/deployment?maxResults=0", headers=headers, base_url=BASE),
            deploy(client, "-", ("tyohonvalmennus.bpmn", diagram), headers=headers))


def audit_rows(db_engine, *actions: str) -> list[tuple[str, str, dict]]:
    with Session(db_engine) as s:
        return [tuple(r) for r in s.execute(select(AuditEvent.actor, AuditEvent.action, AuditEvent.details)
                                            .where(AuditEvent.action.in_(actions)).order_by(AuditEvent.id))]


def test_a_designers_token_deploys_from_the_modeler(client, polku, db_engine):
    made = make_token(polku)
    version, check, deployed = modeler_session(client, bearer(made["secret"]), CHANGED)
    assert (version.status_code, check.status_code) == (200, 200)
    assert deployed.status_code == 200, deployed.get_json()
    assert list(deployed.get_json()["deployedProcessDefinitions"]) == ["tyohonvalmennus:2"]
    assert versions(db_engine, "tyohonvalmennus") == [1, 2]
    assert audit_rows(db_engine, "deploy")[-1][0] == "designer1"  # the deploy is the token's user's
    with Session(db_engine) as s:
        row = s.scalar(select(ApiToken).where(ApiToken.id == made["id"]))
    assert row.token_hash == hashlib.sha256(made["secret"].encode()).hexdigest()  # the hash only is kept
    assert row.last_used_at.isoformat() == T0


@pytest.mark.parametrize("secret", ["polku_not-a-token", "x", "Basic"])
def test_an_unknown_token_is_refused_401(client, polku, secret):
    make_token(polku)
    for response in modeler_session(client, bearer(secret)):
        assert response.status_code == 401
        assert response.get_json() == {"type": "AuthenticationException",
                                       "message": "the token is not valid (unknown, expired or revoked)"}


def test_a_revoked_token_is_refused_401(client, polku):
    made = make_token(polku)
    assert client.get("/engine-rest/version", headers=bearer(made["secret"]), base_url=BASE).status_code == 200
    polku("token", "revoke", made["id"])
    refused = client.get("/engine-rest/version", headers=bearer(made["secret"]), base_url=BASE)
    assert refused.status_code == 401 and refused.get_json()["type"] == "AuthenticationException"


def test_an_expired_token_is_refused_401(client, polku, monkeypatch):
    made = make_token(polku, "designer1", "--expires-days", "2")
    assert made["expires_at"] == "2026-01-07 09:00:00+00:00"
    monkeypatch.setenv("POLKU_NOW", "2026-01-07T08:59:00+00:00")
    assert client.get("/engine-rest/version", headers=bearer(made["secret"]), base_url=BASE).status_code == 200
    monkeypatch.setenv("POLKU_NOW", "2026-01-07T09:00:00+00:00")
    assert client.get("/engine-rest/version", headers=bearer(made["secret"]), base_url=BASE).status_code == 401


@pytest.mark.parametrize("username", ["coach1", "boss", "off1"])
def test_a_token_of_a_user_who_is_not_a_designer_is_refused_403(client, polku, username):
    made = make_token(polku, username)
    for response in modeler_session(client, bearer(made["secret"])):
        assert response.status_code == 403
        assert response.get_json()["message"] == f"{username} may not deploy: a designer's task"


def test_a_token_of_a_removed_user_is_refused_401(client, polku, db_engine):
    """Polku has no deactivated state: an account ends by its row going, and its tokens with it."""
    add_user(polku, "designer2", "designer")
    made = make_token(polku, "designer2")
    assert client.get("/engine-rest/version", headers=bearer(made["secret"]), base_url=BASE).status_code == 200
    with db_engine.begin() as conn:
        conn.execute(delete(User).where(User.username == "designer2"))
    assert client.get("/engine-rest/version", headers=bearer(made["secret"]), base_url=BASE).status_code == 401
    with Session(db_engine) as s:
        assert s.scalar(select(ApiToken.id).where(ApiToken.id == made["id"])) is None


def test_a_token_outlives_a_new_password(client, polku):
    """Separate credentials: an administrator revokes a token on its own."""
    made = make_token(polku)
    polku("user", "set-password", "designer1", "--password-stdin", input="another long password\n")
    assert client.get("/engine-rest/version", headers=bearer(made["secret"]), base_url=BASE).status_code == 200


@pytest.mark.parametrize("via", ["basic", "token"])
def test_a_modeler_session_is_one_login_row_per_quarter_hour(client, polku, db_engine, monkeypatch, via):
    headers = basic("designer1") if via == "basic" else bearer(make_token(polku)["secret"])
    assert all(r.status_code == 200 for r in modeler_session(client, headers))
    monkeypatch.setenv("POLKU_NOW", "2026-01-05T09:14:00+00:00")
    assert all(r.status_code == 200 for r in modeler_session(client, headers, CHANGED))
    logins = audit_rows(db_engine, "login")
    assert [(actor, d["via"]) for actor, _, d in logins] == [("designer1", via)]
    assert audit_rows(db_engine, "deploy")[-1][0] == "designer1"  # what the requests did has its own rows
    monkeypatch.setenv("POLKU_NOW", "2026-01-05T09:15:00+00:00")
    assert client.get("/engine-rest/version", headers=headers, base_url=BASE).status_code == 200
    assert len(audit_rows(db_engine, "login")) == 2


def test_a_password_and_a_token_are_audited_each_on_its_own(client, polku, db_engine):
    made = make_token(polku)
    for headers in (basic("designer1"), bearer(made["secret"]), basic("designer1"), bearer(made["secret"])):
        assert client.get("/engine-rest/version", headers=headers, base_url=BASE).status_code == 200
    assert [d["via"] for _, _, d in audit_rows(db_engine, "login")] == ["basic", "token"]


def test_every_failure_is_audited_and_throttled_by_address(client, polku, db_engine):
    made = make_token(polku)
    polku("token", "revoke", made["id"])
    assert client.get("/engine-rest/version", headers=bearer(made["secret"]), base_url=BASE).status_code == 401
    assert client.get("/engine-rest/version", headers=basic("designer1", "wrong"), base_url=BASE).status_code == 401
    for _ in range(8):
        assert client.get("/engine-rest/version", headers=bearer("guess"), base_url=BASE).status_code == 401
    failed = audit_rows(db_engine, "login_failed")
    assert len(failed) == 10
    assert failed[0] == ("designer1", "login_failed", {"via": "token", "reason": "revoked", "token": made["id"],
                                                        "address": "127.0.0.1"})
    assert failed[2] == ("anonymous", "login_failed", {"via": "token", "reason": "unknown", "address": "127.0.0.1"})
    throttled = client.get("/engine-rest/version", headers=bearer(made["secret"]), base_url=BASE)
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1
    assert audit_rows(db_engine, "login_throttled")[-1][2]["via"] == "token"


def test_a_token_with_a_nul_is_refused_401_before_any_query(client, polku, db_engine):
    secret = make_token(polku)["secret"]
    response = client.get("/engine-rest/version", headers=bearer(secret + "\x00"), base_url=BASE)
    assert response.status_code == 401 and response.get_json()["type"] == "AuthenticationException"
    assert audit_rows(db_engine, "login_failed", "login") == []
