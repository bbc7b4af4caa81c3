"""The process's custom form field types: one class each, carrying the converter, the widget
(as data) and the messages. The composition root registers them (``register_field_types``).

A converter gets the raw value (text from an HTML form, or already-parsed JSON from the
CLI and API) and returns a JSON-friendly value, or raises ``Invalid`` with an English msgid
that the web shows in the user's language next to the field. List types accept a JSON text
of the list too. Cross-field rules (R5: ≥2 goals reached or next steps; one result per goal)
need more than one field and live in the validation DMN tables, not here.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from polku.domain import identity
from polku.domain.codes import MEETING_KINDS as MEETING_KIND_NAMES
from polku.domain.codes import OUTCOME_CATEGORY_NAMES
from polku.domain.references import ProviderType
from polku.domain.rules import JOB_SEARCH_SUBITEMS, OUTCOME_CATEGORIES
from polku.engine.fieldtypes import (
    N_,
    FieldType,
    Invalid,
    Msg,
    Option,
    Row,
    RowInput,
    Widget,
    field_attrs,
)

MAX_ITEMS = 50          # far above any real week or period; stops abusive payloads
MAX_TEXT = 2000         # matches the other free-text fields of the process
MIN_GOALS = 2           # R5 needs two outcomes, so fewer goals can never close well
MEETING_KINDS = tuple(MEETING_KIND_NAMES)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# Item keys named in messages, so that "item 2: verification ..." reads in the user's language
# (an item's message is raised with ``item=n``: the web shows it at the item's row, named by the row).
KEY_NAMES = {"category": N_("category"), "description": N_("description"),
             "verification": N_("verification"), "subitem": N_("sub-item"), "date": N_("date"),
             "kind": N_("kind"), "goal": N_("goal"), "reached": N_("reached"), "evidence": N_("evidence")}


def _key(key: str) -> Msg | str:
    return Msg(KEY_NAMES[key]) if key in KEY_NAMES else repr(key)


def hetu(raw: Any) -> str:
    """A valid personal identity code (R13), returned normalised."""
    if not isinstance(raw, str):
        raise ValueError("must be text")
    return identity.validate(raw).code


def _as_list(raw: Any) -> list:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise Invalid(N_("must be a list (JSON)")) from None
    if not isinstance(raw, list):
        raise Invalid(N_("must be a list"))
    if len(raw) > MAX_ITEMS:
        raise Invalid(N_("must have at most %(max)s items"), max=MAX_ITEMS)
    return raw


def _item(raw: Any, n: int, required: set[str], optional: set[str] = frozenset()) -> dict:
    """Item ``n`` (1-based in messages, as people count) as a dict with known keys."""
    if not isinstance(raw, dict):
        raise Invalid(N_("must be an object"), item=n)
    unknown = sorted(set(map(str, raw)) - required - optional)
    if unknown:
        raise Invalid(N_("unknown key %(key)s"), item=n, key=repr(unknown[0]))
    missing = sorted(required - set(raw))
    if missing:
        raise Invalid(N_("%(key)s is required"), item=n, key=_key(missing[0]))
    return raw


def _text(value: Any, n: int, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(N_("%(key)s must be non-empty text"), item=n, key=_key(key))
    if len(value) > MAX_TEXT:
        raise Invalid(N_("%(key)s must be at most %(max)s characters"),
                      item=n, key=_key(key), max=MAX_TEXT)
    return value.strip()


def _bool(value: Any, n: int, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise Invalid(N_("%(key)s must be true or false"), item=n, key=_key(key))


def _category(value: Any, n: int) -> str:
    if not isinstance(value, str) or value not in OUTCOME_CATEGORIES:
        raise Invalid(N_("unknown category %(value)s"), item=n, value=repr(value))
    return value


def goal_list(raw: Any) -> list[dict]:
    """At least two goals, each {category, description, verification} (R6: the
    verification method is fixed when the goal is set). A job_search_skills goal may
    name one of the card's sub-items as ``subitem``."""
    goals = []
    for n, item in enumerate(_as_list(raw), 1):
        item = _item(item, n, {"category", "description", "verification"}, {"subitem"})
        goal = {"category": _category(item["category"], n),
                "description": _text(item["description"], n, "description"),
                "verification": _text(item["verification"], n, "verification")}
        sub = item.get("subitem")
        if sub not in (None, ""):
            if goal["category"] != "job_search_skills":
                raise Invalid(N_("only job_search_skills goals have a subitem"), item=n)
            if not isinstance(sub, str) or sub not in JOB_SEARCH_SUBITEMS:
                raise Invalid(N_("unknown subitem %(value)s"), item=n, value=repr(sub))
            goal["subitem"] = sub
        goals.append(goal)
    if len(goals) < MIN_GOALS:
        raise Invalid(N_("must have at least %(min)s goals"), min=MIN_GOALS)
    return goals


def _iso_date(value: Any, n: int) -> str:
    # Same strictness as the engine's date type: YYYY-MM-DD and a real day (the regex
    # keeps out the other forms fromisoformat accepts, e.g. "2026-W03-1").
    if isinstance(value, str) and _DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise Invalid(N_("date must be a valid date (YYYY-MM-DD)"), item=n)


def meeting_list(raw: Any) -> list[dict]:
    """The week's meetings [{date, kind}], sorted by date; empty means none was held
    (R2 flags the week, so an empty list is valid input, not an error)."""
    meetings = []
    for n, item in enumerate(_as_list(raw), 1):
        item = _item(item, n, {"date", "kind"})
        if item["kind"] not in MEETING_KINDS:
            raise Invalid(N_("kind must be individual or group"), item=n)
        meetings.append({"date": _iso_date(item["date"], n), "kind": item["kind"]})
    return sorted(meetings, key=lambda m: m["date"])


def goal_results(raw: Any) -> list[dict]:
    """One {goal, reached, evidence} per goal (R6): ``goal`` is the goal's 0-based
    index in the goal list; evidence is required whether or not the goal was reached,
    because the card asks for an indisputable result either way."""
    results, seen = [], set()
    for n, item in enumerate(_as_list(raw), 1):
        item = _item(item, n, {"goal", "reached", "evidence"})
        index = item["goal"]
        if isinstance(index, str) and index.strip().isdigit():
            index = int(index.strip())
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < MAX_ITEMS:
            raise Invalid(N_("goal must be a goal index (0, 1, ...)"), item=n)
        if index in seen:
            raise Invalid(N_("goal %(goal)s has more than one result"), item=n, goal=index)
        seen.add(index)
        results.append({"goal": index, "reached": _bool(item["reached"], n, "reached"),
                        "evidence": _text(item["evidence"], n, "evidence")})
    return sorted(results, key=lambda r: r["goal"])


def category_list(raw: Any) -> list[str]:
    """Outcome areas reached (R5); may be empty when only next steps were set."""
    categories: list[str] = []
    for n, item in enumerate(_as_list(raw), 1):
        category = _category(item, n)
        if category in categories:
            raise Invalid(N_("%(value)s is listed twice"), item=n, value=category)
        categories.append(category)
    return categories


# --- the type objects ------------------------------------------------------------------------
def _categories() -> tuple[Option, ...]:
    return tuple(Option(code, Msg(name)) for code, name in OUTCOME_CATEGORY_NAMES.items())


class HetuType(FieldType):
    invalid = N_("Enter a valid personal identity code, for example 131052-308T.")

    def convert(self, raw: Any) -> str:
        return hetu(raw)

    def widget(self, field, *, data, loaded) -> Widget:
        return Widget("text", field_attrs(field, autocomplete="off", spellcheck="false", maxlength="11"))


class GoalListType(FieldType):
    def convert(self, raw: Any) -> list[dict]:
        return goal_list(raw)

    def widget(self, field, *, data, loaded) -> Widget:
        return Widget("rows", row_legend=Msg(N_("Goal %(number)s")), initial_rows=5,
                      filled_by=("category", "description", "verification"), inputs=(
                          RowInput("category", "select", Msg(N_("Outcome area")), _categories()),
                          RowInput("description", "text", Msg(N_("Goal")), maxlength=MAX_TEXT),
                          RowInput("verification", "text", Msg(N_("How reaching the goal is verified")),
                                   maxlength=MAX_TEXT)))


def _agreed_meetings(data) -> int:
    try:
        return min(max(int((data or {}).get("meetings_per_week") or 2), 1), 7)
    except (TypeError, ValueError):
        return 2


class MeetingListType(FieldType):
    def convert(self, raw: Any) -> list[dict]:
        return meeting_list(raw)

    def widget(self, field, *, data, loaded) -> Widget:
        kinds = tuple(Option(code, Msg(name)) for code, name in MEETING_KIND_NAMES.items())
        # As many rows as meetings a week were agreed with the client (set_goals), not a page of seven
        # empty ones: "Add more rows" is there for a week with more.
        return Widget("rows", row_legend=Msg(N_("Meeting %(number)s")), initial_rows=_agreed_meetings(data),
                      filled_by=("date",),
                      empty_list_ok=True, inputs=(
                          RowInput("date", "date", Msg(N_("Date"))),
                          RowInput("kind", "select", Msg(N_("Kind of meeting")), kinds, blank=False,
                                   default="individual")))


class GoalResultsType(FieldType):
    """One row per goal in the instance data's ``goals``: nothing to add."""

    def convert(self, raw: Any) -> list[dict]:
        return goal_results(raw)

    def widget(self, field, *, data, loaded) -> Widget:
        goals = [g for g in (data.get("goals") or []) if isinstance(g, dict)]
        rows = tuple(Row(
            legend=Msg(N_("Goal %(number)s: %(goal)s"), {"number": i + 1, "goal": goal.get("description", "")}),
            hint=Msg(N_("%(area)s. Verified by: %(verification)s"), {
                "area": Msg(OUTCOME_CATEGORY_NAMES.get(str(goal.get("category")), str(goal.get("category", "")))),
                "verification": goal.get("verification", "")}))
            for i, goal in enumerate(goals))
        return Widget("rows", fixed_rows=rows, index_key="goal", filled_by=("reached", "evidence"),
                      empty=Msg(N_("No goals were set for this case.")), empty_list_ok=True, inputs=(
                          RowInput("reached", "checkbox", Msg(N_("The goal was reached"))),
                          RowInput("evidence", "textarea", Msg(N_("Evidence")), maxlength=MAX_TEXT)))


class CategoryListType(FieldType):
    def convert(self, raw: Any) -> list[str]:
        return category_list(raw)

    def widget(self, field, *, data, loaded) -> Widget:
        return Widget("checkboxes", options=_categories(), empty_list_ok=True)


FIELD_TYPES: dict[str, type[FieldType]] = {
    "hetu": HetuType, "goal_list": GoalListType, "meeting_list": MeetingListType,
    "goal_results": GoalResultsType, "category_list": CategoryListType, "provider": ProviderType,
}
# The plain converters, by type name (the CLI's and API's JSON goes through the same ones).
CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "hetu": hetu, "goal_list": goal_list, "meeting_list": meeting_list,
    "goal_results": goal_results, "category_list": category_list,
}


def register_field_types(types) -> None:
    """Register the domain's field types on an ``engine.forms.FieldTypes`` registry."""
    for name, cls in FIELD_TYPES.items():
        types.register(cls(name))
