"""Scenario files: what a process designer writes next to the processes to say how a process
should behave, read into plain dataclasses (the run is engine/scenario_run.py).

A scenario is one YAML mapping::

    name: Referral to closure            # default: the file's name
    process: tyohonvalmennus             # the key `start` uses when it names none
    now: 2026-01-05T09:00:00+00:00       # the clock when the scenario begins
    actors:                              # who acts; `as:` names one of these, or a bare role
      official: {role: official, org: Helsingin työllisyysalue}
      coach: {role: coach, org: Valmennus Oy, org_kind: provider}
    steps:
      - start: {as: official, data: {...}}
      - complete: {task: accept_referral, as: coach, data: {...}}
      - advance: {to: 2026-01-16T15:00:00+00:00}     # or {by: P14D}; then due timers fire
      - expect: {ready: [weekly_review]}            # also not_ready, status, ended_at, data
      - expect_refused: {task: closure, as: coach, data: {...}, message: next steps, fields: [next_steps]}

Dates and times YAML reads as such (an unquoted 2026-01-12) reach the process as ISO strings, as a
form would send them. Every problem with a file is a ScenarioError naming the file and the step.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from .clock import parse_instant
from .users import ORG_KINDS, ROLES


class ScenarioError(Exception):
    """A scenario file that cannot be run as written: one readable line."""


@dataclass(frozen=True)
class ScenarioActor:
    name: str
    role: str
    org: str | None = None
    org_kind: str = "area"


@dataclass(frozen=True)
class Start:
    process: str
    actor: str
    data: dict[str, Any]
    business_key: str | None = None


@dataclass(frozen=True)
class Complete:
    task: str  # a BPMN element id or the task's name
    actor: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Refused(Complete):
    """A completion the process must refuse: its message must contain `message`, and the refusal
    must name `fields` (when given)."""

    message: str | None = None
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Advance:
    to: datetime | None = None
    by: str | None = None  # an ISO 8601 duration, counted from the clock when the step runs


@dataclass(frozen=True)
class Expect:
    ready: tuple[str, ...] = ()
    not_ready: tuple[str, ...] = ()
    status: str | None = None
    ended_at: str | None = None
    data: dict[str, Any] | None = None


Action = Start | Complete | Advance | Expect


@dataclass(frozen=True)
class Step:
    number: int  # as the designer counts them: the first of `steps` is step 1
    action: Action


@dataclass(frozen=True)
class Scenario:
    name: str
    path: Path
    now: datetime
    actors: dict[str, ScenarioActor]
    steps: list[Step] = field(default_factory=list)


_KEYS = {
    "start": ({"as"}, {"process", "data", "business_key"}),
    "complete": ({"task", "as"}, {"data"}),
    "expect_refused": ({"task", "as"}, {"data", "message", "fields"}),
    "advance": (set(), {"to", "by"}),
    "expect": (set(), {"ready", "not_ready", "status", "ended_at", "data"}),
}
_TOP = {"name", "process", "now", "actors", "start", "steps", "description"}


def plain(value: Any) -> Any:
    """`value` with YAML's dates and times as the ISO strings a form sends."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def scenario_files(paths: list[Path]) -> list[Path]:
    """The *.yaml / *.yml files of `paths` (a folder contributes its own, sorted)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise ScenarioError(f"{path}: no such file or folder")
    if not found:
        raise ScenarioError(f"{', '.join(map(str, paths))}: no scenario files (*.yaml) found")
    return found


def load_scenario(path: Path) -> Scenario:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ScenarioError(f"{path}: not valid YAML{where}: {problem}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot be read: {exc}") from None
    return _Reader(path).scenario(raw)


class _Reader:
    def __init__(self, path: Path):
        self.path = path
        self.where = ""

    def fail(self, message: str) -> ScenarioError:
        return ScenarioError(f"{self.path}: {self.where}{message}")

    def scenario(self, raw: Any) -> Scenario:
        if not isinstance(raw, dict):
            raise self.fail("a scenario is a mapping with `steps` (and `name`, `process`, `now`, `actors`)")
        unknown = sorted(set(map(str, raw)) - _TOP)
        if unknown:
            raise self.fail(f"unknown key(s) {', '.join(unknown)} (expected {', '.join(sorted(_TOP))})")
        self.process = raw.get("process")
        if self.process is not None and not isinstance(self.process, str):
            raise self.fail("`process` must be a process key")
        now = self.instant(raw.get("now"), "now") if "now" in raw else None
        if now is None:
            raise self.fail("`now` (when the scenario begins, e.g. 2026-01-05T09:00:00+00:00) is required")
        self.actors = self.read_actors(raw.get("actors") or {})
        steps_raw = raw.get("steps")
        if not isinstance(steps_raw, list) or not steps_raw:
            raise self.fail("`steps` must be a list of steps")
        steps = []
        if "start" in raw:  # a start written at the top is the step before the first
            self.where = "start: "
            steps.append(Step(0, self.action("start", raw["start"])))
        for number, item in enumerate(steps_raw, start=1):
            self.where = f"step {number}: "
            if not isinstance(item, dict) or len(item) != 1:
                raise self.fail(f"a step is one of {', '.join(_KEYS)} with its values (`- complete: {{...}}`)")
            [(kind, body)] = item.items()
            if kind not in _KEYS:
                raise self.fail(f"unknown step {kind!r} (expected {', '.join(_KEYS)})")
            steps.append(Step(number, self.action(kind, body)))
        self.where = ""
        if not any(isinstance(s.action, Start) for s in steps):
            raise self.fail("no `start` step: a scenario starts an instance first")
        if not isinstance(steps[0].action, Start):
            self.where = f"step {steps[0].number}: "
            raise self.fail("the first step must be `start`")
        name = raw.get("name") or self.path.stem
        return Scenario(str(name), self.path, now, self.actors, steps)

    def read_actors(self, raw: Any) -> dict[str, ScenarioActor]:
        if not isinstance(raw, dict):
            raise self.fail("`actors` maps a name to {role, org, org_kind}")
        actors = {}
        for name, spec in raw.items():
            self.where = f"actor {name}: "
            if not isinstance(spec, dict) or spec.get("role") not in ROLES:
                raise self.fail(f"`role` must be one of {', '.join(ROLES)}")
            unknown = sorted(set(spec) - {"role", "org", "org_kind"})
            if unknown:
                raise self.fail(f"unknown key(s) {', '.join(unknown)} (expected role, org, org_kind)")
            kind = spec.get("org_kind", "area")
            if kind not in ORG_KINDS:
                raise self.fail(f"`org_kind` must be one of {', '.join(ORG_KINDS)}")
            org = spec.get("org")
            actors[str(name)] = ScenarioActor(str(name), spec["role"], None if org is None else str(org), kind)
        self.where = ""
        return actors

    def action(self, kind: str, body: Any) -> Action:
        if not isinstance(body, dict):
            raise self.fail(f"`{kind}` needs a mapping of values")
        required, optional = _KEYS[kind]
        missing = sorted(required - set(body))
        if missing:
            raise self.fail(f"`{kind}` needs {', '.join(missing)}")
        unknown = sorted(set(map(str, body)) - required - optional)
        if unknown:
            raise self.fail(f"`{kind}` does not take {', '.join(unknown)} "
                            f"(it takes {', '.join(sorted(required | optional))})")
        if kind == "start":
            process = body.get("process", self.process)
            if not isinstance(process, str):
                raise self.fail("`start` needs `process` (or the scenario's `process`)")
            key = body.get("business_key")
            return Start(process, self.actor(body["as"]), self.data(body), None if key is None else str(key))
        if kind in ("complete", "expect_refused"):
            task, actor = self.text(body["task"], "task"), self.actor(body["as"])
            if kind == "complete":
                return Complete(task, actor, self.data(body))
            message = body.get("message")
            return Refused(task, actor, self.data(body), None if message is None else str(message),
                           self.names(body.get("fields"), "fields"))
        if kind == "advance":
            return self.advance(body)
        return self.expect(body)

    def advance(self, body: dict[str, Any]) -> Advance:
        if ("to" in body) == ("by" in body):
            raise self.fail("`advance` takes either `to` (a date-time) or `by` (a duration such as P14D)")
        if "to" in body:
            return Advance(to=self.instant(body["to"], "to"))
        text = str(body["by"]).strip().upper()
        try:  # as the timers read durations (a month is a calendar month)
            valid = text.startswith("P") and text not in ("P", "PT")
            TimerEventDefinition.parse_iso_duration(text)
        except Exception:  # noqa: BLE001  (SpiffWorkflow raises whatever its parsing meets)
            valid = False
        if not valid:
            raise self.fail(f"`by` must be an ISO 8601 duration such as P14D, P3M or PT8H, not {body['by']!r}")
        return Advance(by=text)

    def expect(self, body: dict[str, Any]) -> Expect:
        if not body:
            raise self.fail("`expect` needs ready, not_ready, status, ended_at or data")
        data = body.get("data")
        if data is not None and not isinstance(data, dict):
            raise self.fail("`data` must be a mapping of the values expected")
        status, end = body.get("status"), body.get("ended_at")
        return Expect(self.names(body.get("ready"), "ready"), self.names(body.get("not_ready"), "not_ready"),
                      None if status is None else str(status), None if end is None else str(end),
                      None if data is None else plain(data))

    def actor(self, raw: Any) -> str:
        name = self.text(raw, "as")
        if name not in self.actors:
            if name not in ROLES:
                raise self.fail(f"`as: {name}` is neither one of the actors ({', '.join(self.actors) or 'none'}) "
                                f"nor a role ({', '.join(ROLES)})")
            self.actors[name] = ScenarioActor(name, name)  # a bare role: a user of that role, no organisation
        return name

    def data(self, body: dict[str, Any]) -> dict[str, Any]:
        data = body.get("data") or {}
        if not isinstance(data, dict):
            raise self.fail("`data` must be a mapping of field values")
        result: dict[str, Any] = plain(data)
        return result

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
            raise self.fail(f"`{key}` must be a name")
        return str(value)

    def names(self, value: Any, key: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"`{key}` must be a list of names")
        return tuple(value)

    def instant(self, value: Any, key: str) -> datetime:
        try:
            if isinstance(value, datetime):
                return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
            if isinstance(value, date):
                return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
            return parse_instant(str(value))
        except ValueError:
            raise self.fail(f"`{key}` must be an ISO 8601 date-time, not {value!r}") from None
