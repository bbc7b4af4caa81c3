"""Users, roles and organisations, and the acting user every command starts from."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from . import audit
from .db import UnitOfWork
from .errors import Forbidden, NotFound, ValidationFailed
from .models import Organisation, User, UserRole
from .prepared import Prepared

ROLES = ("official", "coach", "manager", "designer", "admin")
ORG_KINDS = ("area", "provider")


@dataclass(frozen=True)
class Actor:
    """The acting user as commands see it: loaded fresh for every command."""

    id: int
    username: str
    display_name: str
    roles: frozenset[str]
    organisation_id: int | None
    organisation: str | None

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


SYSTEM = Actor(0, "system", "Polku", frozenset({"system"}), None, None)


_ACTOR = Prepared(  # one row per role
    select(User.id, User.username, User.display_name, User.organisation_id, Organisation.name, UserRole.role)
    .outerjoin(Organisation, Organisation.id == User.organisation_id)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .where(User.username == bindparam("username"))
)


def load_actor(uow: UnitOfWork, username: str) -> Actor:
    if username == SYSTEM.username:
        return SYSTEM
    rows = _ACTOR.all(uow, {"username": username})
    if not rows:
        raise NotFound(f"no user named {username!r}")
    return actor_of(rows)


def actor_of(rows: list[Any]) -> Actor:
    """The Actor of a user's rows as `_ACTOR` selects them (one per role; the same columns as
    `load_actor` reads, also when another statement selects them beside its own)."""
    row = rows[0]
    roles = frozenset(r["role"] for r in rows if r["role"])
    return Actor(row["id"], row["username"], row["display_name"], roles, row["organisation_id"], row["name"])


def ensure_organisation(session: Session, name: str, kind: str = "area") -> Organisation:
    if kind not in ORG_KINDS:
        raise ValidationFailed(f"organisation kind must be one of {', '.join(ORG_KINDS)}", {"org_kind": "invalid"})
    org = session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(name=name, kind=kind)
        session.add(org)
        session.flush()
    return org


def add_user(uow: UnitOfWork, actor: str, username: str, roles: list[str], org: str | None = None,
             org_kind: str = "area", name: str | None = None, password_hash: str | None = None) -> User:
    """Create a user (and the organisation, if new): an admin's (or the operator's) command.
    Refuses unknown roles and taken names."""
    if not load_actor(uow, actor).has_role("admin", "system"):
        raise Forbidden("adding users needs the admin role")
    errors: dict[str, str] = {}
    username = (username or "").strip()
    if not username or len(username) > 100 or username == SYSTEM.username:
        errors["username"] = "must be 1–100 characters and not a reserved name"
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        errors["role"] = f"roles must be among {', '.join(ROLES)}" + (f" (not {', '.join(bad)})" if bad else "")
    if not errors and uow.session.scalar(select(User.id).where(User.username == username)) is not None:
        errors["username"] = "is taken"
    if errors:
        raise ValidationFailed("; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
    organisation = ensure_organisation(uow.session, org, org_kind) if org else None
    user = User(
        username=username,
        display_name=name or username,
        organisation_id=organisation.id if organisation else None,
        password_hash=password_hash,
        created_at=uow.now,
    )
    uow.session.add(user)
    uow.session.flush()
    uow.session.add_all(UserRole(user_id=user.id, role=r) for r in sorted(set(roles)))
    uow.session.flush()  # later commands in the same unit of work read roles with SQL
    audit.record(uow, actor, "user_add", details={"username": username, "roles": sorted(set(roles)), "org": org})
    return user
