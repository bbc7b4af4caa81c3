"""The audit trail: one append-only row per command that changed something."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, bindparam, insert

from .jsonvalues import to_json
from .models import AuditEvent
from .prepared import Prepared

if TYPE_CHECKING:
    from .db import UnitOfWork

_COLUMNS = ("at", "actor", "action", "instance_id", "task_id", "details")
# Declarative classes type `__table__` as any FromClause; a mapped class's is its Table.
_INSERT = Prepared(insert(cast(Table, AuditEvent.__table__)).values({c: bindparam(c) for c in _COLUMNS}))


def record(uow: UnitOfWork, actor: str, action: str, *, instance_id: int | None = None, task_id: str | None = None,
           details: dict[str, Any] | None = None) -> None:
    values = {"at": uow.now, "actor": actor, "action": action, "instance_id": instance_id,
              "task_id": task_id, "details": to_json(details or {})}
    _INSERT.run(uow, values)
