"""The process's custom form field types, as engine converters.

A converter gets the raw value (text from an HTML form, or already-parsed JSON from the
CLI and API) and returns a JSON-friendly value, or raises ValueError with a short
English message that the form shows next to the field. List types accept a JSON text
of the list too, because an HTML form can only post text.
Cross-field rules (R5: ≥2 goals reached or next steps; one result per goal) need more
than one field and live in the validation DMN tables, not here.
"""
from __future__ import annotations

import json
import re
from datetime import date
from typing import Any, Callable

from polku.domain import identity
from polku.domain.rules import JOB_SEARCH_SUBITEMS, OUTCOME_CATEGORIES

MAX_ITEMS = 50          # far above any real week or period; stops abusive payloads
MAX_TEXT = 2000         # matches the other free-text fields of the process
MIN_GOALS = 2           # R5 needs two outcomes, so fewer goals can never close well
MEETING_KINDS = ("individual", "group")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


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
            raise ValueError("must be a list (JSON)") from None
    if not isinstance(raw, list):
        raise ValueError("must be a list")
    if len(raw) > MAX_ITEMS:
        raise ValueError(f"must have at most {MAX_ITEMS} items")
    return raw


def _item(raw: Any, n: int, required: set[str], optional: set[str] = frozenset()) -> dict:
    """Item ``n`` (1-based in messages, as people count) as a dict with known keys."""
    if not isinstance(raw, dict):
        raise ValueError(f"item {n}: must be an object")
    unknown = sorted(set(map(str, raw)) - required - optional)
    if unknown:
        raise ValueError(f"item {n}: unknown key {unknown[0]!r}")
    missing = sorted(required - set(raw))
    if missing:
        raise ValueError(f"item {n}: {missing[0]} is required")
    return raw


def _text(value: Any, n: int, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"item {n}: {key} must be non-empty text")
    if len(value) > MAX_TEXT:
        raise ValueError(f"item {n}: {key} must be at most {MAX_TEXT} characters")
    return value.strip()


def _bool(value: Any, n: int, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError(f"item {n}: {key} must be true or false")


def _category(value: Any, n: int) -> str:
    if not isinstance(value, str) or value not in OUTCOME_CATEGORIES:
        raise ValueError(f"item {n}: unknown category {value!r}")
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
                raise ValueError(f"item {n}: only job_search_skills goals have a subitem")
            if not isinstance(sub, str) or sub not in JOB_SEARCH_SUBITEMS:
                raise ValueError(f"item {n}: unknown subitem {sub!r}")
            goal["subitem"] = sub
        goals.append(goal)
    if len(goals) < MIN_GOALS:
        raise ValueError(f"must have at least {MIN_GOALS} goals")
    return goals


def _iso_date(value: Any, n: int) -> str:
    # Same strictness as the engine's date type: YYYY-MM-DD and a real day (the regex
    # keeps out the other forms fromisoformat accepts, e.g. "2026-W03-1").
    if isinstance(value, str) and _DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise ValueError(f"item {n}: date must be a valid date (YYYY-MM-DD)")


def meeting_list(raw: Any) -> list[dict]:
    """The week's meetings [{date, kind}], sorted by date; empty means none was held
    (R2 flags the week, so an empty list is valid input, not an error)."""
    meetings = []
    for n, item in enumerate(_as_list(raw), 1):
        item = _item(item, n, {"date", "kind"})
        if item["kind"] not in MEETING_KINDS:
            raise ValueError(f"item {n}: kind must be individual or group")
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
            raise ValueError(f"item {n}: goal must be a goal index (0, 1, ...)")
        if index in seen:
            raise ValueError(f"item {n}: goal {index} has more than one result")
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
            raise ValueError(f"item {n}: {category} is listed twice")
        categories.append(category)
    return categories


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "hetu": hetu,
    "goal_list": goal_list,
    "meeting_list": meeting_list,
    "goal_results": goal_results,
    "category_list": category_list,
}


def register_field_types(types) -> None:
    """Register the domain's field types on an ``engine.forms.FieldTypes`` registry.
    (The ``provider`` type needs the database and is registered by the wiring.)"""
    for name, convert in CONVERTERS.items():
        types.register(name, convert)
