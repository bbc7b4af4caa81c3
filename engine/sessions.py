"""Server-side login sessions: what a browser's cookie refers to, and what ends it.

A signed cookie alone cannot be taken back: a copy saved before logout would keep working until
it expires. So a login makes a row here and the cookie carries only a random token; every
request looks the row up. Logout, a password change and an administrator's end-sessions delete
rows, and a session also ends when idle or old (both limits set by the caller). Only the
token's SHA-256 is stored, so whoever reads this table cannot open anyone's session with it.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, delete, func, or_, select, update

from . import audit
from .db import UnitOfWork
from .errors import Forbidden, NotFound
from .models import LoginSession, Organisation, User, UserRole
from .prepared import Prepared
from .users import SYSTEM, Actor, actor_of, load_actor

# How stale `last_seen_at` may get before a request refreshes it: a write per request would
# serialise every page view on SQLite; this costs the idle timeout at most this much precision.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class Timeouts:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=8)


@dataclass(frozen=True)
class Found:
    """A live session: its user and whether `last_seen_at` is due a refresh (`touch`)."""

    username: str
    stale: bool


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(uow: UnitOfWork, username: str, address: str | None, timeouts: Timeouts) -> str:
    """A new session for `username`; returns the token for the cookie (never stored as such).
    Sessions past their limits are swept here, so the table holds roughly the live ones."""
    user_id = uow.session.scalar(select(User.id).where(User.username == username))
    if user_id is None:
        raise NotFound(f"no user named {username!r}")
    uow.session.execute(delete(LoginSession).where(_expired(uow, timeouts)))
    token = secrets.token_urlsafe(32)
    uow.session.add(LoginSession(token_hash=_digest(token), user_id=user_id, created_at=uow.now,
                                 last_seen_at=uow.now, address=(address or "")[:64] or None))
    uow.session.flush()
    return token


def _expired(uow: UnitOfWork, timeouts: Timeouts) -> Any:
    return or_(LoginSession.last_seen_at <= uow.now - timeouts.idle,
               LoginSession.created_at <= uow.now - timeouts.absolute)


# The session and its user as `users.load_actor` reads it (one row per role), in one statement:
# every request of a logged-in browser makes this lookup (issue 12).
_SESSION_ACTOR = Prepared(
    select(User.id, User.username, User.display_name, User.organisation_id, Organisation.name, UserRole.role,
           LoginSession.created_at, LoginSession.last_seen_at)
    .select_from(LoginSession).join(User, User.id == LoginSession.user_id)
    .outerjoin(Organisation, Organisation.id == User.organisation_id)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .where(LoginSession.token_hash == bindparam("token_hash"))
)


def find_actor(uow: UnitOfWork, token: str, timeouts: Timeouts) -> tuple[Found, Actor] | None:
    """The session and its user (loaded as `users.load_actor` loads it), in one statement; None when
    there is no such session or it has run out."""
    if not token or len(token) > 100:
        return None
    rows = _SESSION_ACTOR.all(uow, {"token_hash": _digest(token)})
    if not rows:
        return None
    created_at, last_seen_at = rows[0]["created_at"], rows[0]["last_seen_at"]
    if uow.now - last_seen_at >= timeouts.idle or uow.now - created_at >= timeouts.absolute:
        return None
    return Found(rows[0]["username"], stale=uow.now - last_seen_at >= TOUCH_EVERY), actor_of(rows)


def touch(uow: UnitOfWork, token: str) -> None:
    uow.session.execute(update(LoginSession).where(LoginSession.token_hash == _digest(token))
                        .values(last_seen_at=uow.now))


def end_session(uow: UnitOfWork, token: str, *, reason: str = "logout", address: str | None = None) -> None:
    """Ends one session (logout, or found run out). Audited under the session's user."""
    row = uow.session.execute(select(User.username).join(LoginSession, LoginSession.user_id == User.id)
                              .where(LoginSession.token_hash == _digest(token))).first()
    if row is None:
        return
    uow.session.execute(delete(LoginSession).where(LoginSession.token_hash == _digest(token)))
    details = {"reason": reason, **({"address": address} if address else {})}
    audit.record(uow, row[0], "logout" if reason == "logout" else "session_ended", details=details)


def _require_admin(uow: UnitOfWork, actor: str) -> None:
    acting = load_actor(uow, actor)
    if acting is not SYSTEM and "admin" not in acting.roles:
        raise Forbidden("only an administrator may end other users' sessions")


def end_all(uow: UnitOfWork, actor: str, username: str | None, *, reason: str = "end_sessions") -> int:
    """Ends every session of `username` (every session of everyone when None); the count.
    An administrator's act (or the system's, or a password change's: `reason`)."""
    if reason == "end_sessions":
        _require_admin(uow, actor)
    statement = delete(LoginSession)
    if username is not None:
        user_id = uow.session.scalar(select(User.id).where(User.username == username))
        if user_id is None:
            raise NotFound(f"no user named {username!r}")
        statement = statement.where(LoginSession.user_id == user_id)
    result = cast(CursorResult[Any], uow.session.execute(statement))  # a DELETE: has a rowcount
    audit.record(uow, actor, "end_sessions", details={"username": username or "*", "reason": reason,
                                                      "ended": result.rowcount})
    return result.rowcount


def live_count(uow: UnitOfWork, username: str, timeouts: Timeouts) -> int:
    return len(uow.session.scalars(
        select(LoginSession.token_hash).join(User, User.id == LoginSession.user_id)
        .where(User.username == username, ~_expired(uow, timeouts))).all())


def overview(uow: UnitOfWork, actor: str, timeouts: Timeouts) -> list[dict[str, Any]]:
    """Every user with their live sessions' count and latest activity (None: no live session), by
    username: what an administrator sees before ending sessions. Administrators and the system
    only. No client data (staff accounts), so no audit row."""
    _require_admin(uow, actor)
    live = (select(LoginSession.user_id, func.count().label("live"),
                   func.max(LoginSession.last_seen_at).label("last_seen"))
            .where(~_expired(uow, timeouts)).group_by(LoginSession.user_id).subquery())
    rows = uow.session.execute(
        select(User.id, User.username, User.display_name, Organisation.name, live.c.live, live.c.last_seen)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .outerjoin(live, live.c.user_id == User.id).order_by(User.username)).all()
    roles: dict[int, list[str]] = {}
    for user_id, role in uow.session.execute(select(UserRole.user_id, UserRole.role).order_by(UserRole.role)):
        roles.setdefault(user_id, []).append(role)
    return [{"username": username, "name": name, "organisation": organisation, "roles": roles.get(user_id, []),
             "live": count or 0, "last_seen": last_seen}
            for user_id, username, name, organisation, count, last_seen in rows]
