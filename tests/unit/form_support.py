"""Helpers shared by the engine.forms tests."""


def fld(fid, ftype="string", *, required=False, default=None, options=None, **constraints):
    return {
        "id": fid, "type": ftype, "label": fid.title(), "default": default,
        "required": required,
        "options": [{"id": o, "label": o.upper()} for o in (options or [])],
        "constraints": constraints, "properties": {},
    }
