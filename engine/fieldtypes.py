"""The field-type object: one class per form field type carries its conversion, its widget
(described as data), the parser of its posted HTML form and its messages.

A type is registered once, by the composition root, on a ``FieldTypes`` registry; the engine
converts submissions with it and the web renderer asks it for its widget and for parsing what
was posted, so the renderer knows no type by name. This layer knows no HTML, Flask or language:
a widget is a ``Widget`` value and every text a ``Msg`` (an English msgid and its parameters,
marked with ``N_`` so that the UI's Babel catalog extracts it and translates it when shown).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as _dc_field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .db import UnitOfWork

MAX_ROWS = 50          # as many list items as the domain's list types accept
ROWS_SUFFIX = "-rows"  # hidden input "<field>-rows": how many rows the page showed
MISSING = object()     # parse(): nothing was posted for the field


class PostedForm(Protocol):
    """A posted HTML form as the parsers read it (werkzeug's MultiDict is one)."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def getlist(self, key: str) -> list[Any]: ...

    def __contains__(self, key: object) -> bool: ...


def N_(msgid: str) -> str:
    """Marks an English msgid for extraction (`pybabel extract -k N_`); translated when shown."""
    return msgid


@dataclass(frozen=True)
class Msg:
    """A text for a person: an English msgid and its parameters (which may be Msgs too)."""
    msgid: str
    params: Mapping[str, Any] = _dc_field(default_factory=dict)

    def __str__(self) -> str:  # the English text, for the CLI, the API and logs
        return self.msgid % {k: str(v) for k, v in self.params.items()} if self.params else self.msgid

    def as_dict(self) -> dict[str, Any]:
        """JSON form: {"msgid", "params"}, nested Msgs as dicts."""
        return {"msgid": self.msgid,
                "params": {k: v.as_dict() if isinstance(v, Msg) else v for k, v in self.params.items()}}


ITEM_MESSAGE = N_("item %(item)s: %(message)s")


class Invalid(ValueError):
    """A conversion error with its own message: ``raise Invalid(N_("must be a list"))``. An error in
    one item of a list names it: ``Invalid(N_("%(key)s is required"), item=2, key=...)`` is the
    message ``ITEM_MESSAGE`` around the item's own, so that the web can show the item's message
    at its row. str() is the English text ("item 2: ..."); the web shows ``msg`` in the user's language."""

    def __init__(self, msgid: str, *, item: int | None = None, **params: Any):
        own = Msg(msgid, params)
        self.msg = own if item is None else Msg(ITEM_MESSAGE, {"item": item, "message": own})
        super().__init__(str(self.msg))


# Control characters other than tab and line breaks: never typed by a person, and a NUL cannot
# even be stored or compared by PostgreSQL (the fuzz test found it reaching a lookup as a 500).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_CHARACTERS = N_("must not contain control characters")


# NUL and lone surrogates: no database stores them (PostgreSQL refuses NUL in text and jsonb, and a
# lone surrogate is not UTF-8, so no driver can send it). Refused wherever user text enters.
_UNSTORABLE_RE = re.compile("[\x00\ud800-\udfff]")
NOT_ALLOWED = N_("contains a character that is not allowed")


def has_unstorable_text(raw: Any) -> bool:
    """Whether a value holds NUL or a lone surrogate anywhere (list items, keys and values of rows)."""
    if isinstance(raw, str):
        return _UNSTORABLE_RE.search(raw) is not None
    if isinstance(raw, (list, tuple)):
        return any(has_unstorable_text(item) for item in raw)
    if isinstance(raw, dict):
        return any(has_unstorable_text(k) or has_unstorable_text(v) for k, v in raw.items())
    return False


def unstorable_fields(values: Mapping[Any, Any]) -> list[str]:
    """The names of the fields of ``values`` that hold NUL or a lone surrogate (a name that holds one
    itself is given escaped, so that it can be printed and sent as JSON)."""
    return [repr(k)[1:-1] if has_unstorable_text(k) else str(k)
            for k, v in values.items() if has_unstorable_text(k) or has_unstorable_text(v)]


def has_control_characters(raw: Any) -> bool:
    """Whether a submitted value holds a control character anywhere (list items, row keys too)."""
    if isinstance(raw, str):
        return _CONTROL_RE.search(raw) is not None
    if isinstance(raw, list):
        return any(has_control_characters(item) for item in raw)
    if isinstance(raw, dict):
        return any(has_control_characters(k) or has_control_characters(v) for k, v in raw.items())
    return False


# --- widgets as data ------------------------------------------------------------------------
@dataclass(frozen=True)
class Option:
    """One choice. label: a Msg (UI catalog), a str shown as is, or None (the value itself).
    from_process: the label is a BPMN option label, translated by the process catalog under
    ``<element>.<field>.<value>``."""
    value: str
    label: Msg | str | None = None
    from_process: bool = False


@dataclass(frozen=True)
class RowInput:
    """One input of a repeatable row: text, textarea, date, select or checkbox."""
    key: str
    widget: str
    label: Msg
    options: tuple[Option, ...] = ()
    blank: bool = True          # a select starts with an empty "Choose…" entry
    default: str = ""           # value of an empty row
    maxlength: int | None = None


@dataclass(frozen=True)
class Row:
    """A row the data gives (e.g. one per goal set): its legend and an optional hint."""
    legend: Msg
    hint: Msg | None = None


@dataclass(frozen=True)
class Widget:
    """How a field is shown and posted.

    kind: text | textarea | number | date | checkbox (one input named by the field id),
    choice (radios, or a select when ``radios`` is False or there are many options),
    checkboxes (several values under the field id), rows (repeatable rows of ``inputs``,
    posted as ``<field>-<row>-<key>`` with the row count in ``<field>-rows``).
    attrs: extra HTML attributes of the single input (maxlength, inputmode, ...).
    """
    kind: str
    attrs: Mapping[str, str] = _dc_field(default_factory=dict)
    options: tuple[Option, ...] = ()
    radios: bool | None = None
    inputs: tuple[RowInput, ...] = ()
    row_legend: Msg | None = None           # "Goal %(number)s": number is the row's 1-based index
    initial_rows: int = 0
    fixed_rows: tuple[Row, ...] | None = None  # rows given by the data: nothing to add
    filled_by: tuple[str, ...] = ()          # keys that make a row count as filled in
    index_key: str | None = None             # a posted row item carries its row index under this key
    empty: Msg | None = None                 # shown when there are no fixed rows
    empty_list_ok: bool = False              # nothing chosen/filled is an answer ([]), not a missing value


def row_name(field_id: str, index: int, key: str) -> str:
    return f"{field_id}-{index}-{key}"


def posted_row_count(form: PostedForm, field_id: str, fallback: int) -> int:
    try:
        value = int(form.get(field_id + ROWS_SUFFIX, ""))
    except ValueError:
        return fallback
    return max(0, min(value, MAX_ROWS))


def _text(form: PostedForm, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _checkbox(posted: str) -> bool | str:
    """A row's checkbox: "true" (checked) or nothing/"false"; any other text is left for the type to refuse."""
    return {"true": True, "": False, "false": False}.get(posted.strip().lower(), posted)


def _rows(widget: Widget, form: PostedForm, field_id: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for i in range(posted_row_count(form, field_id, widget.initial_rows)):
        row: dict[str, Any] = {}
        for item in widget.inputs:
            name = row_name(field_id, i, item.key)
            row[item.key] = _checkbox(_text(form, name)) if item.widget == "checkbox" else _text(form, name)
        if any(row[k] is True or (isinstance(row[k], str) and row[k].strip()) for k in widget.filled_by):
            rows.append({widget.index_key: i, **row} if widget.index_key else row)
    return rows


def parse_posted(widget: Widget, field: Mapping[str, Any], form: PostedForm) -> Any:
    """The value of one field from a posted form (a mapping with get/getlist/in, e.g. werkzeug's
    MultiDict), or MISSING. Text stays text: converting it is ``convert``'s job. An empty list
    is left out unless it is an answer and the field is optional, so the engine says "is required"."""
    fid = field["id"]
    if widget.kind == "checkbox":  # what was posted, for the type to convert: "false" is not consent
        value = form.get(fid)
        return value if isinstance(value, str) and value.strip() else MISSING
    if widget.kind in ("rows", "checkboxes"):
        if widget.kind == "rows":
            items: list[Any] = _rows(widget, form, fid)
        else:
            items = list(dict.fromkeys(v for v in form.getlist(fid) if isinstance(v, str) and v))
        return items if items or (widget.empty_list_ok and not field.get("required")) else MISSING
    value = form.get(fid)
    return value if isinstance(value, str) and value.strip() else MISSING


def readonly(field: Mapping[str, Any]) -> bool:
    constraints = field.get("constraints") or {}
    flag = constraints.get("readonly")
    return "readonly" in constraints and (flag is None or str(flag).strip().lower() != "false")


def field_attrs(field: Mapping[str, Any], **attrs: Any) -> dict[str, str]:
    """HTML attributes with None dropped, plus readonly from the field's constraint."""
    out = {k: str(v) for k, v in attrs.items() if v is not None}
    if readonly(field):
        out["readonly"] = "readonly"
    return out


class FieldType:
    """A form field type. Override ``convert`` (raise ValueError, or Invalid for a message of
    its own); override ``widget`` to show it otherwise than as a text input; ``load`` reads what
    the widget needs from the database; ``parse`` reads the posted HTML form (by default as the
    widget posts it). ``invalid`` is the msgid shown for a conversion error without a message
    of its own. A plain function can be passed as ``convert``."""
    needs_context = False  # True: convert(raw, context), context being the command's unit of work
    invalid: str | None = None

    def __init__(self, name: str, convert: Callable[..., Any] | None = None):
        self.name = name
        if convert is not None:
            self.convert = convert  # type: ignore[method-assign]

    def convert(self, raw: Any) -> Any:
        raise NotImplementedError(f"field type {self.name!r} has no converter")

    def load(self, uow: UnitOfWork) -> Any:
        """What ``widget`` needs from the database, read in the page's unit of work."""
        return None

    def widget(self, field: Mapping[str, Any], *, data: Mapping[str, Any], loaded: Any) -> Widget:
        """The widget of one field. data: the instance data; loaded: what ``load`` returned."""
        return Widget("text", field_attrs(field))

    def parse(self, field: Mapping[str, Any], form: PostedForm) -> Any:
        return parse_posted(self.widget(field, data={}, loaded=None), field, form)


class ContextualFieldType(FieldType):
    needs_context = True
