"""Logging in, passwords, lockout and per-user preferences (language, saved inbox filters).

Passwords are hashed with werkzeug.security (scrypt; see PASSWORD_METHOD). State lives in the
database, never in a web process, so any number of processes agree on lockouts and preferences.
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from werkzeug.security import check_password_hash, generate_password_hash

from . import audit, sessions, throttle
from .access import require_admin
from .db import UnitOfWork
from .errors import Forbidden, NotFound, ValidationFailed
from .models import SavedFilter, User
from .users import Actor, load_actor

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=5)
LOCALES = ("fi", "sv", "en")
MIN_PASSWORD = 10
# How new hashes are made (a werkzeug method). Production keeps the strong default; the test suite
# sets a cheap one, since it hashes and verifies passwords thousands of times. Verifying reads the
# method from the stored hash, so hashes made either way keep working.
PASSWORD_METHOD = "scrypt"


class LoginFailed(Forbidden):
    """Always the same words, whatever was wrong: the page must not tell which part."""

    def __init__(self) -> None:
        super().__init__("wrong username or password, or the account is locked for a while")


def hash_password(password: str, method: str | None = None) -> str:
    """`method` only for passwords that are public anyway (the seed's demo staff)."""
    if len(password or "") < MIN_PASSWORD:
        raise ValidationFailed(f"password: must be at least {MIN_PASSWORD} characters",
                               {"password": f"must be at least {MIN_PASSWORD} characters"})
    return generate_password_hash(password, method=method or PASSWORD_METHOD)


def set_password(uow: UnitOfWork, actor: str, username: str, password: str) -> None:
    # Checked before the user is looked up: a refusal must not tell which usernames exist.
    require_admin(load_actor(uow, actor), "setting a password needs the admin role")
    user = uow.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user named {username!r}")
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    audit.record(uow, actor, "set_password", details={"username": username})
    # Whoever knew the old password may hold a session: a new password ends them all.
    sessions.end_all(uow, actor, username, reason="password_changed")


@lru_cache(maxsize=4)
def _stand_in_hash(method: str) -> str:
    """A hash no password matches, made as real ones are: checked in place of a missing one."""
    return generate_password_hash(secrets.token_hex(16), method=method)


def credential_stamp(password_hash: str) -> str:
    """A digest of the user's current credential (its stored hash, salt included): a new password,
    even the same one again, gives a new stamp. What a device cookie's entry is bound to, so the
    cookie stops exempting its user once the password changes. Tells nothing that helps guess the
    password (the salt is not in it); the web layer keys it with the app secret before storing it."""
    return hashlib.sha256(b"polku-credential\0" + password_hash.encode("utf-8")).hexdigest()


def current_stamp(uow: UnitOfWork, username: str) -> str | None:
    """The `credential_stamp` of `username`'s password now (None: no such user or no password)."""
    stored = uow.session.scalar(select(User.password_hash).where(User.username == username))
    return credential_stamp(stored) if stored else None


def _no_device(stamp: str) -> bool:
    return False


def authenticate(uow: UnitOfWork, username: str, password: str, *, address: str | None = None,
                 known_device: Callable[[str], bool] = _no_device, audit_success: bool = True) -> Actor:
    """The Actor for a correct password; LoginFailed otherwise (and the failure counted).

    Every answer costs one password check, whether the user is unknown, locked or real: the time
    taken must not tell which. The lock after MAX_FAILURES applies only to browsers not known to
    the user, so guessing from elsewhere cannot keep the user out; the address throttle
    (engine.throttle) slows the guesser. `known_device(stamp)` says whether the browser shows an
    earlier login by this user with the current credential (`credential_stamp` of the stored hash):
    a browser that logged in before the password changed is a stranger again. It is asked exactly
    once per attempt, with a stand-in's stamp for a missing user, so it costs every answer the same.
    `audit_success=False`: the caller audits the success itself (engine.api_tokens, at most once a
    quarter hour); failures are audited here whatever it says.
    """
    name = (username or "").strip()[:100]
    where = {"address": address} if address else {}
    user = uow.session.scalar(select(User).where(User.username == name))
    stored = user.password_hash if user is not None and user.password_hash else None
    known = known_device(credential_stamp(stored or _stand_in_hash(PASSWORD_METHOD))) and stored is not None
    try:
        if not known:  # a browser this user logged in from before is never kept waiting
            throttle.check(uow, address)  # before the password is looked at: the address's own wait
    except throttle.Throttled:
        audit.record(uow, "anonymous", "login_throttled", details={"username": name, **where})
        raise
    correct = check_password_hash(stored or _stand_in_hash(PASSWORD_METHOD), password or "")
    now = uow.now
    if user is None or stored is None:
        throttle.failed(uow, address)
        audit.record(uow, "anonymous", "login_failed", details={"username": name, **where})
        raise LoginFailed()
    locked = user.locked_until is not None and user.locked_until > now
    if locked and not known:
        throttle.failed(uow, address)
        audit.record(uow, user.username, "login_locked", details=where)
        raise LoginFailed()
    if not correct:
        throttle.failed(uow, address)
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until, user.failed_logins = now + LOCKOUT, 0
        audit.record(uow, user.username, "login_failed",
                     details={"locked": user.locked_until is not None and user.locked_until > now, **where})
        raise LoginFailed()
    # A known browser's success does not lift the lock for other browsers: the guessing goes on.
    if not locked:
        user.failed_logins, user.locked_until = 0, None
    uow.session.flush()
    actor = load_actor(uow, user.username)
    if audit_success:
        audit.record(uow, actor, "login", details={"known_device": known, **where})
    return actor


def set_locale(uow: UnitOfWork, actor: str, locale: str) -> None:
    if locale not in LOCALES:
        raise ValidationFailed("unknown language", {"locale": "unknown language"})
    user = uow.session.scalar(select(User).where(User.username == actor))
    if user is None:
        raise NotFound(f"no user named {actor!r}")
    user.locale = locale
    audit.record(uow, actor, "set_locale", details={"locale": locale})


def user_locale(uow: UnitOfWork, username: str) -> str | None:
    locale: str | None = uow.session.scalar(select(User.locale).where(User.username == username))
    return locale


def saved_filters(uow: UnitOfWork, actor: str) -> list[dict[str, Any]]:
    user = load_actor(uow, actor)
    rows = uow.session.scalars(select(SavedFilter).where(SavedFilter.user_id == user.id).order_by(SavedFilter.name))
    return [{"id": r.id, "name": r.name, "query": r.query} for r in rows]


def save_filter(uow: UnitOfWork, actor: str, name: str, query: dict[str, Any]) -> None:
    user = load_actor(uow, actor)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed("name: must be 1–100 characters", {"name": "must be 1–100 characters"})
    existing = uow.session.scalar(select(SavedFilter).where(SavedFilter.user_id == user.id, SavedFilter.name == name))
    if existing is None:
        uow.session.add(SavedFilter(user_id=user.id, name=name, query=query, created_at=uow.now))
    else:
        existing.query = query
    audit.record(uow, actor, "save_filter", details={"name": name, "query": query})


def delete_filter(uow: UnitOfWork, actor: str, filter_id: int) -> None:
    user = load_actor(uow, actor)
    result = cast(CursorResult[Any], uow.session.execute(  # a DELETE: a cursor result with a rowcount
        delete(SavedFilter).where(SavedFilter.id == filter_id, SavedFilter.user_id == user.id)))
    if result.rowcount != 1:
        raise NotFound(f"no saved filter {filter_id}")
    audit.record(uow, actor, "delete_filter", details={"id": filter_id})
