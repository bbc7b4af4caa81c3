"""Bearer tokens for /engine-rest (Camunda Modeler's Deploy dialog), and how the API's logins are audited.

A token is `polku_` and 32 random bytes (secrets.token_urlsafe); only its SHA-256 is stored and
looked up (a random 256-bit secret needs no salt or slow hash, and the lookup by hash compares no
secret byte by byte). It is shown once, when made. It authenticates as its user while the user
exists (deleting the user deletes their tokens) and it is neither revoked nor past `expires_at`;
whether that user may deploy (a designer or an admin) is the caller's check, as for a password.
A password change leaves tokens alone: they are separate credentials, made and revoked by an
administrator (`polku token ...`).

The audit trail must say who used the API, but the Modeler sends three requests for one deploy,
each authenticated anew. So a successful API login (a token, or a password over HTTP Basic) is an
audit row ("login", with `via`) at most once per credential and AUDIT_EVERY; what the requests do
(deploy, start) has its own audit rows with the actor anyway. Failures are audited every time and
counted by the address throttle (engine.throttle), as on the login page. Which login is due is one
conditional UPDATE of the token's `last_used_at` (the user's `rest_login_at` for a password), so
that column is also "last used" to within AUDIT_EVERY, and two requests at once audit once.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute

from . import accounts, audit, ids, throttle
from .access import require_admin
from .db import UnitOfWork
from .errors import Conflict, Forbidden, NotFound, ValidationFailed
from .models import ApiToken, User
from .users import Actor, load_actor

PREFIX = "polku_"  # says what the secret is where it turns up (a config file, a secret scanner)
AUDIT_EVERY = timedelta(minutes=15)
MAX_EXPIRES_DAYS = 3650
MAX_NAME = 100


class TokenRejected(Forbidden):
    """The same words whatever was wrong: unknown, revoked or expired."""

    def __init__(self) -> None:
        super().__init__("the token is not valid (unknown, expired or revoked)")


@dataclass(frozen=True)
class NewToken:
    id: int
    username: str
    name: str
    expires_at: datetime | None
    secret: str  # shown once, never stored


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create(uow: UnitOfWork, actor: str, username: str, name: str, expires_days: int | None = None) -> NewToken:
    """A new token for `username` (an administrator's or the operator's command)."""
    require_admin(load_actor(uow, actor), "making API tokens needs the admin role")
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME or not name.isprintable():
        raise ValidationFailed(f"name: must be 1–{MAX_NAME} printable characters",
                               {"name": f"must be 1–{MAX_NAME} printable characters"})
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        raise ValidationFailed(f"expires-days: must be 1–{MAX_EXPIRES_DAYS}",
                               {"expires_days": f"must be 1–{MAX_EXPIRES_DAYS}"})
    user_id = uow.session.scalar(select(User.id).where(User.username == username))
    if user_id is None:
        raise NotFound(f"no user named {username!r}")
    secret = PREFIX + secrets.token_urlsafe(32)
    expires_at = uow.now + timedelta(days=expires_days) if expires_days is not None else None
    row = ApiToken(user_id=user_id, name=name, token_hash=token_hash(secret), created_at=uow.now,
                   expires_at=expires_at)
    uow.session.add(row)
    uow.session.flush()
    audit.record(uow, actor, "api_token_created",
                 details={"id": row.id, "username": username, "name": name, "expires_at": expires_at})
    return NewToken(row.id, username, name, expires_at, secret)


def state(row: Any, now: datetime) -> str:
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= now:
        return "expired"
    return "active"


def tokens(uow: UnitOfWork, actor: str, username: str | None = None) -> list[dict[str, Any]]:
    """Every token (or `username`'s), oldest first; never a secret (none is kept)."""
    require_admin(load_actor(uow, actor), "listing API tokens needs the admin role")
    query = (select(ApiToken.id, User.username, ApiToken.name, ApiToken.created_at, ApiToken.expires_at,
                    ApiToken.last_used_at, ApiToken.revoked_at)
             .join(User, User.id == ApiToken.user_id).order_by(ApiToken.id))
    if username is not None:
        if uow.session.scalar(select(User.id).where(User.username == username)) is None:
            raise NotFound(f"no user named {username!r}")
        query = query.where(User.username == username)
    rows = uow.session.execute(query).all()
    audit.record(uow, actor, "api_tokens_listed", details={"username": username} if username else {})
    return [{**row._asdict(), "state": state(row, uow.now)} for row in rows]


def revoke(uow: UnitOfWork, actor: str, token_id: int) -> dict[str, Any]:
    """Ends a token for good; the row stays (who had it, and when it stopped)."""
    require_admin(load_actor(uow, actor), "revoking API tokens needs the admin role")
    if not ids.is_row_id(token_id):  # past the column's range: unknown, not a driver's overflow
        raise NotFound(f"no API token {token_id}")
    found = uow.session.execute(select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
                                .where(ApiToken.id == token_id)).first()
    if found is None:
        raise NotFound(f"no API token {token_id}")
    row, username = found
    if row.revoked_at is not None:
        raise Conflict(f"API token {token_id} was already revoked", reason="already_revoked")
    row.revoked_at = uow.now
    audit.record(uow, actor, "api_token_revoked", details={"id": row.id, "username": username, "name": row.name})
    return {"id": row.id, "username": username, "name": row.name, "revoked_at": row.revoked_at}


def _first_in_a_while(uow: UnitOfWork, column: InstrumentedAttribute[datetime | None],
                      key: InstrumentedAttribute[int], value: int) -> bool:
    """Sets `column` to now when it is empty or older than AUDIT_EVERY; True when it did."""
    result = cast(CursorResult[Any], uow.session.execute(
        update(column.class_).where(key == value, or_(column.is_(None), column <= uow.now - AUDIT_EVERY))
        .values({column: uow.now}).execution_options(synchronize_session=False)))
    return result.rowcount == 1


def password_login(uow: UnitOfWork, username: str, password: str, *, address: str | None = None) -> Actor:
    """accounts.authenticate for an API request: its success audited once in a while."""
    actor = accounts.authenticate(uow, username, password, address=address, audit_success=False)
    if _first_in_a_while(uow, User.rest_login_at, User.id, actor.id):
        audit.record(uow, actor, "login", details={"via": "basic", **({"address": address} if address else {})})
    return actor


def token_login(uow: UnitOfWork, secret: str, *, address: str | None = None) -> Actor:
    """The Actor of a valid token; TokenRejected (the failure audited and counted) otherwise, or
    throttle.Throttled when the address must still wait after earlier failures."""
    where = {"address": address} if address else {}
    try:
        throttle.check(uow, address)
    except throttle.Throttled:
        audit.record(uow, "anonymous", "login_throttled", details={"via": "token", **where})
        raise
    found = uow.session.execute(
        select(ApiToken.id, ApiToken.expires_at, ApiToken.revoked_at, User.username)
        .join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == token_hash(secret or ""))).first()
    reason = "unknown" if found is None else state(found, uow.now)
    if found is None or reason != "active":
        throttle.failed(uow, address)
        audit.record(uow, found.username if found else "anonymous", "login_failed",
                     details={"via": "token", "reason": reason, **({"token": found.id} if found else {}), **where})
        raise TokenRejected()
    actor = load_actor(uow, found.username)
    if _first_in_a_while(uow, ApiToken.last_used_at, ApiToken.id, found.id):
        audit.record(uow, actor, "login", details={"via": "token", "token": found.id, **where})
    return actor
