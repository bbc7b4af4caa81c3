"""Task data to JSON and back: dates become ISO strings, anything unknown its str(); JSON from
outside (the CLI's --data, a REST body) is parsed within bounds every later step can carry."""
from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any

MAX_DEPTH = 64  # lists and objects inside each other; the deepest real form value is 3
MAX_DIGITS = 300  # digits of one number (Python refuses to read more than 4,300 at all)


class JsonRefused(ValueError):
    """Well-formed JSON that is refused: one readable line, e.g. "nested deeper than 64 levels"."""


def _default(value: object) -> object:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def to_json(value: Any) -> Any:
    """A JSON-safe copy of `value` (round-trips through the encoder)."""
    return json.loads(json.dumps(value, default=_default))


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise JsonRefused(f"a number has more than {MAX_DIGITS} digits")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_DIGITS + 10:
        raise JsonRefused(f"a number has more than {MAX_DIGITS} digits")
    value = float(text)
    if not math.isfinite(value):
        raise JsonRefused(f"the number {text} is too large")
    return value


def _constant(name: str) -> Any:
    raise JsonRefused(f"{name} is not a JSON number")


def _too_deep(value: Any) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            if depth > MAX_DEPTH:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def parse_json(text: str | bytes, **kwargs: Any) -> Any:
    """json.loads within bounds. Malformed JSON raises json.JSONDecodeError as json.loads does;
    well-formed JSON past the bounds (nesting, digits, NaN and Infinity) raises JsonRefused."""
    try:
        value = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant, **kwargs)
    except RecursionError:
        raise JsonRefused(f"nested deeper than {MAX_DEPTH} levels") from None
    if _too_deep(value):
        raise JsonRefused(f"nested deeper than {MAX_DEPTH} levels")
    return value
