"""Field definitions → field views: everything the form macros need, already translated.

A field view is a dict: id, html_id (``field-<id>``: the error summary links there; for a
group it is the group's first input), widget, label, required, hint/hint_id, error/error_id,
value, attrs (HTML attributes of the input), options, rows. Labels come from the process
catalog (``plabel``), UI words from Babel.
"""
from __future__ import annotations

from flask_babel import get_locale

from polku.domain.rules import OUTCOME_CATEGORIES

from ..i18n import format_day, lazy_gettext, ngettext, process_label
from ..i18n import gettext as _
from .parsing import MAX_ROWS, MORE_ROWS, ROWS_SUFFIX, row_counts, row_name

RADIO_LIMIT = 4           # up to this many options: radio buttons; more: a select
TEXTAREA_OVER = 200       # maxlength above this: a textarea
MEETING_KINDS = {"individual": lazy_gettext("Individual meeting"), "group": lazy_gettext("Group meeting")}


def _html_id(field_id: str) -> str:
    return f"field-{field_id}"


def _int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _text_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _truthy(value) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in ("true", "on", "1", "yes")


# The card's outcome areas: Finnish is the domain's own wording (domain.rules), other languages
# come from the process catalog if it has them, else from the UI catalog (these msgids).
CATEGORY_NAMES = {
    "employment_or_education": lazy_gettext("Employment or starting education"),
    "job_search_skills": lazy_gettext("Improved job-search skills"),
    "job_opportunities": lazy_gettext("Mapping job opportunities"),
    "working_life_readiness": lazy_gettext("Improved working-life readiness"),
    "employment_support": lazy_gettext("Support in concluding and stabilising an employment relationship"),
    "realistic_plan": lazy_gettext("A realistic decision and plan to apply for education or work"),
}


def category_label(process_key: str, category: str, element_id: str | None = None, field_id: str | None = None) -> str:
    """An outcome area in the user's language. Process catalog keys tried: the field's own
    option key (element.field.category), then `outcome_categories.<category>`."""
    if str(get_locale()) == "fi":
        return OUTCOME_CATEGORIES.get(category, category)
    keys = ([f"{element_id}.{field_id}.{category}"] if element_id and field_id else []) + \
        [f"outcome_categories.{category}"]
    for key in keys:
        found = process_label(process_key, key, None)
        if found:
            return found
    return str(CATEGORY_NAMES.get(category, category))


def _category_label(process_key: str, element_id: str, field_id: str, category: str) -> str:
    return category_label(process_key, category, element_id, field_id)


class _Builder:
    def __init__(self, process_key, element_id, values, errors, rows, data, providers):
        self.pk, self.el = process_key, element_id
        self.fresh = values is None     # a fresh form shows the defaults; a posted one what was posted
        self.values = values or {}
        self.errors = errors or {}
        self.rows = rows or {}
        self.data = data or {}
        self.providers = providers

    def value(self, f):
        if self.fresh:
            return f.get("default")
        return self.values.get(f["id"])

    def view(self, f) -> dict:
        fid = f["id"]
        props = f.get("properties") or {}
        constraints = f.get("constraints") or {}
        view = {
            "id": fid, "name": fid, "type": f["type"], "html_id": _html_id(fid),
            "label": process_label(self.pk, f"{self.el}.{fid}", f.get("label") or fid),
            "required": bool(f.get("required")),
            "hint": process_label(self.pk, f"{self.el}.{fid}.help", props["help"]) if props.get("help") else None,
            "error": self.errors.get(fid),
            "attrs": {}, "options": [], "rows": [], "group": False,
        }
        view["hint_id"] = f"{view['html_id']}-hint" if view["hint"] else None
        view["error_id"] = f"{view['html_id']}-error" if view["error"] else None
        view["describedby"] = " ".join(i for i in (view["hint_id"], view["error_id"]) if i) or None
        builder = getattr(self, f"_{f['type']}", None)
        if builder is None:
            builder = self._string
        builder(f, view, constraints, props)
        return view

    # --- shared attributes ------------------------------------------------------------
    def _attrs(self, view, **extra) -> dict:
        attrs = {"id": view["html_id"], "name": view["name"]}
        if view["required"]:
            attrs["required"] = "required"
        if view["describedby"]:
            attrs["aria-describedby"] = view["describedby"]
        if view["error"]:
            attrs["aria-invalid"] = "true"
        attrs.update({k: v for k, v in extra.items() if v is not None})
        return attrs

    def _readonly(self, constraints) -> str | None:
        flag = constraints.get("readonly", False)
        on = "readonly" in constraints and (flag is None or str(flag).strip().lower() != "false")
        return "readonly" if on else None

    def _group(self, view) -> None:
        view["group"] = True
        view["fieldset_attrs"] = {"aria-describedby": view["describedby"]} if view["describedby"] else {}

    # --- simple types -----------------------------------------------------------------
    def _string(self, f, view, constraints, props):
        maxlength = _int(constraints.get("maxlength"))
        minlength = _int(constraints.get("minlength"))
        multiline = _truthy(props.get("multiline")) or (maxlength is not None and maxlength > TEXTAREA_OVER)
        view["widget"] = "textarea" if multiline else "text"
        view["value"] = _text_value(self.value(f))
        view["attrs"] = self._attrs(view, maxlength=maxlength, minlength=minlength,
                                    readonly=self._readonly(constraints), rows="5" if multiline else None)

    def _long(self, f, view, constraints, props):
        view["widget"] = "number"
        view["value"] = _text_value(self.value(f))
        low, high = _int(constraints.get("min")), _int(constraints.get("max"))
        view["attrs"] = self._attrs(view, type="number", inputmode="numeric", step="1",
                                    min=None if low is None else str(low), max=None if high is None else str(high),
                                    readonly=self._readonly(constraints))

    def _date(self, f, view, constraints, props):
        view["widget"] = "date"
        view["value"] = _text_value(self.value(f))[:10]
        view["attrs"] = self._attrs(view, type="date", readonly=self._readonly(constraints),
                                    min=_iso_or_none(constraints.get("min")), max=_iso_or_none(constraints.get("max")))

    def _boolean(self, f, view, constraints, props):
        view["widget"] = "checkbox"
        checked = _truthy(self.value(f))
        view["attrs"] = self._attrs(view, type="checkbox", value="true", checked="checked" if checked else None)

    def _hetu(self, f, view, constraints, props):
        view["widget"] = "text"
        view["value"] = _text_value(self.value(f))
        view["attrs"] = self._attrs(view, autocomplete="off", spellcheck="false", maxlength="11",
                                    readonly=self._readonly(constraints))

    def _enum(self, f, view, constraints, props):
        current = _text_value(self.value(f))
        options = [{"value": o["id"], "label": process_label(self.pk, f"{self.el}.{f['id']}.{o['id']}", o.get("label"))}
                   for o in f.get("options") or []]
        self._choice(view, options, current, radios=len(options) <= RADIO_LIMIT)

    def _provider(self, f, view, constraints, props):
        if self.providers is None:  # no list given: type the name
            return self._hetu(f, view, constraints, props)
        current = _text_value(self.value(f))
        names = list(self.providers)
        if current and current not in names:
            names.append(current)  # keep what was posted visible, the engine says what is wrong
        self._choice(view, [{"value": n, "label": n} for n in names], current, radios=False)

    def _choice(self, view, options, current, radios: bool) -> None:
        if radios:
            view["widget"] = "radios"
            self._group(view)
            for n, option in enumerate(options):
                option["id"] = view["html_id"] if n == 0 else f"{view['html_id']}-{n}"
                option["attrs"] = {"type": "radio", "id": option["id"], "name": view["name"], "value": option["value"],
                                   "checked": "checked" if option["value"] == current else None,
                                   "required": "required" if view["required"] else None,
                                   "aria-invalid": "true" if view["error"] else None}
                option["attrs"] = {k: v for k, v in option["attrs"].items() if v is not None}
        else:
            view["widget"] = "select"
            view["attrs"] = self._attrs(view)
            # A blank first choice unless a value is already chosen and the field must be filled.
            view["blank"] = _("Choose…") if not (view["required"] and current) else None
            for option in options:
                option["selected"] = option["value"] == current
        view["options"] = options

    # --- custom types -----------------------------------------------------------------
    def _rows_view(self, view, count: int) -> None:
        self._group(view)
        view["rows_name"] = view["id"] + ROWS_SUFFIX
        view["row_count"] = count
        view["more_name"], view["more_value"] = MORE_ROWS, view["id"]
        view["can_add"] = count < MAX_ROWS

    def _row_input(self, view, i, key, widget, label, value="", first=False, **extra) -> dict:
        html_id = view["html_id"] if first else f"{view['html_id']}-{i}-{key}"
        item = {"widget": widget, "id": html_id, "name": row_name(view["id"], i, key), "label": label,
                "value": value, **extra}
        return item

    def _posted_rows(self, f) -> list[dict]:
        value = self.value(f)
        return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []

    def _goal_list(self, f, view, constraints, props):
        view["widget"] = "rows"
        posted = self._posted_rows(f)
        count = max(self.rows.get(f["id"], 5), len(posted))
        self._rows_view(view, count)
        categories = [{"value": c, "label": _category_label(self.pk, self.el, f["id"], c)} for c in OUTCOME_CATEGORIES]
        for i in range(count):
            row = posted[i] if i < len(posted) else {}
            current = _text_value(row.get("category"))
            options = [dict(o, selected=o["value"] == current) for o in categories]
            view["rows"].append({"legend": _("Goal %(number)s", number=i + 1), "hint": None, "inputs": [
                self._row_input(view, i, "category", "select", _("Outcome area"), current, first=i == 0,
                                options=options, blank=_("Choose…")),
                self._row_input(view, i, "description", "text", _("Goal"), _text_value(row.get("description")),
                                maxlength="2000"),
                self._row_input(view, i, "verification", "text", _("How reaching the goal is verified"),
                                _text_value(row.get("verification")), maxlength="2000"),
            ]})

    def _meeting_list(self, f, view, constraints, props):
        view["widget"] = "rows"
        posted = self._posted_rows(f)
        count = max(self.rows.get(f["id"], 7), len(posted))
        self._rows_view(view, count)
        for i in range(count):
            row = posted[i] if i < len(posted) else {}
            current = _text_value(row.get("kind")) or "individual"
            options = [{"value": k, "label": str(label), "selected": k == current} for k, label in MEETING_KINDS.items()]
            view["rows"].append({"legend": _("Meeting %(number)s", number=i + 1), "hint": None, "inputs": [
                self._row_input(view, i, "date", "date", _("Date"), _text_value(row.get("date"))[:10], first=i == 0),
                self._row_input(view, i, "kind", "select", _("Kind of meeting"), current, options=options, blank=None),
            ]})

    def _goal_results(self, f, view, constraints, props):
        view["widget"] = "rows"
        goals = [g for g in (self.data.get("goals") or []) if isinstance(g, dict)]
        self._rows_view(view, len(goals))
        view["can_add"] = False  # one row per goal set: nothing to add
        view["empty"] = _("No goals were set for this case.") if not goals else None
        if not goals:
            view["empty_id"] = view["html_id"]
        results = {}
        for r in self._posted_rows(f):
            index = _int(r.get("goal"))
            if index is not None:
                results[index] = r
        for i, goal in enumerate(goals):
            result = results.get(i, {})
            category = _category_label(self.pk, self.el, f["id"], str(goal.get("category", "")))
            hint = _("%(area)s. Verified by: %(verification)s", area=category,
                     verification=goal.get("verification", ""))
            hint_id = f"{view['html_id']}-{i}-hint"
            view["rows"].append({"legend": _("Goal %(number)s: %(goal)s", number=i + 1, goal=goal.get("description", "")),
                                 "hint": hint, "hint_id": hint_id, "inputs": [
                self._row_input(view, i, "reached", "checkbox", _("The goal was reached"), "true", first=i == 0,
                                checked=_truthy(result.get("reached")), describedby=hint_id),
                self._row_input(view, i, "evidence", "textarea", _("Evidence"), _text_value(result.get("evidence")),
                                maxlength="2000", describedby=hint_id),
            ]})

    def _category_list(self, f, view, constraints, props):
        view["widget"] = "checkboxes"
        self._group(view)
        value = self.value(f)
        chosen = set(value) if isinstance(value, list) else set()
        for n, category in enumerate(OUTCOME_CATEGORIES):
            option_id = view["html_id"] if n == 0 else f"{view['html_id']}-{category}"
            view["options"].append({
                "id": option_id, "label": _category_label(self.pk, self.el, f["id"], category),
                "attrs": {"type": "checkbox", "id": option_id, "name": view["name"], "value": category,
                          **({"checked": "checked"} if category in chosen else {})},
            })


def _iso_or_none(value) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text if len(text) == 10 and text[4] == "-" and text[7] == "-" else None


def build_fields(fields: list[dict], *, process_key: str, element_id: str, values: dict | None = None,
                 errors: dict | None = None, rows: dict | None = None, data: dict | None = None,
                 providers: list[str] | None = None) -> list[dict]:
    """Field views for the form macros.

    values: None for a fresh form (the defaults are shown), else what was posted (parse_form's
    result). errors: {field id: translated message} (error_messages). rows: row counts per
    repeatable field (row_counts). data: the instance data (goal_results lists its `goals`).
    providers: names for a `provider` field (a select); without it a text input."""
    builder = _Builder(process_key, element_id, values, errors, rows or row_counts(fields), data, providers)
    return [builder.view(f) for f in fields]


# --- errors -------------------------------------------------------------------------------
def _bound(value, ftype):
    return format_day(value) if ftype == "date" and isinstance(value, str) else value


def _type_message(ftype: str, message: str) -> str:
    return {
        "long": _("Enter a whole number."),
        "date": _("Enter a valid date."),
        "boolean": _("Choose yes or no."),
        "enum": _("Choose one of the options."),
        "hetu": _("Enter a valid personal identity code, for example 131052-308T."),
        "provider": _("Choose a service provider from the list."),
    }.get(ftype) or message


def error_messages(exc, fields: list[dict], process_key: str) -> dict[str, str]:
    """{field id (or another key the engine named): message in the user's language} from a
    ValidationFailed. Messages of a validation decision come from the process catalog
    (`<decision>.<error code>`); the engine's own checks have UI translations."""
    types = {f["id"]: f["type"] for f in fields}
    out = {}
    for key, message in (exc.fields or {}).items():
        detail = (exc.details or {}).get(key) or {}
        code, params = detail.get("code"), detail.get("params") or {}
        ftype = types.get(key)
        if params.get("decision"):
            out[key] = process_label(process_key, f"{params['decision']}.{code}", message)
        elif code == "required":
            out[key] = _("This field is required.")
        elif code in ("min", "max") and ftype == "date":
            out[key] = (_("The date must be on or after %(date)s.", date=_bound(params.get(code), ftype)) if code == "min"
                        else _("The date must be on or before %(date)s.", date=_bound(params.get(code), ftype)))
        elif code == "min":
            out[key] = _("The value must be at least %(min)s.", min=params.get("min"))
        elif code == "max":
            out[key] = _("The value must be at most %(max)s.", max=params.get("max"))
        elif code == "minlength":
            out[key] = ngettext("Write at least %(num)d character.", "Write at least %(num)d characters.",
                                int(params.get("minlength") or 0))
        elif code == "maxlength":
            out[key] = ngettext("Write at most %(num)d character.", "Write at most %(num)d characters.",
                                int(params.get("maxlength") or 0))
        elif code == "enum":
            out[key] = _("Choose one of the options.")
        elif code == "readonly":
            out[key] = _("This value cannot be changed.")
        elif code == "unknown_field":
            out[key] = _("The form had an unknown field; reload the page and try again.")
        elif code == "type":
            out[key] = _type_message(ftype or "", message)
        else:
            out[key] = message
    return out


def error_summary(views: list[dict], errors: dict[str, str]) -> list[dict]:
    """[{href, text}] in form order; errors about no field of the form come last, unlinked."""
    items, shown = [], set()
    for view in views:
        if view["id"] in errors:
            items.append({"href": "#" + view["html_id"], "text": f"{view['label']}: {errors[view['id']]}"})
            shown.add(view["id"])
    for key, message in errors.items():
        if key not in shown:
            items.append({"href": None, "text": message})
    return items
