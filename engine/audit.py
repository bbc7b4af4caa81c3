"""The audit trail: one append-only row per change and per read of client data, hash-chained.

Each row says who (actor, their roles and organisation then), from where (the client address, or
"cli"), what, when and about which case (instance; the domain maps a case to its client). It
records which fields a command changed, never their values: special-category data and whole form
payloads stay out of a table that is never erased.

Rows form chains: a case's rows one chain ("i<id>"), every other row the chain of its actor
("u:<name>"). Each row carries its chain's sequence number, the previous row's hash and its own
hash over all of its values, so `verify` finds an edited, deleted or reordered row. A chain's
head (audit_heads) is the one row a writer locks: commands on different cases never wait for
each other, and a command on a case already holds that case (docs/security.md).
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Protocol, cast

from sqlalchemy import Integer, String, Table, bindparam, insert, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from .jsonvalues import to_json
from .models import AuditEvent, AuditHead
from .prepared import Prepared

if TYPE_CHECKING:
    from .db import UnitOfWork


class Who(Protocol):
    """The acting user (engine.users.Actor) as the trail describes them."""

    @property
    def username(self) -> str: ...
    @property
    def roles(self) -> frozenset[str]: ...
    @property
    def organisation(self) -> str | None: ...


GENESIS = "0" * 64  # the "previous hash" of a chain's first row
_COLUMNS = ("at", "actor", "role", "organisation", "origin", "action", "instance_id", "task_id", "details",
            "chain", "seq", "prev_hash", "hash")
# The fields a row's hash covers, in order (the row id is not among them: order is `seq`).
HASHED = _COLUMNS[:-1]
# Declarative classes type `__table__` as any FromClause; a mapped class's is its Table.
_ROW = insert(cast(Table, AuditEvent.__table__)).values({c: bindparam(c) for c in _COLUMNS})
_INSERT = Prepared(_ROW)
# One statement takes the chain's head row (its lock orders the chain's writers) and returns the
# previous row's number and hash; a new chain starts at 1 after the genesis hash.
_TAKE_HEAD = Prepared(text(
    "INSERT INTO audit_heads (chain, seq, hash) VALUES (:chain, 1, :genesis) "
    "ON CONFLICT (chain) DO UPDATE SET seq = audit_heads.seq + 1 RETURNING seq, hash"
).columns(seq=Integer, hash=String))
_HEADS = cast(Table, AuditHead.__table__)
_HEAD_HASH = update(_HEADS).where(_HEADS.c.chain == bindparam("chain")).values(hash=bindparam("hash"))
_SET_HEAD = Prepared(_HEAD_HASH)
# PostgreSQL runs a data-modifying WITH: the row and its head's new hash in one round trip
# (SQLite allows only SELECT there: two statements).
_INSERT_SETTING_HEAD = Prepared(_ROW.add_cte(_HEAD_HASH.cte("head")))


def chain_of(actor: str, instance_id: int | None) -> str:
    return f"i{instance_id}" if instance_id is not None else f"u:{actor}"


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    return value


def row_hash(values: dict[str, Any]) -> str:
    """SHA-256 over the row's hashed fields (the previous hash among them), canonical JSON."""
    body = json.dumps([_canonical(values[c]) for c in HASHED], sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def record(uow: UnitOfWork, actor: Who | str, action: str, *, instance_id: int | None = None,
           task_id: str | None = None, details: dict[str, Any] | None = None) -> None:
    """One audit row, in the unit of work's transaction; or, when the unit carries a read-audit
    sink (engine.read_audit: the pages that only read), handed to the sink once the unit commits."""
    if isinstance(actor, str):
        username, role, organisation = actor, None, None
    else:
        username, role, organisation = actor.username, ",".join(sorted(actor.roles)), actor.organisation
    values = {"at": uow.now, "actor": username, "role": role, "organisation": organisation,
              "origin": uow.origin or None, "action": action, "instance_id": instance_id, "task_id": task_id,
              "details": to_json(details or {}), "chain": chain_of(username, instance_id)}
    pending = getattr(uow, "pending_reads", None)
    if pending is not None:
        pending.append(values)
        return
    append(uow, values)


def append(uow: UnitOfWork, values: dict[str, Any]) -> None:
    """Write one row at the end of its chain: the chain's head gives its number and the previous
    hash (its lock orders the chain's writers until the transaction ends)."""
    chain = values["chain"]
    head = _TAKE_HEAD.all(uow, {"chain": chain, "genesis": GENESIS})[0]
    # A new chain's head row comes back with seq 1 and the genesis hash: the first row's previous.
    values = dict(values, seq=head["seq"], prev_hash=head["hash"])
    values["hash"] = row_hash(values)
    if uow.connection().dialect.name == "postgresql":
        _INSERT_SETTING_HEAD.defer(uow, values)  # with the COMMIT, usually (engine.prepared)
    else:
        _INSERT.run(uow, values)
        _SET_HEAD.run(uow, {"hash": values["hash"], "chain": chain})


class _SessionWork:
    """What `record` needs of a unit of work, from code that holds only the command's session."""

    origin = ""

    def __init__(self, session: Session, now: datetime):
        self.session, self.now = session, now

    def connection(self) -> Connection:
        return self.session.connection()


def record_in_session(session: Session, now: datetime, actor: str, action: str, *, instance_id: int | None = None,
                      details: dict[str, Any] | None = None) -> None:
    """`record` for service handlers: they get the command's session (engine.services.ServiceCall)."""
    record(cast("UnitOfWork", _SessionWork(session, now)), actor, action, instance_id=instance_id, details=details)


def changed_fields(data: dict[str, Any] | None) -> list[str]:
    """What a row says about submitted values: their names, never the values themselves."""
    return sorted(data or {})
