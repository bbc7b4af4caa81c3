"""Camunda ``formData`` field definitions (plain JSON dicts stored with each ready
task) and validation of submitted data against them."""
from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as _dc_field
from typing import Any

# FieldType and ContextualFieldType are re-exported: custom types subclass them from here too.
from .fieldtypes import (  # noqa: F401
    CONTROL_CHARACTERS,
    N_,
    NOT_ALLOWED,
    ContextualFieldType,
    FieldType,
    Invalid,
    Msg,
    Option,
    Widget,
    field_attrs,
    has_control_characters,
    has_unstorable_text,
)

# Validation names understood here. Unknown names are ignored at submission time
# (a running form must not break), so the deploy step uses this to warn or refuse.
KNOWN_CONSTRAINTS = frozenset({"required", "min", "max", "minlength", "maxlength", "readonly"})
BUILTIN_TYPES = ("string", "long", "boolean", "date", "enum")

_LONG_RE = re.compile(r"[+-]?[0-9]{1,19}")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1  # Camunda "long" is a Java long
# Strict booleans: only JSON true or "true" (what a checked box posts) is true. Spellings that
# can only mean "no" are false; anything else ("yes", "1", "on", "maybe") is refused, never guessed.
_TRUE, _FALSE = frozenset({"true"}), frozenset({"false", "off", "0", "no"})
_MULTILINE = frozenset({"true", "on", "1", "yes"})  # a designer's property, not a submitted value


def _flag(config: Any) -> bool:
    # <camunda:constraint name="required"/> has no config; only "false" turns it off.
    return config is None or str(config).strip().lower() != "false"


def field_definitions(form: Any) -> list[dict[str, Any]]:
    """JSON-serialisable definitions of a Spiff camunda ``Form``, in form order."""
    result: list[dict[str, Any]] = []
    for f in form.fields if form is not None else []:
        constraints: dict[str, Any] = {}
        required = False
        for v in f.validation:
            if v.name == "required":
                required = _flag(v.config)
            else:
                constraints[v.name] = v.config  # kept verbatim; parsed where used
        options = getattr(f, "options", []) if f.type == "enum" else []
        result.append({
            "id": f.id, "type": f.type, "label": f.label, "default": f.default_value,
            "required": required, "options": [{"id": o.id, "label": o.name} for o in options],
            "constraints": constraints, "properties": {p.id: p.value for p in f.properties},
        })
    return result


def _to_string(raw: Any) -> str:
    # No str() coercion: a number or list sent for a text field is a client bug.
    if not isinstance(raw, str):
        raise ValueError("must be text")
    return raw


def _to_long(raw: Any) -> int:
    # Rejects bool (an int subclass) and floats; the regex keeps huge strings from int().
    if isinstance(raw, str) and _LONG_RE.fullmatch(raw.strip()):
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ValueError("must be a whole number")
    if not _LONG_MIN <= raw <= _LONG_MAX:
        raise ValueError("is out of range")
    return raw


def _to_boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = raw.strip().lower() if isinstance(raw, str) else None
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ValueError("must be true or false")


def _to_date(raw: Any) -> _dt.date:
    # datetime is a date subclass; accepting it would silently drop the time.
    if isinstance(raw, _dt.date) and not isinstance(raw, _dt.datetime):
        return raw
    # Regex first: date.fromisoformat also accepts "20240101", "2024-W01-1", ...
    if isinstance(raw, str) and _DATE_RE.fullmatch(raw.strip()):
        try:
            return _dt.date.fromisoformat(raw.strip())
        except ValueError:
            pass
    raise ValueError("must be a valid date (YYYY-MM-DD)")


def _to_length(config: Any) -> int:
    text = str(config).strip() if config is not None else ""
    if not (text.isascii() and text.isdigit()):
        raise ValueError("must be a non-negative integer")
    return int(text)


# How each constraint's config is parsed, per type it applies to.
# Their results are compared with converted values of the same type (int with int, date with date).
BOUND_PARSERS: dict[tuple[str, str], Callable[[Any], Any]] = {("long", "min"): _to_long, ("long", "max"): _to_long,
                  ("date", "min"): _to_date, ("date", "max"): _to_date,
                  ("string", "minlength"): _to_length, ("string", "maxlength"): _to_length}
TEXTAREA_OVER = 200  # a string field with a longer maxlength is shown as a textarea


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _iso_or_none(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text if _DATE_RE.fullmatch(text) else None


class StringType(FieldType):
    invalid = N_("Enter text.")

    def convert(self, raw: Any) -> str:
        return _to_string(raw)

    def widget(self, field: Mapping[str, Any], *, data: Mapping[str, Any], loaded: Any) -> Widget:
        constraints, props = field.get("constraints") or {}, field.get("properties") or {}
        maxlength, minlength = _int(constraints.get("maxlength")), _int(constraints.get("minlength"))
        multiline = str(props.get("multiline", "")).strip().lower() in _MULTILINE or (
            maxlength is not None and maxlength > TEXTAREA_OVER)
        return Widget("textarea" if multiline else "text", field_attrs(
            field, maxlength=maxlength, minlength=minlength, rows="5" if multiline else None))


class LongType(FieldType):
    invalid = N_("Enter a whole number.")

    def convert(self, raw: Any) -> int:
        return _to_long(raw)

    def widget(self, field: Mapping[str, Any], *, data: Mapping[str, Any], loaded: Any) -> Widget:
        constraints = field.get("constraints") or {}
        return Widget("number", field_attrs(field, type="number", inputmode="numeric", step="1",
                                            min=_int(constraints.get("min")), max=_int(constraints.get("max"))))


class BooleanType(FieldType):
    invalid = N_("Choose yes or no.")

    def convert(self, raw: Any) -> bool:
        return _to_boolean(raw)

    def widget(self, field: Mapping[str, Any], *, data: Mapping[str, Any], loaded: Any) -> Widget:
        return Widget("checkbox", {"type": "checkbox", "value": "true"})


class DateType(FieldType):
    invalid = N_("Enter a valid date.")

    def convert(self, raw: Any) -> _dt.date:
        return _to_date(raw)

    def widget(self, field: Mapping[str, Any], *, data: Mapping[str, Any], loaded: Any) -> Widget:
        constraints = field.get("constraints") or {}
        return Widget("date", field_attrs(field, type="date", min=_iso_or_none(constraints.get("min")),
                                          max=_iso_or_none(constraints.get("max"))))


class EnumType(FieldType):
    """Membership needs the field's options, so validate_submission checks it."""
    invalid = N_("Choose one of the options.")

    def convert(self, raw: Any) -> str:
        return _to_string(raw)

    def widget(self, field: Mapping[str, Any], *, data: Mapping[str, Any], loaded: Any) -> Widget:
        return Widget("choice", options=tuple(Option(o["id"], o.get("label"), from_process=True)
                                              for o in field.get("options") or []))


_BUILTINS = {"string": StringType, "long": LongType, "boolean": BooleanType, "date": DateType, "enum": EnumType}


class FieldTypes:
    """Registry of field types. Always holds the built-ins, which cannot be replaced
    because BPMN conditions rely on their Python types (int, bool)."""
    def __init__(self) -> None:
        self._types: dict[str, FieldType] = {n: cls(n) for n, cls in _BUILTINS.items()}

    def register(self, name: str | FieldType, converter: FieldType | Callable[[Any], Any] | None = None) -> None:
        """register(type_object), register(name, type_object) or register(name, function)."""
        if isinstance(name, FieldType):
            converter = name
            name = name.name
        if not name or name in self._types:  # no silent overrides, built-in or not
            raise ValueError(f"field type name {name!r} is empty or already registered")
        if converter is None:
            raise ValueError(f"field type {name!r} has no converter")
        if not isinstance(converter, FieldType):  # a plain function
            converter = FieldType(name, converter)
        self._types[name] = converter

    def get(self, name: str) -> FieldType:
        if name not in self._types:
            raise KeyError(f"unknown field type {name!r}")
        return self._types[name]

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def names(self) -> list[str]:
        return list(self._types)


def default_field_types() -> FieldTypes:
    """A fresh registry holding only the built-in types."""
    return FieldTypes()


@dataclass(frozen=True)
class FieldError:
    code: str      # stable key the web layer translates
    message: str   # short English fallback
    params: dict[str, Any] = _dc_field(default_factory=dict)


class FormValidationError(Exception):
    """All field errors of one submission."""
    def __init__(self, errors: dict[str, FieldError]):
        self.errors = dict(errors)
        super().__init__("invalid form fields: " + "; ".join(
            f"{k} ({e.message})" for k, e in self.errors.items()))

    def as_dict(self) -> dict[str, str]:
        return {k: e.message for k, e in self.errors.items()}


class FormDefinitionError(Exception):
    """A broken stored definition (check_form_definition finds these): not the submitter's fault.
    `msg` is the translatable problem when it was raised with one."""

    def __init__(self, message: str | Msg):
        super().__init__(str(message))
        self.msg = message if isinstance(message, Msg) else None


def to_json_value(value: Any) -> Any:
    """Dates become ISO strings (also inside lists/dicts); all else is unchanged."""
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json_value(v) for k, v in value.items()}
    return value


def _missing(raw: Any) -> bool:
    # Whitespace-only text counts like "": it satisfies no real requirement.
    return raw is None or (isinstance(raw, str) and not raw.strip())


def field_default(fdef: dict[str, Any], ftype: FieldType) -> Any:
    """The field's converted default, or None."""
    default = fdef.get("default")
    if _missing(default):
        return None
    try:
        value = ftype.convert(default)
    except ValueError as exc:
        raise FormDefinitionError(Msg(N_("field %(field)s: default %(default)s %(detail)s"), {
            "field": repr(fdef.get("id")), "default": repr(default), "detail": getattr(exc, "msg", None) or exc,
        })) from None
    if fdef.get("type") == "enum" and value not in [o.get("id") for o in fdef.get("options") or []]:
        raise FormDefinitionError(Msg(N_("field %(field)s: default %(default)s is not an option"),
                                      {"field": repr(fdef.get("id")), "default": repr(default)}))
    return value


def _constraint_error(fdef: dict[str, Any], value: Any) -> FieldError | None:
    tname: str = fdef["type"]  # validate_submission has read it already
    for name, config in (fdef.get("constraints") or {}).items():
        parse = BOUND_PARSERS.get((tname, name))
        if parse is None:
            continue  # readonly is handled by the caller; unknown names are ignored
        try:
            bound = parse(config)
        except ValueError as exc:
            raise FormDefinitionError(f"field {fdef.get('id')!r}: {name} {config!r} {exc}") from None
        size = len(value) if tname == "string" else value
        low = name.startswith("min")
        if (size < bound) if low else (size > bound):
            shown, unit = to_json_value(bound), " characters" if tname == "string" else ""
            word = ["at most", "at least", "on or before", "on or after"][low + 2 * (tname == "date")]
            return FieldError(name, f"must be {word} {shown}{unit}", {name: shown})
    return None


def validate_submission(fields: list[dict[str, Any]], data: dict[str, Any], types: FieldTypes,
                        context: Any = None) -> dict[str, Any]:
    """Convert and check ``data`` against ``fields``. Returns {field_id: value} for
    every defined field, or raises one FormValidationError holding every problem.
    Dates come back as ISO strings, not date objects: the result goes into task data,
    which the workflow serializer must store as JSON. Ints and bools stay native so
    BPMN conditions compare them correctly.
    """
    errors: dict[str, FieldError] = {}
    result: dict[str, Any] = {}
    for fdef in fields:
        fid, required, boolean = fdef["id"], fdef.get("required"), fdef["type"] == "boolean"
        if fdef["type"] not in types:  # a deployment bug, not the submitter's
            raise FormDefinitionError(f"field {fid!r}: unknown type {fdef['type']!r}")
        ftype, cons = types.get(fdef["type"]), fdef.get("constraints") or {}
        readonly = "readonly" in cons and _flag(cons["readonly"])
        raw = data.get(fid)
        if _missing(raw):
            # Disabled (readonly) inputs are not submitted, so their default stands. An
            # unchecked HTML checkbox is absent too, so it means False whatever the default.
            value = field_default(fdef, ftype) if readonly or not (required or boolean) else None
            if value is None and required:
                errors[fid] = FieldError("required", "is required")
            else:
                result[fid] = to_json_value(False if value is None and boolean else value)
            continue
        if has_unstorable_text(raw):  # NUL, a lone surrogate: no database could store it
            exc = Invalid(NOT_ALLOWED)
            errors[fid] = FieldError("type", str(exc), {"message": exc.msg.as_dict()})
            continue
        if has_control_characters(raw):  # refused before any type sees it (a lookup, a parser)
            exc = Invalid(CONTROL_CHARACTERS)
            errors[fid] = FieldError("type", str(exc), {"message": exc.msg.as_dict()})
            continue
        try:
            convert: Callable[..., Any] = ftype.convert  # takes the context too when needs_context
            value = convert(raw, context) if ftype.needs_context else convert(raw)
        except ValueError as exc:  # Invalid carries a message of its own, for the UI to translate
            params = {"message": exc.msg.as_dict()} if isinstance(exc, Invalid) else {}
            errors[fid] = FieldError("type", str(exc) or "is invalid", params)
            continue
        options = [o.get("id") for o in fdef.get("options") or []]
        if fdef["type"] == "enum" and value not in options:
            errors[fid] = FieldError("enum", "must be one of: " + ", ".join(map(str, options)),
                                     {"options": options})
        elif readonly and value != field_default(fdef, ftype):
            errors[fid] = FieldError("readonly", "cannot be changed",
                                     {"default": to_json_value(field_default(fdef, ftype))})
        elif (error := _constraint_error(fdef, value)) is not None:
            errors[fid] = error
        else:
            result[fid] = to_json_value(value)
    known = {fdef["id"] for fdef in fields}
    for key in data:
        if key not in known:
            errors[repr(key)[1:-1] if has_unstorable_text(key) else str(key)] = FieldError("unknown_field",
                                                                                           "unknown field")
    if errors:
        raise FormValidationError(errors)
    return result
