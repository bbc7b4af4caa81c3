"""An incident: a background step (a timer's firing, a service task's retry) failed in a way no
step handles, so its instance goes to `error` at the element, in a fresh transaction, where a
manager sees it and can retry it. Shared by the timer worker and the retry worker."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import cast

from sqlalchemy import Table, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from .clock import Clock
from .db import UnitOfWork
from .models import Instance
from .persist import load_instance
from .services import one_line

_log = logging.getLogger("polku.worker")
_INSTANCES = cast(Table, Instance.__table__)


def put_in_error(engine: Engine, clock: Clock, instance_id: int, element_id: str, exc: BaseException,
                 record: Callable[[UnitOfWork, str], None]) -> None:
    """Instance `instance_id`, still running, to error at `element_id` with `exc` in one line;
    `record(uow, message)` writes the caller's audit row (and what goes with it) before the commit.
    An instance changed meanwhile is left to the next round; a failure here is logged, never raised:
    the round goes on with the others."""
    message = one_line(exc) if isinstance(exc, DBAPIError) else f"{type(exc).__name__}: {one_line(exc)}"
    try:
        with UnitOfWork(engine, clock, origin="worker") as uow:
            inst = load_instance(uow, instance_id)
            if inst.status != "running":
                return
            result = uow.execute(
                update(_INSTANCES)
                .where(_INSTANCES.c.id == inst.id, _INSTANCES.c.lock_version == inst.lock_version)
                .values(status="error", error_element=element_id, error_message=message,
                        lock_version=inst.lock_version + 1, updated_at=uow.now))
            if result.rowcount != 1:
                return  # changed meanwhile: the next round sees it afresh
            record(uow, message)
            uow.commit()
    except Exception:  # noqa: BLE001  (logged; the round goes on with the others)
        _log.exception("could not put instance %s in error after %s failed", instance_id, element_id)
