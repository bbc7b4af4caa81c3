"""The process package's paths run on SpiffWorkflow with stub handlers (no database; its decision
tables: test_decision_tables.py)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from polku.engine.forms import default_field_types
from polku.engine.runtime import LoadedDefinition, Runtime
from polku.engine.services import ServiceRegistry
from tests.unit.process_package import CUSTOM_TYPES, GOALS, HISTORY_OK, TOPICS

# --- the paths run (SpiffWorkflow with stub handlers, no database) ------------------------------------

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
REFERRAL = {"client_hetu": "131052-308T", "client_name": "Asiakas", "client_language": "fi",
            "municipality": "Espoo", "service_need": "tuki", "provider": "Valmennus Oy",
            "planned_start": "2026-01-12", "planned_end": "2026-04-11", "health_consent": False,
            "health_information": None, "other_services": None}
WEEK = {"meetings": [], "absence_days": 0, "other_service_need": False, "goals_unrealistic": False,
        "interruption_justified": False, "end_period": False, "notes": None}


class Walk:
    """One instance driven through Runtime with handlers that answer from `answers`."""

    def __init__(self, script_engine, compiled, key, data, answers):
        self.calls: list[str] = []
        self.answers = answers
        handlers = ServiceRegistry()
        for topic in sorted(TOPICS):
            handlers.register(topic, self._handler(topic))
        types = default_field_types()
        for name in sorted(CUSTOM_TYPES):
            types.register(name, lambda raw: raw)
        self.rt = Runtime(script_engine=script_engine, handlers=handlers, field_types=types)
        spec, subs = self.rt.codec.load_spec(compiled[key].spec)
        self.defn = LoadedDefinition(1, key, 1, spec, subs, compiled[key].extensions, compiled[key].sources)
        self.now = T0
        self.wf = self.rt.new_workflow(self.defn, data)
        self._advance()

    def _handler(self, topic):
        def handle(call):
            self.calls.append(call.element_id)
            answer = self.answers.get(topic, {})
            return answer(call.data) if callable(answer) else dict(answer)
        return handle

    def _advance(self):
        self.rt.advance(self.wf, self.defn, instance_id=1, session=None, now=self.now)

    def open(self) -> list[str]:
        return sorted(t.task_spec.bpmn_id for t in self.rt.snapshot(self.wf, self.defn, self.now).human_tasks.values())

    def timers(self) -> set[str]:
        return {v.element_id for v in self.rt.snapshot(self.wf, self.defn, self.now).timers.values()}

    def complete(self, element, **values):
        if element == "weekly_review":
            values = {**WEEK, **values}
        tasks = [t for t in self.rt.snapshot(self.wf, self.defn, self.now).human_tasks.values()
                 if t.task_spec.bpmn_id == element]
        assert tasks, f"{element} is not open; open: {self.open()}"
        self.rt.complete_human_task(tasks[0], values, self.now)
        self._advance()

    def at(self, when: datetime):
        self.now = when
        self.rt.refresh_timers(self.wf, when)
        self._advance()


def _answers(**over):
    weeks = {"n": 0}

    def record_week(data):
        weeks["n"] += 1
        kind = ("interruption" if data.get("interruption_justified") else
                "other_service" if data.get("other_service_need") else
                "goals_unrealistic" if data.get("goals_unrealistic") else None)
        return {"review_count": weeks["n"], "absence_streak": 0, "notice_kind": kind,
                "reassessment_due": weeks["n"] == over.get("reassess_week"), "week_without_meeting": False}

    period = {"approved": False, "number": 1}
    # The first week, 12-18 January; the silent-week timer beats an hour into each Monday, twice.
    week = {"week": 1, "week_monday": "2026-01-12", "week_sunday": "2026-01-18",
            "week_flag_cycle": "R2/2026-01-18T23:00:00+00:00/P7D"}
    answers = {
        "open_week": week,
        "coaching_history": {**HISTORY_OK, "planned_end_limit": "2026-05-11"},
        "record_referral": {"client_id": 1, "period_id": 1, "period_number": 1, "period_start": "2026-01-12",
                            "period_end": "2026-05-11", "period_end_at": "2026-05-12T00:00:00+00:00",
                            "reassessment_at": "2026-04-27", "start_notice_due": "2026-01-19T00:00:00+00:00",
                            "case_organisations": ["Valmennus Oy"]},
        "record_week": record_week,
        "second_period_history": {"sp_consecutive": 1, "sp_window_days_max": 200},
        "record_second_period": lambda data: period.update(
            approved=data.get("decision") == "approve" and data.get("second_period_allowed") is True) or {},
        "load_period_state": lambda data: {"second_period_approved": period["approved"],
                                           "period_number": period["number"]},
        "start_second_period": lambda data: period.update(number=2, approved=False) or {
            "period_number": 2, "period_end_at": "2026-09-12T00:00:00+00:00"},
    }
    answers.update({k: v for k, v in over.items() if k in TOPICS})
    return answers


def _start(script_engine, compiled, **over):
    return Walk(script_engine, compiled, "tyohonvalmennus", dict(REFERRAL), _answers(**over))


def _into_period(walk):
    walk.complete("accept_referral", actual_start="2026-01-12", coaching_mode="face_to_face",
                  coaching_format="individual")
    walk.complete("set_goals", goals=GOALS, meetings_per_week=1)
    assert walk.open() == ["weekly_review"]


def test_a_refused_referral_ends(script_engine, compiled):
    walk = _start(script_engine, compiled, coaching_history={**HISTORY_OK, "history_active": True})
    assert walk.wf.is_completed()
    assert walk.calls == ["check_history", "record_refusal"]


def test_the_full_path_with_a_second_period_and_feedback(script_engine, compiled):
    walk = _start(script_engine, compiled, reassess_week=2)
    assert walk.open() == ["accept_referral"] and walk.timers() == {"start_notice_overdue"}
    walk.at(T0 + timedelta(days=15))  # the start notification is overdue (R7)
    assert walk.open() == ["accept_referral", "follow_up_start_notice"]
    walk.complete("follow_up_start_notice", note="soitettu")
    _into_period(walk)
    assert walk.timers() == {"period_hard_end", "week_silent"}
    walk.complete("weekly_review")
    walk.complete("weekly_review")  # week 2: reassessment due
    walk.complete("propose_second_period", second_period_needed=True, justification="tarvitaan")
    walk.complete("decide_second_period", decision="approve", reason="ok")
    walk.complete("weekly_review", end_period=True)
    steps = [c for c in walk.calls if c not in ("open_week", "flag_silent_week")]  # the weeks' own steps
    assert steps[-3:] == ["record_week", "next_period_check", "start_second_period"]
    walk.complete("weekly_review", end_period=True)  # the second period ends
    assert walk.open() == ["closure"]
    walk.complete("closure", goal_results=[], employment_status="employed", next_steps="koulutus")
    walk.complete("final_statement", statement_kind="arvi", statement_text="x", reviewed_with_client=True)
    walk.complete("review_end", feedback_discussion="schedule", feedback_planned_on="2026-09-01")
    walk.complete("record_feedback_discussion", held_on="2026-09-01")
    assert walk.wf.is_completed()
    assert walk.calls[-4:] == ["record_closure", "send_statement", "send_end_notification", "save_feedback"]


def test_notices_return_to_the_period(script_engine, compiled):
    walk = _start(script_engine, compiled)
    _into_period(walk)
    walk.complete("weekly_review", interruption_justified=True)
    walk.complete("decide_interruption", decision="continue", reason="jatketaan")
    assert walk.open() == ["weekly_review"]
    walk.complete("weekly_review", other_service_need=True)
    walk.complete("record_redirection", target_service="health", description="x")
    walk.complete("decide_redirection", decision="pause", reason="x")
    walk.complete("resume_after_pause", resume_on="2026-03-01")
    assert walk.open() == ["weekly_review"]
    walk.complete("weekly_review", goals_unrealistic=True)
    walk.complete("decide_goals", decision="revise", reason="x")
    walk.complete("revise_goals", goals=GOALS)
    assert walk.open() == ["weekly_review"]
    walk.complete("weekly_review", end_period=True)
    assert walk.open() == ["closure"]


@pytest.mark.parametrize("notice, decide, decision", [
    ({"interruption_justified": True}, "decide_interruption", {"decision": "interrupt", "ground": "absence"}),
    ({"goals_unrealistic": True}, "decide_goals", {"decision": "interrupt"}),
])
def test_an_interruption_goes_to_closure(script_engine, compiled, notice, decide, decision):
    walk = _start(script_engine, compiled)
    _into_period(walk)
    walk.complete("weekly_review", **notice)
    walk.complete(decide, reason="x", **decision)
    assert walk.open() == ["closure"] and walk.calls[-1] == "record_interruption"


def test_a_forbidden_second_period_is_noted_and_the_weeks_go_on(script_engine, compiled):
    walk = _start(script_engine, compiled, reassess_week=1,
                  second_period_history={"sp_consecutive": 1, "sp_window_days_max": 300})
    _into_period(walk)
    walk.complete("weekly_review")
    walk.complete("propose_second_period", second_period_needed=True)
    assert walk.open() == ["note_second_period_refused"]
    walk.complete("note_second_period_refused")
    assert walk.open() == ["weekly_review"]


def test_a_silent_week_is_flagged_by_its_timer_and_the_review_stays_open(script_engine, compiled):
    walk = _start(script_engine, compiled)
    _into_period(walk)
    walk.at(datetime(2026, 1, 18, 22, 59, tzinfo=UTC))  # Monday 00:59 in Finland: not yet
    assert "flag_silent_week" not in walk.calls
    walk.at(datetime(2026, 1, 19, 8, tzinfo=UTC))
    assert walk.calls[-1] == "flag_silent_week" and walk.open() == ["weekly_review"]
    walk.at(datetime(2026, 1, 26, 8, tzinfo=UTC))  # the next week, still unrecorded: the second beat
    assert walk.calls.count("flag_silent_week") == 2 and walk.open() == ["weekly_review"]
    walk.at(datetime(2026, 2, 2, 8, tzinfo=UTC))  # two beats were asked for
    assert walk.calls.count("flag_silent_week") == 2 and walk.timers() == {"period_hard_end"}
    walk.complete("weekly_review")  # recorded late
    recorded = walk.calls.index("record_week")
    assert walk.calls[recorded:recorded + 2] == ["record_week", "open_week"] and walk.open() == ["weekly_review"]


def test_the_period_ends_at_its_hard_limit(script_engine, compiled):
    walk = _start(script_engine, compiled)
    _into_period(walk)
    walk.at(datetime(2026, 5, 13, tzinfo=UTC))
    assert walk.open() == ["closure"]
    assert walk.calls[-2:] == ["record_hard_end", "next_period_check"]


def test_provider_follow_up_meets_every_three_months(script_engine, compiled):
    walk = Walk(script_engine, compiled, "provider_follow_up",
                {"provider": "Valmennus Oy", "methods": "x", "municipalities": "Espoo"}, {})
    assert walk.open() == ["contract_active"] and walk.timers() == {"follow_up_cycle"}
    walk.at(T0 + timedelta(days=95))
    assert walk.open() == ["contract_active", "record_follow_up_meeting"]
    walk.complete("record_follow_up_meeting", held_on="2026-04-10", notes="x")
    walk.complete("contract_active")
    assert walk.wf.is_completed()
