"""Issue 9: generated input (hypothesis) over the start form and user task forms through HTTP,
and over `polku start --data` / `polku complete --data`: never a 5xx, never a traceback, and a
refusal changes nothing. One database per test; each example sends a batch of inputs, so the
count stays high and the run time small. COUNTS records the inputs sent per test (at least
10,000 in all, checked by the last test of the module)."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from polku.engine.models import AuditEvent, HumanTask, Instance
from tests.conftest import T0
from tests.scenarios.conftest import GOALS, HETU, PROVIDER, at

COUNTS: dict[str, int] = {}
BATCH = 25
FUZZ = settings(max_examples=100, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])

JUNK = st.one_of(
    st.text(max_size=40), st.text(alphabet=st.characters(codec="utf-8"), max_size=10),
    st.sampled_from(["", " ", "false", "true", "0", "1", "on", "yes", "null", "-1", "1e309", "2026-02-30",
                     "9" * 30, "<script>alert(1)</script>", "' OR 1=1 --", "\x00", "x" * 2001, "131052-308T",
                     "[]", "{}", '[{"category": "x"}]', PROVIDER, "fi", "2026-01-12"]))
JSON_JUNK = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | JUNK,
                         lambda inner: st.lists(inner, max_size=3) | st.dictionaries(JUNK, inner, max_size=3),
                         max_leaves=6)
START = {"client_hetu": HETU, "client_name": "Matti Meikäläinen", "client_language": "fi",
         "municipality": "Helsinki", "service_need": "Work", "provider": PROVIDER, "planned_start": "2026-01-12",
         "planned_end": "2026-04-30", "health_consent": "true", "health_information": "x", "other_services": "y",
         "confirm_name_change": "true"}


def _form(valid: dict, junk=JUNK):
    """A posted form: each known field valid, junk or absent, plus stray keys."""
    field = {k: st.one_of(st.just(v), junk, st.none()) for k, v in valid.items()}
    return st.tuples(st.fixed_dictionaries(field), st.dictionaries(JUNK, JUNK, max_size=2)).map(
        lambda pair: {**{k: v for k, v in pair[0].items() if v is not None}, **pair[1]})


def _state(db_engine) -> tuple:
    with Session(db_engine) as s:
        return (s.scalar(select(func.count()).select_from(Instance)),
                s.scalar(select(func.count()).select_from(AuditEvent)),
                tuple(s.execute(select(HumanTask.id, HumanTask.state).order_by(HumanTask.id)).all()))


def _check_http(response, before, db_engine) -> tuple:
    body = response.get_data(as_text=True)
    assert response.status_code < 500 and "Traceback" not in body, body[-800:]
    after = _state(db_engine)
    if response.status_code >= 400:  # refused: 400 form errors, 404, 409, 413
        assert after == before, (response.status_code, body[-500:])
    return after


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("POLKU_NOW", T0)


def test_start_form_over_http(user, db_engine):
    b = user("off1")
    b.get("/referrals/new")
    state = [_state(db_engine)]

    @FUZZ
    @given(st.lists(_form(START), min_size=BATCH, max_size=BATCH))
    def run(forms):
        for form in forms:
            state[0] = _check_http(b.post("/referrals/new", form), state[0], db_engine)
            COUNTS["start_http"] = COUNTS.get("start_http", 0) + 1

    run()


TASK_FORMS = {
    "accept_referral": ("coach1", {"actual_start": "2026-01-12", "coaching_mode": "face_to_face",
                                   "coaching_format": "individual"}),
    "set_goals": ("coach1", {"goals-rows": "3", "goals-0-category": "job_search_skills",
                             "goals-0-description": "d", "goals-0-verification": "v",
                             "goals-1-category": "job_opportunities", "goals-1-description": "d",
                             "goals-1-verification": "v", "meetings_per_week": "2"}),
}


@pytest.mark.parametrize("element", list(TASK_FORMS))
def test_task_forms_over_http(user, refer, db_engine, element):
    case = refer(now=at("2026-01-05"))
    if element == "set_goals":
        case.accept("2026-01-12")
    actor, valid = TASK_FORMS[element]
    task = case.task(element, actor)["id"]
    b = user(actor)
    b.get(f"/tasks/{task}")
    state = [_state(db_engine)]

    @FUZZ
    @given(st.lists(_form(valid), min_size=BATCH, max_size=BATCH))
    def run(forms):
        for form in forms:
            state[0] = _check_http(b.post(f"/tasks/{task}", form), state[0], db_engine)
            COUNTS[element] = COUNTS.get(element, 0) + 1

    run()


def _check_cli(result, before, db_engine) -> tuple:
    assert result.exit_code in (0, 1), (result.exit_code, result.stderr[-800:])
    assert "Traceback" not in result.stderr
    after = _state(db_engine)
    if result.exit_code != 0:
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
        assert after == before
    return after


def test_cli_start_and_complete_data(refer, coaching, db_engine):
    case = refer(now=at("2026-01-05"))
    task = case.task("accept_referral", "coach1")["id"]
    json_start = {**START, "health_consent": True, "confirm_name_change": False, "goals": GOALS}
    state = [_state(db_engine)]

    @FUZZ
    @given(st.lists(st.tuples(st.booleans(), _form(json_start, JSON_JUNK) | JSON_JUNK),
                    min_size=BATCH, max_size=BATCH))
    def run(inputs):
        for starting, data in inputs:
            args = (["start", "tyohonvalmennus", "--as", "off1"] if starting
                    else ["complete", task, "--as", "coach1"])
            state[0] = _check_cli(coaching(*args, "--data", json.dumps(data), ok=False), state[0], db_engine)
            COUNTS["cli"] = COUNTS.get("cli", 0) + 1

    run()


def test_at_least_ten_thousand_inputs_were_sent():
    if len(COUNTS) < 4:
        pytest.skip("runs after the module's fuzz tests (not alone)")
    assert sum(COUNTS.values()) >= 10_000, COUNTS
