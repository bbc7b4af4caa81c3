"""A posted HTML form → the JSON values the engine validates.

Strings stay strings (the engine converts numbers and dates and says what is wrong);
an empty text input is left out (the engine applies defaults and "required"); a checked
checkbox is True and an unchecked one is left out. Repeatable rows become lists of dicts,
blank rows dropped.
"""
from __future__ import annotations

MORE_ROWS = "_more_rows"   # name of the "Add more rows" submit button; its value is the field id
ROWS_SUFFIX = "-rows"      # hidden input "<field>-rows": how many rows the page showed
MAX_ROWS = 50              # as many as the engine accepts (domain.fieldtypes.MAX_ITEMS)
ADD_ROWS = 3

# Repeatable types: their row keys, how many rows a fresh form shows, and which keys make a
# row count as filled in (a row with only its defaults is blank).
ROW_KEYS = {"goal_list": ("category", "description", "verification"), "meeting_list": ("date", "kind")}
INITIAL_ROWS = {"goal_list": 5, "meeting_list": 7}
FILLED_BY = {"goal_list": ("category", "description", "verification"), "meeting_list": ("date",)}
# List types where "nothing" is a real answer ([]), not a missing value.
EMPTY_LIST_OK = {"meeting_list", "category_list", "goal_results"}


def row_name(field_id: str, index: int, key: str) -> str:
    return f"{field_id}-{index}-{key}"


def _count(form, field_id: str, fallback: int) -> int:
    try:
        value = int(form.get(field_id + ROWS_SUFFIX, ""))
    except ValueError:
        return fallback
    return max(0, min(value, MAX_ROWS))


def more_rows_requested(form) -> str | None:
    """The id of the field whose "Add more rows" button was pressed, if one was."""
    return form.get(MORE_ROWS) or None


def row_counts(fields: list[dict], form=None, add: str | None = None) -> dict[str, int]:
    """Rows to show per repeatable field: as posted (at least the initial number), plus
    ADD_ROWS for the field named by `add`."""
    counts = {}
    for f in fields:
        initial = INITIAL_ROWS.get(f["type"])
        if initial is None:
            continue
        count = initial if form is None else max(initial, _count(form, f["id"], initial))
        if add == f["id"]:
            count += ADD_ROWS
        counts[f["id"]] = min(count, MAX_ROWS)
    return counts


def _text(form, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _rows(form, field_id: str, ftype: str) -> list[dict]:
    rows = []
    for i in range(_count(form, field_id, INITIAL_ROWS[ftype])):
        row = {key: _text(form, row_name(field_id, i, key)) for key in ROW_KEYS[ftype]}
        if any(row[key].strip() for key in FILLED_BY[ftype]):
            rows.append(row)
    return rows


def _goal_results(form, field_id: str) -> list[dict]:
    results = []
    for i in range(_count(form, field_id, 0)):
        reached = row_name(field_id, i, "reached") in form
        evidence = _text(form, row_name(field_id, i, "evidence"))
        if reached or evidence.strip():
            results.append({"goal": i, "reached": reached, "evidence": evidence})
    return results


def _put_list(values: dict, field: dict, items: list) -> None:
    # An empty list is an answer ("no meetings this week") unless the field is required:
    # then it is left out, so that the engine says "is required".
    if items or (field["type"] in EMPTY_LIST_OK and not field.get("required")):
        values[field["id"]] = items


def parse_form(fields: list[dict], form) -> dict:
    """{field id: value} from a werkzeug MultiDict (request.form)."""
    values: dict = {}
    for f in fields:
        fid, ftype = f["id"], f["type"]
        if ftype == "boolean":
            if form.get(fid):
                values[fid] = True
        elif ftype in ROW_KEYS:
            _put_list(values, f, _rows(form, fid, ftype))
        elif ftype == "goal_results":
            _put_list(values, f, _goal_results(form, fid))
        elif ftype == "category_list":
            chosen = [v for v in form.getlist(fid) if isinstance(v, str) and v]
            _put_list(values, f, list(dict.fromkeys(chosen)))
        else:
            value = form.get(fid)
            if isinstance(value, str) and value.strip():
                values[fid] = value
    return values
