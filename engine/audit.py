"""The audit trail: one append-only row per command that changed something."""
from __future__ import annotations

from sqlalchemy import insert

from .jsonvalues import to_json
from .models import AuditEvent

_INSERT = insert(AuditEvent.__table__)


def record(uow, actor: str, action: str, *, instance_id=None, task_id=None, details=None) -> None:
    uow.execute(
        _INSERT,
        [
            {
                "at": uow.now,
                "actor": actor,
                "action": action,
                "instance_id": instance_id,
                "task_id": task_id,
                "details": to_json(details or {}),
            }
        ],
    )
