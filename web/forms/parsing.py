"""A posted HTML form → the JSON values the engine validates, by asking each field's type object.

Strings stay strings (the engine converts numbers and dates and says what is wrong); an empty
text input is left out (the engine applies defaults and "required"); a checked checkbox is True
and an unchecked one is left out. Repeatable rows become lists of dicts, blank rows dropped
(``engine.fieldtypes.parse_posted``, unless a type parses otherwise).
"""
from __future__ import annotations

from polku.engine.fieldtypes import MAX_ROWS, MISSING, ROWS_SUFFIX, posted_row_count, row_name

from ..context import runtime

__all__ = ["MAX_ROWS", "MORE_ROWS", "ROWS_SUFFIX", "field_type", "more_rows_requested", "parse_form",
           "row_counts", "row_name", "widget_data"]

MORE_ROWS = "_more_rows"   # name of the "Add more rows" submit button; its value is the field id
ADD_ROWS = 3


def field_type(types, name: str):
    """The registered type object; an unknown name (a broken definition, which the engine
    refuses on submit) is shown and parsed as text."""
    types = types if types is not None else runtime().field_types
    return types.get(name if name in types else "string")


def more_rows_requested(form) -> str | None:
    """The id of the field whose "Add more rows" button was pressed, if one was."""
    return form.get(MORE_ROWS) or None


def row_counts(fields: list[dict], form=None, add: str | None = None, types=None, prefix: str = "") -> dict[str, int]:
    """Rows to show per field with repeatable rows: as posted (at least the initial number),
    plus ADD_ROWS for the field named by `add`. Rows the data gives are not counted here."""
    form = _Prefixed(form, prefix) if prefix and form is not None else form
    counts = {}
    for f in fields:
        widget = field_type(types, f["type"]).widget(f, data={}, loaded=None)
        if widget.kind != "rows" or widget.fixed_rows is not None:
            continue
        initial = widget.initial_rows
        count = initial if form is None else max(initial, posted_row_count(form, f["id"], initial))
        if add == f["id"]:
            count += ADD_ROWS
        counts[f["id"]] = min(count, MAX_ROWS)
    return counts


class _Prefixed:
    """The inputs of a form whose names start with `prefix`, by the rest of their names."""

    def __init__(self, form, prefix: str):
        self.form, self.prefix = form, prefix

    def get(self, key, default=None):
        return self.form.get(self.prefix + key, default)

    def getlist(self, key):
        return self.form.getlist(self.prefix + key)

    def __contains__(self, key) -> bool:
        return self.prefix + str(key) in self.form


def parse_form(fields: list[dict], form, types=None, prefix: str = "") -> dict:
    """{field id: value} from a werkzeug MultiDict (request.form); `prefix`: build_fields' name_prefix."""
    form = _Prefixed(form, prefix) if prefix else form
    values: dict = {}
    for f in fields:
        value = field_type(types, f["type"]).parse(f, form)
        if value is not MISSING:
            values[f["id"]] = value
    return values


def widget_data(uow, fields: list[dict], types=None) -> dict:
    """{field id: what its type's widget needs from the database} (e.g. the providers to choose
    from), read in the caller's unit of work."""
    found = {}
    for f in fields:
        loaded = field_type(types, f["type"]).load(uow)
        if loaded is not None:
            found[f["id"]] = loaded
    return found
