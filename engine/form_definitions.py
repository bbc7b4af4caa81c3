"""Deploy-time checks of a form definition (engine.bundle refuses a bundle with any): duplicate
field ids, a type no renderer knows, an enum without options, constraints that do not apply or
do not parse, bounds the wrong way round, a default the field would refuse. Each problem is a
``Msg`` (an English msgid marked ``N_`` and its parameters), so the validation report shows it in
the designer's language; its English (``str()``) is what the CLI and the REST API give."""
from __future__ import annotations

from typing import Any

from .fieldtypes import N_, Msg
from .forms import BOUND_PARSERS, BUILTIN_TYPES, FieldTypes, FormDefinitionError, field_default


def check_form_definition(fields: list[dict[str, Any]], types: FieldTypes) -> list[Msg]:
    """Deploy-time problems with a form definition, each an English msgid with its parameters."""
    problems: list[tuple[str | None, str, dict[str, Any]]] = []  # field id, msgid, params
    seen: set[str | None] = set()
    for fdef in fields:
        fid: str | None = fdef.get("id")
        tname: str | None = fdef.get("type")
        if fid in seen:
            problems.append((fid, N_("field %(field)s: duplicate id"), {}))
        seen.add(fid)
        if tname is None or tname not in types:  # None is never registered: the same message
            problems.append((fid, N_("field %(field)s: unknown type %(type)s"), {"type": repr(tname)}))
            continue
        if tname == "string" and "maxlength" not in (fdef.get("constraints") or {}):
            # Unbounded text would be copied into state, audit and every read (issue 9, finding 7).
            problems.append((fid, N_("field %(field)s: a string field needs a maxlength constraint"
                                     " (<camunda:constraint name=\"maxlength\" config=\"...\"/>)"), {}))
        if tname == "enum" and not fdef.get("options"):
            problems.append((fid, N_("field %(field)s: enum has no options"), {}))
        bounds: dict[str, Any] = {}
        for name, config in (fdef.get("constraints") or {}).items():
            parse = BOUND_PARSERS.get((tname, name))
            if parse is None:
                if name in ("min", "max", "minlength", "maxlength"):  # else silently ignored
                    problems.append((fid, N_("field %(field)s: constraint %(name)s does not apply to type %(type)s"),
                                     {"name": repr(name), "type": repr(tname)}))
                continue
            try:
                bounds[name] = parse(config)
            except ValueError as exc:
                problems.append((fid, N_("field %(field)s: %(name)s %(config)s is not valid for %(type)s (%(detail)s)"),
                                 {"name": name, "config": repr(config), "type": tname, "detail": exc}))
        for low, high in (("min", "max"), ("minlength", "maxlength")):
            if low in bounds and high in bounds and bounds[low] > bounds[high]:
                problems.append((fid, N_("field %(field)s: %(low)s is greater than %(high)s"),
                                 {"low": low, "high": high}))
        if tname in BUILTIN_TYPES:  # custom converters may expect JSON, not XML text
            try:
                field_default(fdef, types.get(tname))
            except FormDefinitionError as exc:
                assert exc.msg is not None  # field_default raises its problem as a Msg
                problems.append((fid, exc.msg.msgid, dict(exc.msg.params)))
    return [Msg(msgid, {"field": repr(fid), **params}) for fid, msgid, params in problems]
