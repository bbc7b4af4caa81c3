"""Task data to JSON: dates become ISO strings, anything unknown its str()."""
from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any


def _default(value: object) -> object:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def to_json(value: Any) -> Any:
    """A JSON-safe copy of `value` (round-trips through the encoder)."""
    return json.loads(json.dumps(value, default=_default))
