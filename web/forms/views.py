"""Field definitions → field views: everything the form macros need, already translated.

Each field's registered type object describes its widget as data (``engine.fieldtypes.Widget``);
this module turns that into a field view, a dict: id, html_id (``field-<id>``: the error summary
links there; for a group it is the group's first input), widget, label, required, hint/hint_id,
error/error_id, value, attrs (HTML attributes of the input), options, rows. BPMN labels come
from the process catalog (``plabel``), UI words and the types' msgids from Babel.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from polku.engine.fieldtypes import ITEM_MESSAGE, Msg, Option, Widget

from ..codes import translate
from ..i18n import format_day, ngettext, process_label
from ..i18n import gettext as _
from .parsing import MAX_ROWS, MORE_ROWS, ROWS_SUFFIX, field_type, row_counts, row_name

RADIO_LIMIT = 4           # up to this many options: radio buttons; more: a select


@dataclass(frozen=True)
class RowError:
    """An error in one item of a repeatable field: shown at that row only, named by the row's legend.
    item: the item's 1-based place among the rows sent filled in; message: its own words, translated."""
    item: int
    message: str

    def __str__(self) -> str:  # where no row can show it
        return _("item %(item)s: %(message)s", item=self.item, message=self.message)


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
    return isinstance(value, str) and value.strip().lower() == "true"  # as strict as the engine


class _Builder:
    def __init__(self, process_key, element_id, values, errors, rows, data, loaded, types, name_prefix=""):
        self.pk, self.el, self.prefix = process_key, element_id, name_prefix
        self.fresh = values is None     # a fresh form shows the defaults; a posted one what was posted
        self.values = values or {}
        self.errors = errors or {}
        self.rows = rows or {}
        self.data = data or {}
        self.loaded = loaded or {}
        self.types = types

    def value(self, f):
        if self.fresh:
            return f.get("default")
        return self.values.get(f["id"])

    def view(self, f) -> dict:
        fid = f["id"]
        props = f.get("properties") or {}
        view = {
            "id": fid, "name": self.prefix + fid, "type": f["type"], "html_id": _html_id(fid),
            "label": process_label(self.pk, f"{self.el}.{fid}", f.get("label") or fid),
            "required": bool(f.get("required")),
            "hint": process_label(self.pk, f"{self.el}.{fid}.help", props["help"]) if props.get("help") else None,
            "error": self.errors.get(fid),
            "attrs": {}, "options": [], "rows": [], "group": False,
        }
        row_error = view["error"] if isinstance(view["error"], RowError) else None
        if row_error is not None:  # marked at its row (_rows), not on the whole field
            view["error"] = None
        view["hint_id"] = f"{view['html_id']}-hint" if view["hint"] else None
        view["error_id"] = f"{view['html_id']}-error" if view["error"] else None
        view["describedby"] = " ".join(i for i in (view["hint_id"], view["error_id"]) if i) or None
        widget = field_type(self.types, f["type"]).widget(f, data=self.data, loaded=self.loaded.get(fid))
        if widget.kind == "choice":
            self._choice(f, view, widget)
        elif widget.kind == "checkboxes":
            self._checkboxes(f, view, widget)
        elif widget.kind == "rows":
            self._rows(f, view, widget, row_error)
        else:  # one input: text, textarea, number, date, checkbox
            self._single(f, view, widget)
        return view

    def _label(self, f, option: Option) -> str:
        if isinstance(option.label, Msg):
            return translate(option.label)
        if option.from_process:
            return process_label(self.pk, f"{self.el}.{f['id']}.{option.value}", option.label or option.value)
        return option.label if option.label is not None else option.value

    # --- shared attributes ------------------------------------------------------------
    def _attrs(self, view, extra=None) -> dict:
        attrs = {"id": view["html_id"], "name": view["name"]}
        if view["required"]:
            attrs["required"] = "required"
        if view["describedby"]:
            attrs["aria-describedby"] = view["describedby"]
        if view["error"]:
            attrs["aria-invalid"] = "true"
        attrs.update(extra or {})
        return attrs

    def _group(self, view) -> None:
        view["group"] = True
        view["fieldset_attrs"] = {"aria-describedby": view["describedby"]} if view["describedby"] else {}

    # --- widgets ------------------------------------------------------------------------
    def _single(self, f, view, widget: Widget) -> None:
        view["widget"] = widget.kind
        attrs = dict(widget.attrs)
        if widget.kind == "checkbox":
            attrs.pop("readonly", None)  # a checkbox cannot be read-only in HTML
            if _truthy(self.value(f)):
                attrs["checked"] = "checked"
        else:
            view["value"] = _text_value(self.value(f))[:10] if widget.kind == "date" else _text_value(self.value(f))
        view["attrs"] = self._attrs(view, attrs)

    def _choice(self, f, view, widget: Widget) -> None:
        current = _text_value(self.value(f))
        options = [{"value": o.value, "label": self._label(f, o)} for o in widget.options]
        radios = widget.radios if widget.radios is not None else len(options) <= RADIO_LIMIT
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
            if current and current not in [o["value"] for o in options]:
                options.append({"value": current, "label": current})  # kept visible; the engine says what is wrong
            # A blank first choice unless a value is already chosen and the field must be filled.
            view["blank"] = _("Choose…") if not (view["required"] and current) else None
            for option in options:
                option["selected"] = option["value"] == current
        view["options"] = options

    def _checkboxes(self, f, view, widget: Widget) -> None:
        view["widget"] = "checkboxes"
        self._group(view)
        value = self.value(f)
        chosen = set(value) if isinstance(value, list) else set()
        for n, option in enumerate(widget.options):
            option_id = view["html_id"] if n == 0 else f"{view['html_id']}-{option.value}"
            view["options"].append({
                "id": option_id, "label": self._label(f, option),
                "attrs": {"type": "checkbox", "id": option_id, "name": view["name"], "value": option.value,
                          **({"checked": "checked"} if option.value in chosen else {})},
            })

    def _rows(self, f, view, widget: Widget, row_error: RowError | None = None) -> None:
        view["widget"] = "rows"
        self._group(view)
        posted = self._posted_rows(f, widget)
        if widget.fixed_rows is not None:
            rows = list(widget.fixed_rows)
            count, view["can_add"] = len(rows), False
            if not rows and widget.empty is not None:
                view["empty"], view["empty_id"] = translate(widget.empty), view["html_id"]
        else:
            count = max(self.rows.get(f["id"], widget.initial_rows), max(posted, default=-1) + 1)
            rows = [None] * count
            view["can_add"] = count < MAX_ROWS
        view["rows_name"], view["row_count"] = view["name"] + ROWS_SUFFIX, count
        view["more_name"], view["more_value"] = MORE_ROWS, view["id"]
        erring = self._erring_row(f, widget, row_error)
        for i, row in enumerate(rows):
            item = posted.get(i, {})
            hint = translate(row.hint) if row is not None and row.hint is not None else None
            hint_id = f"{view['html_id']}-{i}-hint" if hint else None
            legend = translate(row.legend) if row is not None else translate(
                Msg(widget.row_legend.msgid, {**widget.row_legend.params, "number": i + 1}) if widget.row_legend
                else str(i + 1))
            error = _("%(row)s: %(message)s", row=legend, message=row_error.message) if erring == i else None
            error_id = f"{view['html_id']}-{i}-error" if error else None
            describedby = " ".join(x for x in (hint_id, error_id) if x) or None
            inputs = [self._row_input(f, view, i, spec, item, first=n == 0, describedby=describedby)
                      for n, spec in enumerate(widget.inputs)]
            if error:
                for one in inputs:
                    one["invalid"] = True
                view["row_error"], view["error_href"] = error, "#" + inputs[0]["id"]
            view["rows"].append({"legend": legend, "hint": hint, "hint_id": hint_id, "error": error,
                                 "error_id": error_id, "inputs": inputs})
        if row_error is not None and erring is None:  # no row to show it at: on the field, as before
            view["error"] = str(row_error)
            view["error_id"] = f"{view['html_id']}-error"
            view["describedby"] = " ".join(x for x in (view["hint_id"], view["error_id"]) if x)
            self._group(view)

    def _erring_row(self, f, widget: Widget, row_error: RowError | None) -> int | None:
        """The row (0-based, as shown) of the item an error names: the n-th row sent filled in is
        shown as row n-1 again, unless the items carry their row (``index_key``)."""
        if row_error is None:
            return None
        value = self.value(f)
        items = [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []
        if not 1 <= row_error.item <= len(items):
            return None
        if widget.index_key is None:
            return row_error.item - 1
        return _int(items[row_error.item - 1].get(widget.index_key))

    def _posted_rows(self, f, widget: Widget) -> dict[int, dict]:
        """The rows to show filled in, by row index."""
        value = self.value(f)
        items = [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []
        if widget.index_key is None:
            return dict(enumerate(items))
        by_index = {}
        for item in items:
            index = _int(item.get(widget.index_key))
            if index is not None:
                by_index[index] = item
        return by_index

    def _row_input(self, f, view, i, spec, item: dict, first: bool, describedby) -> dict:
        html_id = view["html_id"] if first and i == 0 else f"{view['html_id']}-{i}-{spec.key}"
        result = {"widget": spec.widget, "id": html_id, "name": row_name(view["name"], i, spec.key),
                  "label": translate(spec.label), "describedby": describedby,
                  "maxlength": str(spec.maxlength) if spec.maxlength is not None else None}
        if spec.widget == "checkbox":
            result.update(value="true", checked=_truthy(item.get(spec.key)))
            return result
        current = _text_value(item.get(spec.key)) or spec.default
        result["value"] = current[:10] if spec.widget == "date" else current
        if spec.widget == "select":
            result["options"] = [{"value": o.value, "label": self._label(f, o), "selected": o.value == current}
                                 for o in spec.options]
            result["blank"] = _("Choose…") if spec.blank else None
        return result


def build_fields(fields: list[dict], *, process_key: str, element_id: str, values: dict | None = None,
                 errors: dict | None = None, rows: dict | None = None, data: dict | None = None,
                 loaded: dict | None = None, types=None, name_prefix: str = "") -> list[dict]:
    """Field views for the form macros.

    values: None for a fresh form (the defaults are shown), else what was posted (parse_form's
    result). errors: {field id: translated message} (error_messages). rows: row counts per
    repeatable field (row_counts). data: the instance data (a type's widget may show it).
    loaded: {field id: what its type read from the database} (widget_data). types: the field
    type registry (default: the app's runtime's). name_prefix: before every input's name, where
    the form has inputs of its own a field id could clash with (parse_form's prefix)."""
    builder = _Builder(process_key, element_id, values, errors, rows or row_counts(fields, types=types),
                       data, loaded, types, name_prefix)
    return [builder.view(f) for f in fields]


# --- errors -------------------------------------------------------------------------------
def _bound(value, ftype):
    return format_day(value) if ftype == "date" and isinstance(value, str) else value


def _type_message(ftype, params: dict, message: str, field: dict) -> str | RowError:
    """A conversion error: the type's own message if it raised one (a RowError when it names an
    item of a field shown as rows), else its general one."""
    own = params.get("message")
    if isinstance(own, Mapping) and own.get("msgid") == ITEM_MESSAGE and ftype is not None:
        inner = own.get("params") or {}
        item = _int(inner.get("item"))
        if item is not None and ftype.widget(field, data={}, loaded=None).kind == "rows":
            return RowError(item, translate(inner.get("message")))
    if own:
        return translate(own)
    return translate(Msg(ftype.invalid)) if ftype is not None and ftype.invalid else message


def error_messages(exc, fields: list[dict], process_key: str, types=None) -> dict[str, str | RowError]:
    """{field id (or another key the engine named): message in the user's language, or a RowError
    for the one row of a repeatable field it is about} from a ValidationFailed. Messages of a
    validation decision come from the process catalog (`<decision>.<error code>`); the engine's
    own checks have UI translations."""
    type_names = {f["id"]: f["type"] for f in fields}
    by_id = {f["id"]: f for f in fields}
    out = {}
    for key, message in (exc.fields or {}).items():
        detail = (exc.details or {}).get(key) or {}
        code, params = detail.get("code"), detail.get("params") or {}
        ftype = type_names.get(key)
        if params.get("decision"):
            out[key] = process_label(process_key, f"{params['decision']}.{code}", message)
        elif code == "required":
            out[key] = _("This field is required.")
        elif code in ("min", "max") and ftype == "date":
            out[key] = (_("The date must be on or after %(date)s.", date=_bound(params.get(code), ftype))
                        if code == "min"
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
        elif code == "rule":  # a form rule's own message (engine.formrules)
            out[key] = translate(params.get("message")) or message
        elif code == "type":
            out[key] = _type_message(field_type(types, ftype) if ftype else None, params, message, by_id.get(key, {}))
        else:
            out[key] = message
    return out


def error_summary(views: list[dict], errors: dict[str, str]) -> list[dict]:
    """[{href, text}] in form order; errors about no field of the form come last, unlinked."""
    items, shown = [], set()
    for view in views:
        if view["id"] in errors:
            text = view["error"] or view.get("row_error") or str(errors[view["id"]])
            items.append({"href": view.get("error_href") or "#" + view["html_id"], "text": f"{view['label']}: {text}"})
            shown.add(view["id"])
    for key, message in errors.items():
        if key not in shown:
            items.append({"href": None, "text": str(message)})
    return items
