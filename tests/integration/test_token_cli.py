"""`polku token create|list|revoke` (engine.api_tokens): the secret shown once and never again, only
its hash stored, every command audited with its actor, refusals one line and exit 1."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from polku.engine.models import ApiToken, AuditEvent
from tests.conftest import add_user


@pytest.fixture
def cast(polku):
    add_user(polku, "designer1", "designer")
    add_user(polku, "admin1", "admin")
    add_user(polku, "coach1", "coach")
    return polku


def actions(db_engine) -> list[tuple[str, str, dict]]:
    with Session(db_engine) as s:
        return [tuple(r) for r in s.execute(select(AuditEvent.actor, AuditEvent.action, AuditEvent.details)
                                            .where(AuditEvent.action.like("api_token%")).order_by(AuditEvent.id))]


def test_create_prints_the_secret_once_and_stores_its_hash(cast, db_engine):
    out = cast("token", "create", "--user", "designer1", "--name", "laptop", "--as", "admin1").stdout
    secret = out.splitlines()[1]
    assert out.startswith("token 1 for designer1 (laptop), expires -:\n") and secret.startswith("polku_")
    assert len(secret) == len("polku_") + 43 and "Bearer token" in out
    with Session(db_engine) as s:
        row = s.scalars(select(ApiToken)).one()
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest() and row.expires_at is None
    listed = cast("token", "list").stdout
    assert secret not in listed and listed == "1\tdesigner1\tlaptop\tactive\t2026-01-05T09:00+00:00\t-\t-\n"
    assert actions(db_engine)[0] == ("admin1", "api_token_created",
                                     {"id": 1, "username": "designer1", "name": "laptop", "expires_at": None})


def test_list_revoke_and_expiry(cast, db_engine):
    first = cast.json("token", "create", "--user", "designer1", "--name", "a", "--expires-days", "30")
    second = cast.json("token", "create", "--user", "admin1", "--name", "b")
    assert first["expires_at"] == "2026-02-04 09:00:00+00:00"
    assert cast.json("token", "revoke", second["id"], "--as", "admin1")["username"] == "admin1"
    rows = cast.json("token", "list")
    assert [(r["id"], r["username"], r["state"]) for r in rows] == [(1, "designer1", "active"),
                                                                     (2, "admin1", "revoked")]
    assert all("secret" not in r and "token_hash" not in r for r in rows)
    assert [r["id"] for r in cast.json("token", "list", "--user", "admin1")] == [2]
    assert cast.json("token", "list", now="2026-02-04T09:00:00+00:00")[0]["state"] == "expired"
    assert [(a, act) for a, act, _ in actions(db_engine)] == [
        ("system", "api_token_created"), ("system", "api_token_created"), ("admin1", "api_token_revoked"),
        ("system", "api_tokens_listed"), ("system", "api_tokens_listed"), ("system", "api_tokens_listed")]
    assert actions(db_engine)[4][2] == {"username": "admin1"}


@pytest.mark.parametrize("args,message", [
    (["create", "--user", "nobody", "--name", "x"], "error: no user named 'nobody'"),
    (["create", "--user", "designer1", "--name", "  "], "error: name: must be 1–100 printable characters"),
    (["create", "--user", "designer1", "--name", "x", "--expires-days", "0"], "error: expires-days: must be 1–3650"),
    (["create", "--user", "designer1", "--name", "x", "--as", "designer1"],
     "error: making API tokens needs the admin role"),
    (["list", "--user", "nobody"], "error: no user named 'nobody'"),
    (["list", "--as", "coach1"], "error: listing API tokens needs the admin role"),
    (["revoke", "99"], "error: no API token 99"),
    (["revoke", "1", "--as", "designer1"], "error: revoking API tokens needs the admin role"),
])
def test_refusals_are_one_line_and_exit_1(cast, db_engine, args, message):
    cast("token", "create", "--user", "designer1", "--name", "kept")
    assert cast.refused("token", *args).stderr == message + "\n"
    assert [act for _, act, _ in actions(db_engine)] == ["api_token_created"]  # a refusal changes nothing


def test_a_revoked_token_cannot_be_revoked_again(cast):
    made = cast.json("token", "create", "--user", "designer1", "--name", "x")
    cast("token", "revoke", made["id"])
    again = cast("token", "revoke", made["id"], "--json", ok=False)
    assert again.exit_code == 1 and again.json["code"] == "conflict"
    assert again.stderr == f"error: API token {made['id']} was already revoked\n"
