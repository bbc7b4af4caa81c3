"""Running a designer's scenario (engine/scenarios.py) through the real commands: `instances.start`,
`tasks.complete` and the worker's round of due timers, on a private SQLite database in memory.

The schema and the deployed processes are made once per processes folder (a template database)
and copied for every scenario with SQLite's backup, so that each scenario begins alone with the
same versions deployed. The clock is a FixedClock the scenario moves with `advance`. The schema
and the runtime come from the composition root (the engine knows neither the migrations nor the
domain's handlers): `create_schema(engine)` and `make_runtime()`.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.engine import Engine

from . import instances, queries, tasks, users
from .bundle import read_bundle
from .clock import FixedClock
from .db import UnitOfWork, make_memory_engine
from .deploy import deploy
from .errors import PolkuError, ValidationFailed
from .jsonvalues import to_json
from .persist import load_instance, load_workflow
from .scenarios import Advance, Complete, Expect, Refused, Scenario, ScenarioError, Start
from .worker import PeriodicJob, worker_round

if TYPE_CHECKING:
    from .runtime import Runtime


@dataclass
class Outcome:
    scenario: Scenario
    path: list[str] = field(default_factory=list)  # start, tasks completed, timers fired, the end reached
    failed_step: int | None = None  # 0: the top-level start
    message: str | None = None  # what was expected and what was found

    @property
    def passed(self) -> bool:
        return self.message is None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.scenario.name, "file": str(self.scenario.path), "passed": self.passed,
                "path": self.path, "step": self.failed_step, "message": self.message}


class _Failed(Exception):
    """A step's expectation not met: the message says what was expected and what was found."""


class ScenarioRunner:
    def __init__(self, make_runtime: Callable[[], Runtime], create_schema: Callable[[Engine], None],
                 jobs: Mapping[str, PeriodicJob] | None = None):
        self._make_runtime, self._create_schema, self._jobs = make_runtime, create_schema, jobs
        self._templates: dict[Path, tuple[Engine, Runtime]] = {}

    def close(self) -> None:
        for engine, _runtime in self._templates.values():
            engine.dispose()
        self._templates.clear()

    def run(self, scenario: Scenario, processes: Path) -> Outcome:
        template, runtime = self._template(processes, scenario)
        engine = make_memory_engine()
        try:
            source, target = template.raw_connection(), engine.raw_connection()
            try:
                source.driver_connection.backup(target.driver_connection)  # type: ignore[union-attr]
            finally:
                source.close()
                target.close()
            return _Run(engine, runtime, scenario, self._jobs).outcome()
        finally:
            engine.dispose()

    def _template(self, processes: Path, scenario: Scenario) -> tuple[Engine, Runtime]:
        key = processes.resolve()
        if key not in self._templates:
            engine, runtime = make_memory_engine(), self._make_runtime()
            self._create_schema(engine)
            try:
                with UnitOfWork(engine, FixedClock(scenario.now), origin="cli") as uow:
                    deploy(uow, runtime, users.SYSTEM.username, read_bundle([processes]))
                    uow.commit()
            except PolkuError as exc:
                engine.dispose()
                raise ScenarioError(f"{processes}: the processes do not deploy: {exc}") from None
            self._templates[key] = engine, runtime
        return self._templates[key]


class _Run:
    def __init__(self, engine: Engine, runtime: Runtime, scenario: Scenario,
                 jobs: Mapping[str, PeriodicJob] | None):
        self.engine, self.runtime, self.scenario, self.jobs = engine, runtime, scenario, jobs
        self.clock = FixedClock(scenario.now)
        self.result = Outcome(scenario)
        self.instance: int | None = None

    def uow(self, write: bool = True) -> UnitOfWork:
        return UnitOfWork(self.engine, self.clock, write=write, origin="cli")

    def outcome(self) -> Outcome:
        self.add_actors()
        for step in self.scenario.steps:
            try:
                self.do(step.action)
            except _Failed as exc:
                self.result.failed_step, self.result.message = step.number, str(exc)
                break
            except PolkuError as exc:
                self.result.failed_step, self.result.message = step.number, f"{_what(step.action)} refused: {exc}"
                break
        return self.result

    def add_actors(self) -> None:
        """The scenario's actors as users; one the users' rules refuse (a name taken or reserved, a
        role that is none) makes the file one that cannot run as written."""
        with self.uow() as uow:
            for actor in self.scenario.actors.values():
                try:
                    users.add_user(uow, users.SYSTEM.username, actor.name, [actor.role], actor.org, actor.org_kind)
                except PolkuError as exc:
                    raise ScenarioError(f"{self.scenario.path}: actor {actor.name} cannot be added: {exc}") from None
            uow.commit()

    def do(self, action: Start | Complete | Advance | Expect) -> None:
        if isinstance(action, Start):
            with self.uow() as uow:
                self.instance = instances.start(uow, self.runtime, action.actor, action.process, action.data,
                                                action.business_key).id
                uow.commit()
            self.result.path.append(f"start {action.process}")
            self.check_no_error()
        elif isinstance(action, Refused):
            self.refused(action)
        elif isinstance(action, Complete):
            task = self.ready_task(action.task)
            with self.uow() as uow:
                tasks.complete(uow, self.runtime, action.actor, task["id"], action.data)
                uow.commit()
            self.result.path.append(task["element_id"])
            self.check_no_error()
        elif isinstance(action, Advance):
            self.advance(action)
        else:
            self.expect(action)

    def advance(self, action: Advance) -> None:
        target = action.to if action.to is not None else self.clock.at
        if action.by is not None:
            parsed = TimerEventDefinition.parse_iso_duration(action.by)
            target = target + TimerEventDefinition.get_timedelta_from_start(parsed, self.clock.at)
        if target < self.clock.at:
            raise _Failed(f"cannot move the clock back from {self.clock.at.isoformat()} to {target.isoformat()}")
        self.clock.at = target
        fired = worker_round(self.engine, self.runtime, self.clock, self.jobs).timers
        self.result.path.extend(f"timer {t.element_id}" for t in fired if t.instance_id == self.instance)
        self.check_no_error()

    def refused(self, action: Refused) -> None:
        task = self.ready_task(action.task)
        try:
            with self.uow() as uow:
                tasks.complete(uow, self.runtime, action.actor, task["id"], action.data)
                uow.commit()
        except PolkuError as exc:
            fields = sorted(exc.fields) if isinstance(exc, ValidationFailed) else []
            if action.message is not None and action.message.lower() not in exc.message.lower():
                raise _Failed(f"expected {action.task} to be refused with {action.message!r}; "
                              f"refused with {exc.message!r}") from None
            missing = [f for f in action.fields if f not in fields]
            if missing:
                raise _Failed(f"expected the refusal to name field(s) {', '.join(missing)}; "
                              f"it named {', '.join(fields) or 'none'} ({exc.message})") from None
            return
        self.result.path.append(task["element_id"])
        raise _Failed(f"expected {action.task} to be refused; it was completed")

    def expect(self, action: Expect) -> None:
        ready = self.ready()
        names = {t["element_id"] for t in ready} | {t["name"] for t in ready if t["name"]}
        for wanted in action.ready:
            if wanted not in names:
                raise _Failed(f"expected task {wanted} ready; {self.situation(ready)}")
        for unwanted in action.not_ready:
            if unwanted in names:
                raise _Failed(f"expected task {unwanted} not to be ready; {self.situation(ready)}")
        status = self.status()
        if action.status is not None and status != action.status:
            raise _Failed(f"expected the instance {action.status}; it is {status} ({self.situation(ready)})")
        if action.ended_at is not None:
            ends = self.ends()
            if status != "completed" or action.ended_at not in ends:
                raise _Failed(f"expected the instance to end at {action.ended_at}; {self.situation(ready)}")
        if action.data is not None:
            self.expect_data(action.data)

    def expect_data(self, wanted: dict[str, Any]) -> None:
        with self.uow(write=False) as uow:
            _defn, wf, _snap = load_workflow(uow, self.runtime, load_instance(uow, self.current()))
            data = to_json(self.runtime.current_data(wf))
        for name, value in wanted.items():
            if name not in data:
                raise _Failed(f"expected data {name} = {_show(value)}; the data has no {name}")
            if not _matches(value, data[name]):
                raise _Failed(f"expected data {name} = {_show(value)}; found {_show(data[name])}")

    # --- reading the instance -----------------------------------------------------
    def current(self) -> int:
        if self.instance is None:  # the loader makes `start` the first step
            raise _Failed("no instance has been started")
        return self.instance

    def ready(self) -> list[dict[str, Any]]:
        with self.uow(write=False) as uow:
            return queries.tasks_for(uow, None, self.current(), only_running=False)

    def ready_task(self, wanted: str) -> dict[str, Any]:
        ready = self.ready()
        for task in ready:
            if wanted in (task["element_id"], task["name"]):
                return task
        raise _Failed(f"expected task {wanted} ready; {self.situation(ready)}")

    def status(self) -> str:
        with self.uow(write=False) as uow:
            return load_instance(uow, self.current()).status

    def ends(self) -> list[str]:
        """The end events of the process (not of its subprocesses) reached, in order."""
        with self.uow(write=False) as uow:
            _defn, wf, _snap = load_workflow(uow, self.runtime, load_instance(uow, self.current()))
        reached = [t for t in wf.tasks.values()
                   if t.state == TaskState.COMPLETED and isinstance(t.task_spec, EndEvent)
                   and getattr(t.task_spec, "bpmn_id", None)]
        return [t.task_spec.bpmn_id for t in sorted(reached, key=lambda t: t.last_state_change)]

    def situation(self, ready: list[dict[str, Any]]) -> str:
        with self.uow(write=False) as uow:
            inst = load_instance(uow, self.current())
        if inst.status == "completed":
            return f"the instance ended at {', '.join(self.ends()) or '(no end event)'}"
        if inst.status == "error":
            return f"the instance is in error at {inst.error_element}: {inst.error_message}"
        shown = ", ".join(t["element_id"] for t in ready) or "none"
        return f"ready: {shown}" + ("" if inst.status == "running" else f" (the instance is {inst.status})")

    def check_no_error(self) -> None:
        """After a step that ran the process: the end events it reached join the path, and an
        instance in error fails the scenario there (nothing after it could run)."""
        with self.uow(write=False) as uow:
            inst = load_instance(uow, self.current())
        seen = sum(p.startswith("end ") for p in self.result.path)
        self.result.path.extend(f"end {e}" for e in self.ends()[seen:])
        if inst.status == "error":
            raise _Failed(f"the instance is in error at {inst.error_element}: {inst.error_message}")


def _what(action: Start | Complete | Advance | Expect) -> str:
    if isinstance(action, Start):
        return f"start {action.process} as {action.actor}"
    if isinstance(action, Complete):
        return f"{action.task} as {action.actor}"
    return type(action).__name__.lower()


def _matches(wanted: Any, found: Any) -> bool:
    """A mapping matches when each of its keys does (a subset); a list item by item; else equal."""
    if isinstance(wanted, dict):
        return isinstance(found, dict) and all(k in found and _matches(v, found[k]) for k, v in wanted.items())
    if isinstance(wanted, list):
        return isinstance(found, list) and len(wanted) == len(found) and all(map(_matches, wanted, found))
    return bool(wanted == found)


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
