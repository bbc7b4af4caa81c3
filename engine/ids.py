"""Ids checked for shape before they reach the database.

An instance id is a 64-bit signed integer column: a larger number makes the driver overflow (a 500
on the web, a traceback on the CLI) instead of "not found". A task id is a SpiffWorkflow task UUID.
Every command and query that takes an id from outside checks it here and answers a malformed one
exactly as an unknown one: ``NotFound``. The web's URL converters (web/ids.py) use the same bounds.
"""
from __future__ import annotations

import re
from typing import Any

from .errors import NotFound

MIN_ID, MAX_ID = 1, 2**63 - 1  # row ids: positive, within PostgreSQL's bigint
UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_UUID = re.compile(UUID_PATTERN)


def is_row_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and MIN_ID <= value <= MAX_ID


def is_task_id(value: Any) -> bool:
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


def instance_id(value: Any) -> int:
    """``value`` if it can be an instance id, else NotFound (worded like an unknown one)."""
    if not is_row_id(value):
        raise NotFound(f"no instance {value}")
    return int(value)


def task_id(value: Any) -> str:
    if not is_task_id(value):
        raise NotFound(f"no task {value}")
    return str(value)
