"""URL converters that match only well-formed ids, so that /cases/99999999999999999999 or
/tasks/<not a uuid> is an unknown URL (the 404 page) before any code or database sees it. The
bounds are the engine's (engine/ids.py), which checks them again for the CLI and other callers."""
from __future__ import annotations

from werkzeug.routing import BaseConverter, IntegerConverter

from polku.engine.ids import MAX_ID, MIN_ID, UUID_PATTERN


class RowIdConverter(IntegerConverter):
    """`<int:...>` everywhere: a positive 64-bit row id (werkzeug's own int has no bounds)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, MIN_ID if min is None else min, MAX_ID if max is None else max, signed)


class TaskIdConverter(BaseConverter):
    """`<task:...>`: a SpiffWorkflow task UUID."""
    regex = UUID_PATTERN


def init_app(app) -> None:
    app.url_map.converters["int"] = RowIdConverter
    app.url_map.converters["task"] = TaskIdConverter
