"""bench/throughput.py's step, the same for both variants (the weekly review of a job-coaching case
and its form data), and its bare SpiffWorkflow variant: see that module's docstring for what bare
includes and leaves out."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

PROCESS, STEP = "tyohonvalmennus", "weekly_review"
START = date(2026, 1, 5)  # a Monday: the templates' period starts (and the coaching is accepted) here
PERIOD_WEEKS = 17  # planned end START + 17 weeks - 3 days = 2026-05-01, within the 4-month limit
REASSESS_LEAD_DAYS = 14  # coaching_limits.dmn: reassessment_lead_days
PLANNED_END = START + timedelta(weeks=PERIOD_WEEKS, days=-3)
# From this day on, record_week says the need reassessment is due: the case leaves the weekly loop.
LAST_MONDAY_BEFORE = PLANNED_END - timedelta(days=REASSESS_LEAD_DAYS)
BARE_CASES = 50


def review_data(monday: date) -> dict[str, Any]:
    return {"meetings": [{"date": monday.isoformat(), "kind": "individual"}], "absence_days": 0}


# What Polku's form parsing makes of review_data (every field of the form, unset ones False or None):
# the bare variant sets these, having no form layer of its own.
FORM_DEFAULTS = {"other_service_need": False, "goals_unrealistic": False, "interruption_justified": False,
                 "end_period": False, "notes": None}


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc)


# --- bare SpiffWorkflow worker -----------------------------------------------------------------
class BareStepper:
    """The same step on bare SpiffWorkflow in memory (see the module docstring for what it includes)."""

    def __init__(self, spec_text: str, initial: dict[str, Any]):
        import orjson
        from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

        from polku.engine.parser import make_serializer

        self.orjson = orjson
        self.serializer = make_serializer()
        self.registry = self.serializer.registry
        self.converter = self.registry.convert_from_dict["BpmnWorkflow"].args[0].__self__
        dct = orjson.loads(spec_text)
        self.spec = self.registry.restore(dct["spec"])
        self.subs = {k: self.registry.restore(v) for k, v in dct["subprocess_specs"].items()}
        self.script_engine = PythonScriptEngine()
        self.initial = orjson.dumps(initial)

    def load(self, state: bytes):
        from uuid import UUID

        from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

        dct = self.orjson.loads(state)
        conv = self.converter
        wf = BpmnWorkflow(self.spec, self.subs, script_engine=self.script_engine, deserializing=True)
        wf.tasks = conv.mapping_from_dict(dct["tasks"], UUID, workflow=wf)
        wf.task_tree = wf.tasks.get(UUID(dct["root"]))
        conv.set_default_attributes(wf, dct)
        conv.subprocesses_from_dict(dct["subprocesses"], wf)
        wf.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return wf

    def dump(self, wf) -> bytes:
        from SpiffWorkflow.bpmn.serializer.default.workflow import WorkflowConverter

        conv = self.converter
        dct = WorkflowConverter.to_dict(conv, wf)
        dct["subprocesses"] = conv.mapping_to_dict(wf.subprocesses)
        dct["bpmn_events"] = self.registry.convert(wf.bpmn_events)
        return self.orjson.dumps(dct)

    def step(self, state: bytes) -> bytes | None:
        """The next state, or None when the case has no lawful review left."""
        from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask as ServiceTaskMixin
        from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin
        from SpiffWorkflow.util.task import TaskState

        from polku.engine.clock import FixedClock
        from polku.engine.timers import bound_clock

        wf = self.load(state)
        task = next(t for t in wf.get_tasks(state=TaskState.READY, spec_class=UserTaskMixin)
                    if t.task_spec.bpmn_id == STEP)
        monday = date.fromisoformat(task.data["week_monday"])
        if monday >= LAST_MONDAY_BEFORE:
            return None
        with bound_clock(FixedClock(noon(monday))):
            task.data = {**task.data, **review_data(monday), **FORM_DEFAULTS}
            task.run()
            while True:
                wf.do_engine_steps()
                started = wf.get_tasks(state=TaskState.STARTED, spec_class=ServiceTaskMixin)
                if not started:
                    break
                for t in started:
                    t.data = {**t.data, **STAND_INS[t.task_spec.bpmn_id](t.data, monday)}
                    t.complete()
        return self.dump(wf)


def _record_week(data: dict[str, Any], today: date) -> dict[str, Any]:
    number = int(data.get("review_count") or 0) + 1
    due = not data.get("reassessment_done") and today >= date.fromisoformat(data["reassessment_at"])
    held = len(data.get("meetings") or [])
    return {"absence_streak": 0, "week_without_meeting": held == 0, "notice_kind": None,
            "review_count": number, "reassessment_due": bool(due)}


def _open_week(data: dict[str, Any], today: date) -> dict[str, Any]:
    from polku.domain.deadlines import end_of_day
    from polku.domain.weeks import BEAT_AFTER_WEEK, period_week

    start = date.fromisoformat(data["actual_start"])
    week = period_week(start, int(data.get("review_count") or 0) + 1)
    beats = max(1, (date.fromisoformat(data["period_end"]) - week.monday).days // 7 + 1)
    first_beat = datetime.fromisoformat(end_of_day(week.sunday)) + BEAT_AFTER_WEEK
    return {**week.details(), "week_due_at": end_of_day(week.sunday),
            "week_flag_cycle": f"R{beats}/{first_beat.isoformat()}/P7D"}


STAND_INS = {"record_week": _record_week, "open_week": _open_week}


def bare_material(url: str, iid: int) -> tuple[str, dict[str, Any]]:
    """(the definition's stored spec text, a template case's state as a dict) for the bare worker."""
    import zlib

    import orjson
    from sqlalchemy import select

    from polku.engine.db import make_engine
    from polku.engine.models import Instance, ProcessDefinition

    engine = make_engine(url)
    with engine.connect() as conn:
        blob, spec = conn.execute(select(Instance.state, ProcessDefinition.spec).join(
            ProcessDefinition, ProcessDefinition.id == Instance.definition_id).where(Instance.id == iid)).one()
    engine.dispose()
    state = orjson.loads(zlib.decompress(blob))
    state.pop("serializer_version", None)
    return spec, state


