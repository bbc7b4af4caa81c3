"""Corrected data for "Run the failed step again" (issue 10): an input per variable the failed step
reads (``engine.retrydata.editable``), with its value now, so that a manager can fix the value that
made the step fail before it runs again.

- A variable a process form defines gets that form field's own widget, shown and parsed by its
  field type (``web.forms``: the task pages' path), so a number, a date or a choice is entered as
  on the form that set it.
- A variable no form defines gets a text input. It shows a text as it is, and anything else (a
  number, true, false, null) as JSON; a text that would read as JSON is shown quoted ("5") so that
  it reads back as text. What is typed is read as a JSON scalar when it is one (a number, true,
  false, null or a quoted string), else as the text itself (``read_text``).
- Only a changed input is sent as data: the posted form is parsed as the untouched form would have
  been, and a variable whose input parses the same is left out (an untouched field is not
  corrected data). A variable the post does not name as shown (``SHOWN``: a post with the reason
  only, from a page without the inputs) is untouched too, even though its inputs are missing.

The web only turns text into values; the engine is the one validator (``engine.retrydata.checked``,
run by ``engine.instances.retry``), and its refusals are shown as field errors here. The inputs'
names start with ``PREFIX``, so no variable can clash with the form's own reason or CSRF token.
Only the variables offered are read from the post: any other input is ignored, never sent.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from polku.engine.errors import ValidationFailed

from .. import forms
from ..i18n import gettext as _

PREFIX = "data."
SHOWN = PREFIX + "_shown"  # hidden, one per variable the form showed (no variable starts with "_")
TEXT_TYPE = "string"  # the widget of a variable no form defines
_SCALARS = (str, int, float, bool, type(None))


@dataclass
class Posted:
    """What the retry form sent: values to show again (by variable), the changed ones to send as
    data, the rows asked for ("Add more rows") and the engine's refusal, if any."""
    values: dict = field(default_factory=dict)
    changed: dict = field(default_factory=dict)
    rows: dict = field(default_factory=dict)
    more: str | None = None
    error: ValidationFailed | None = None


def read_text(text: str):
    """A JSON scalar when the text is one, else the text itself."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, _SCALARS) else text


def shown_text(value) -> str:
    """The text that reads back (``read_text``) as `value`."""
    if isinstance(value, str) and read_text(value) == value:
        return value
    return json.dumps(value, ensure_ascii=False)


def _field(variable: dict) -> dict:
    """The form's field, not required here (a field left as it is is not sent), or a text field."""
    if variable["field"] is not None:
        return {**variable["field"], "required": False}
    return {"id": variable["name"], "type": TEXT_TYPE, "label": variable["name"]}


def _build(variable: dict, process_key: str, values: dict | None, errors: dict | None, rows: dict | None,
           loaded: dict | None) -> dict:
    [view] = forms.build_fields([_field(variable)], process_key=process_key,
                                element_id=variable["element_id"] or "", values=values, errors=errors,
                                rows=rows, loaded=loaded, name_prefix=PREFIX)
    return view


def _now(variable: dict) -> dict:
    """The untouched input's value, as build_fields shows it."""
    if not variable["set"]:
        return {}
    value = variable["value"]
    return {variable["name"]: value if variable["field"] is not None else shown_text(value)}


def views(variables: list[dict], process_key: str, posted: Posted | None = None, loaded: dict | None = None,
          errors: dict | None = None) -> list[dict]:
    """[{"name", "now" (the value now, as text, or None), "view" (the field view)}] for the page."""
    out = []
    for variable in variables:
        values = _now(variable) if posted is None else posted.values
        view = _build(variable, process_key, values, errors, posted.rows if posted else None, loaded)
        out.append({"name": variable["name"], "now": shown_text(variable["value"]) if variable["set"] else None,
                    "view": view})
    return out


def _as_posted(view: dict) -> MultiDict:
    """What a browser posts for a field view nobody touched."""
    pairs: list[tuple[str, str]] = []
    attrs = view.get("attrs") or {}
    if view["widget"] in ("radios", "checkboxes"):
        pairs += [(o["attrs"]["name"], o["attrs"]["value"]) for o in view["options"] if "checked" in o["attrs"]]
    elif view["widget"] == "select":
        pairs += [(view["name"], o["value"]) for o in view["options"] if o["selected"]]
    elif view["widget"] == "checkbox":
        if "checked" in attrs:
            pairs.append((view["name"], attrs.get("value", "on")))
    elif view["widget"] == "rows":
        pairs.append((view["rows_name"], str(view["row_count"])))
        for row in view["rows"]:
            for item in row["inputs"]:
                if item["widget"] != "checkbox" or item.get("checked"):
                    pairs.append((item["name"], item["value"]))
    else:
        pairs.append((view["name"], view.get("value") or ""))
    return MultiDict(pairs)


def _text(form, name: str) -> str:
    value = form.get(PREFIX + name, "")
    return value.replace("\r\n", "\n") if isinstance(value, str) else ""


def loaded(uow, variables: list[dict]) -> dict:
    """What the form fields' widgets read from the database (forms.widget_data)."""
    return forms.widget_data(uow, [v["field"] for v in variables if v["field"] is not None])


def read(variables: list[dict], form, loaded: dict | None = None) -> Posted:
    """The posted retry form: what to show again and what changed (`form`: request.form)."""
    posted = Posted(more=forms.more_rows_requested(form))
    shown = set(form.getlist(SHOWN))
    for variable in variables:
        name, fld = variable["name"], _field(variable)
        if name not in shown:
            posted.values.update(_now(variable))
            continue
        if variable["field"] is None:
            text = _text(form, name)
            posted.values[name] = text
            if text != (_now(variable).get(name) or ""):
                posted.changed[name] = read_text(text)
            continue
        posted.rows.update(forms.row_counts([fld], form, add=posted.more, prefix=PREFIX))
        untouched = _build(variable, "", _now(variable), None, None, loaded)  # labels need no process here
        now = forms.parse_form([fld], _as_posted(untouched), prefix=PREFIX)
        sent = forms.parse_form([fld], form, prefix=PREFIX)
        posted.values.update(sent)
        if sent != now:
            posted.changed[name] = sent.get(name)
    return posted


def error_messages(exc: ValidationFailed, variables: list[dict], process_key: str) -> dict:
    """{variable: message in the user's language}: the retry's own refusals here, the form
    checks' through the forms' messages (one place for each)."""
    own = {
        "engine_variable": _("The system sets this value: a retry cannot change it."),
        "not_read": _("The failed step does not read this value, so it cannot be corrected here."),
        "out_of_range": _("The number is too large or too small."),
        "not_a_number": _("Enter a number."),
        "not_a_scalar": _("Enter text, a number, true, false or null."),
    }
    messages = forms.error_messages(exc, [_field(v) for v in variables], process_key)
    for key in messages:
        code = ((exc.details or {}).get(key) or {}).get("code")
        if code in own:
            messages[key] = own[code]
    return messages
