"""Task data to JSON and back: dates become ISO strings, anything unknown its str(); JSON from
outside (the CLI's --data, a REST body) is parsed within bounds every later step can carry."""
from __future__ import annotations

import json
import math
import re
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


# A string, or an unclosed one to the end of the text; possessive, so that text with many escaped
# quotes and no closing one is read once, not once from each of them (quadratic).
_STRING = re.compile(r'"(?:[^"\\]|\\.)*+(?:"|\Z)', re.S)
_BRACKET = re.compile(r"[\[\]{}]")
_OPEN = {"[": 1, "{": 1, "]": -1, "}": -1}


def _text_too_deep(text: str) -> bool:
    """Nesting read from the text itself, before json.loads: the decoder recurses once per level,
    and a RecursionError deep in its stack leaves the interpreter too close to its limit for the
    finalizers that run next (a database connection's, say), which then print to stderr."""
    depth = 0
    for bracket in _BRACKET.findall(_STRING.sub("", text)):
        depth += _OPEN[bracket]
        if depth > MAX_DEPTH:
            return True
    return False


def parse_json(text: str | bytes, **kwargs: Any) -> Any:
    """json.loads within bounds. Malformed JSON raises json.JSONDecodeError as json.loads does;
    well-formed JSON past the bounds (nesting, digits, NaN and Infinity) raises JsonRefused."""
    if isinstance(text, (bytes, bytearray)):  # as json.loads reads bytes: UTF-8, -16 or -32 by their look
        text = bytes(text).decode(json.detect_encoding(text), "surrogatepass")
    if _text_too_deep(text):
        raise JsonRefused(f"nested deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant, **kwargs)
    except RecursionError:  # a backstop: the scan above reads the same nesting the decoder would
        raise JsonRefused(f"nested deeper than {MAX_DEPTH} levels") from None
