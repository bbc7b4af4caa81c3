"""The audit trail: one append-only row per command that changed something."""
from __future__ import annotations

from sqlalchemy import bindparam, insert

from .jsonvalues import to_json
from .models import AuditEvent
from .prepared import Prepared

_COLUMNS = ("at", "actor", "action", "instance_id", "task_id", "details")
_INSERT = Prepared(insert(AuditEvent.__table__).values({c: bindparam(c) for c in _COLUMNS}))


def record(uow, actor: str, action: str, *, instance_id=None, task_id=None, details=None) -> None:
    values = {"at": uow.now, "actor": actor, "action": action, "instance_id": instance_id,
              "task_id": task_id, "details": to_json(details or {})}
    _INSERT.run(uow, values)
