"""A refused attempt to reach client data, kept as evidence: one `refused` audit row.

The web (web/errors.py) and the command line (polku/read_cli.py) both record their refusals here.
The refused command's own unit of work rolls back, so the row is written in a unit of work of its
own; and a refusal is answered even when its row cannot be written (the database is down, or the
named user does not exist): then nothing is recorded, the failure is logged, and `False` returned.

Details say where the attempt came from (the web's method and endpoint, the CLI's command), its
status, and the cases it named in `instances`, as lists name them, so that the person's access
log (`polku audit client HETU`) shows the attempt.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from . import audit
from .db import UnitOfWork
from .errors import Forbidden, Hidden, NotFound
from .users import load_actor

REFUSED = "refused"
_log = logging.getLogger(__name__)


def refusal_status(error: Exception) -> str:
    """"forbidden" for a refusal by an access rule (answered as "not found" or not), else
    "not_found": nothing of that id exists."""
    return "forbidden" if isinstance(error, (Forbidden, Hidden)) else "not_found"


def record_refusal(open_uow: Callable[[], UnitOfWork], actor: audit.Who | str, details: dict[str, Any], *,
                   task_id: str | None = None) -> bool:
    """One `refused` row by `actor` (a loaded user, or a username to load: its roles and
    organisation go on the row), in a unit of work `open_uow` opens. True when it was written."""
    try:
        with open_uow() as uow:
            who = load_actor(uow, actor) if isinstance(actor, str) else actor
            audit.record(uow, who, REFUSED, task_id=task_id, details=details)
            uow.commit()
        return True
    except NotFound:  # an unknown user: nobody to record (the command said so already)
        return False
    except SQLAlchemyError:  # the refusal is answered even when its row cannot be written
        _log.exception("could not record a refused attempt")
        return False
