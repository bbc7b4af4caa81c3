"""Helpers shared by the engine.forms tests."""
import pytest

from polku.engine.forms import FormValidationError, validate_submission


def fld(fid, ftype="string", *, required=False, default=None, options=None, **constraints):
    return {
        "id": fid, "type": ftype, "label": fid.title(), "default": default,
        "required": required,
        "options": [{"id": o, "label": o.upper()} for o in (options or [])],
        "constraints": constraints, "properties": {},
    }


def ok(fields, data, types):
    return validate_submission(fields, data, types)


def error_of(fields, data, types, field_id):
    with pytest.raises(FormValidationError) as info:
        validate_submission(fields, data, types)
    return info.value.errors[field_id]
