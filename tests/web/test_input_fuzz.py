"""Issue 9: generated input (hypothesis) over the start form and user task forms, and over
`polku start --data` / `polku complete --data`: never a 5xx, never a traceback, and a refusal
changes nothing. COUNTS records the inputs sent; each of the four tests checks that its own share
was sent (SHARE: at least 10,000 in all) and that some inputs were accepted.

Run time: one database per test and batches of inputs per hypothesis example. A small share goes
through the whole stack (the Flask test client, the CLI runner); the bulk goes in-process through
the code those entry points run (form parsing, the engine command, the error views), in a unit of
work that is never committed, so that a task stays open for the next input and every input must
leave the database as it was. "As it was" is one fingerprint query (counts, sums, max ids)."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from polku.domain.referrals import referral_outcome
from polku.engine import instances, queries, tasks
from polku.engine.clock import FixedClock, parse_instant
from polku.engine.db import UnitOfWork
from polku.engine.errors import PolkuError, ValidationFailed
from polku.engine.models import AuditEvent, HumanTask, Instance
from polku.web import forms
from tests.conftest import T0
from tests.scenarios.conftest import HETU, PROVIDER, at

COUNTS: dict[str, int] = {}
ACCEPTED: dict[str, int] = {}  # of them, those accepted (so the generation reaches the success path too)
PROCESS = "tyohonvalmennus"
_FUZZ = dict(deadline=None, derandomize=True, database=None,
             suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                    HealthCheck.data_too_large, HealthCheck.large_base_example])
WHOLE = settings(max_examples=5, **_FUZZ)  # x BATCH inputs through HTTP / the CLI runner
IN_PROCESS = settings(max_examples=40, **_FUZZ)  # x BULK inputs through the same code in-process
BATCH, BULK = 20, 60
SHARE = IN_PROCESS.max_examples * BULK + WHOLE.max_examples * BATCH  # inputs per test, 4 tests
assert 4 * SHARE >= 10_000
NEAR_VALID = 0.1  # the share of inputs with most fields valid

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
TASK_FORMS = {
    "accept_referral": ("coach1", {"actual_start": "2026-01-05", "coaching_mode": "face_to_face",
                                   "coaching_format": "individual"}),
    "set_goals": ("coach1", {"goals-rows": "3", "goals-0-category": "job_search_skills",
                             "goals-0-description": "d", "goals-0-verification": "v",
                             "goals-1-category": "job_opportunities", "goals-1-description": "d",
                             "goals-1-verification": "v", "meetings_per_week": "2"}),
}


def _forms(valid: dict, n: int, junk=JUNK, bare=False):
    """n inputs from one example, cheaply: hypothesis draws pools of junk and a Random that combines
    them per input like `_form` (each field absent, junk or valid, plus stray keys); with `bare`,
    some inputs are a junk value itself (not an object)."""
    def combine(drawn) -> list:
        values, keys, rnd = drawn
        out = []
        for _ in range(n):
            if bare and rnd.random() < 0.3:
                out.append(rnd.choice(values))
                continue
            form = {}
            near = rnd.random() < NEAR_VALID  # mostly valid: past the per-field checks to the rules
            for k, v in valid.items():
                pick = rnd.random()
                if near and pick < 0.9:
                    form[k] = v
                elif pick >= 1 / 3:
                    form[k] = rnd.choice(values) if pick < 2 / 3 else v
            form.update((rnd.choice(keys), rnd.choice(values)) for _ in range(rnd.randrange(3)))
            out.append(form)
        return out

    return st.tuples(st.lists(junk, min_size=1, max_size=30), st.lists(JUNK, min_size=1, max_size=10),
                     st.randoms(use_true_random=True)).map(combine)


_FINGERPRINT = select(
    select(func.count()).select_from(Instance).scalar_subquery(),
    select(func.coalesce(func.sum(Instance.lock_version), 0)).scalar_subquery(),
    select(func.max(AuditEvent.id)).scalar_subquery(),
    select(func.count()).select_from(HumanTask).scalar_subquery(),
    select(func.count()).select_from(HumanTask).where(HumanTask.state == "ready").scalar_subquery(),
)


def _state(db_engine) -> tuple:
    """What any change leaves a trace in: instances (rows, lock versions), the audit trail, tasks."""
    with db_engine.connect() as conn:
        return tuple(conn.execute(_FINGERPRINT).one())


def _sent_share(*keys: str) -> None:
    """This test sent its share of inputs (hypothesis did not stop early) and some got through."""
    assert sum(COUNTS.get(k, 0) for k in keys) >= SHARE, COUNTS
    assert all(ACCEPTED.get(k) for k in keys), ACCEPTED


def _count(key: str, accepted: bool) -> None:
    COUNTS[key] = COUNTS.get(key, 0) + 1
    ACCEPTED[key] = ACCEPTED.get(key, 0) + accepted


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("POLKU_NOW", T0)


class InProcess:
    """The code behind the form posts and `--data`, without HTTP or the CLI around it: each input
    in its own unit of work, rolled back (the database must then be as before, accepted or not).
    A refusal is a PolkuError (anything else would be a 500 or a traceback); a refused form is
    turned into the field views and messages the page would show."""

    def __init__(self, app, runtime, db_engine):
        self.app, self.runtime, self.db_engine = app, runtime, db_engine
        self.types = runtime.field_types
        self.before = _state(db_engine)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.db_engine, FixedClock(parse_instant(T0)))

    def run(self, command, fields=None, form=None, process_key=None, element_id=None, loaded=None) -> bool:
        """Whether the input was accepted. Inside `app.test_request_context()` (the error views
        translate their messages)."""
        accepted = False
        with self.uow() as uow:
            values = form
            if fields is not None:  # a posted form: parsed the way the page parses it
                form = MultiDict(form)
                values = forms.parse_form(fields, form, self.types)
                forms.more_rows_requested(form)
            try:
                command(uow, values)
                accepted = True
            except ValidationFailed as exc:
                assert str(exc)
                if fields is not None:
                    errors = forms.error_messages(exc, fields, process_key, self.types)
                    views = forms.build_fields(fields, process_key=process_key, element_id=element_id,
                                               values=values, errors=errors, loaded=loaded, types=self.types,
                                               rows=forms.row_counts(fields, form, types=self.types))
                    forms.error_summary(views, errors)
            except PolkuError as exc:
                assert str(exc)
        assert _state(self.db_engine) == self.before, form
        return accepted


@pytest.fixture
def in_process(web_app, runtime, db_engine):
    return lambda: InProcess(web_app, runtime, db_engine)


def _start_form(bulk: InProcess):
    with bulk.uow() as uow:
        form = queries.start_form(uow, PROCESS)
        return form, forms.widget_data(uow, form["fields"], bulk.types)


def _started(runtime, actor: str):
    def command(uow, values):
        inst = instances.start(uow, runtime, actor, PROCESS, values)
        referral_outcome(uow, inst.id)
    return command


def _check_http(response, before, db_engine) -> tuple:
    body = response.get_data(as_text=True)
    assert response.status_code < 500 and "Traceback" not in body, body[-800:]
    after = _state(db_engine)
    if response.status_code >= 400:  # refused: 400 form errors, 404, 409, 413
        assert after == before, (response.status_code, body[-500:])
    return after


def _over_http(b, url: str, valid: dict, key: str, db_engine) -> None:
    b.get(url)
    state = [_state(db_engine)]

    @WHOLE
    @given(_forms(valid, BATCH))
    def run(forms_):
        for form in forms_:
            response = b.post(url, form)
            state[0] = _check_http(response, state[0], db_engine)
            _count(key, response.status_code < 400)

    run()


def test_start_form(user, in_process, db_engine):
    bulk = in_process()
    start, loaded = _start_form(bulk)
    fields, key = start["fields"], start["key"]
    command = _started(bulk.runtime, "off1")

    @IN_PROCESS
    @given(_forms(START, BULK))
    def run(forms_):
        for form in forms_:
            _count("start", bulk.run(command, fields, form, key, start["start_element"] or key, loaded))

    with bulk.app.test_request_context("/"):
        run()
    _over_http(user("off1"), "/referrals/new", START, "start_http", db_engine)
    _sent_share("start", "start_http")


@pytest.mark.parametrize("element", list(TASK_FORMS))
def test_task_forms(user, refer, in_process, db_engine, element):
    case = refer(now=at("2026-01-05"))
    if element == "set_goals":
        case.accept("2026-01-05")
    actor, valid = TASK_FORMS[element]
    task_id = case.task(element, actor)["id"]
    bulk = in_process()
    with bulk.uow() as uow:
        fields = queries.open_task(uow, actor, task_id)["fields"]
        loaded = forms.widget_data(uow, fields, bulk.types)

    def command(uow, values):
        tasks.complete(uow, bulk.runtime, actor, task_id, values)

    @IN_PROCESS
    @given(_forms(valid, BULK))
    def run(forms_):
        for form in forms_:
            _count(element, bulk.run(command, fields, form, PROCESS, element, loaded))

    with bulk.app.test_request_context("/"):
        run()
    _over_http(user(actor), f"/tasks/{task_id}", valid, f"{element}_http", db_engine)
    _sent_share(element, f"{element}_http")


def _check_cli(result, before, db_engine) -> tuple:
    assert result.exit_code in (0, 1), (result.exit_code, result.stderr[-800:])
    assert "Traceback" not in result.stderr
    after = _state(db_engine)
    if result.exit_code != 0:
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
        assert after == before
    return after


def _cli_inputs(start: dict, complete: dict, n: int):
    """n (start?, data) pairs: `--data` for `polku start` or for completing accept_referral."""
    def pick(drawn):
        starts, completes, starting = drawn
        return [(s, a if s else b) for s, a, b in zip(starting, starts, completes, strict=True)]

    return st.tuples(_forms(start, n, JSON_JUNK, bare=True), _forms(complete, n, JSON_JUNK, bare=True),
                     st.lists(st.booleans(), min_size=n, max_size=n)).map(pick)


def test_cli_start_and_complete_data(refer, coaching, in_process, db_engine):
    case = refer(now=at("2026-01-05"))
    task_id = case.task("accept_referral", "coach1")["id"]
    json_start = {**START, "health_consent": True, "confirm_name_change": False}
    inputs = _cli_inputs(json_start, TASK_FORMS["accept_referral"][1], BULK)
    bulk = in_process()
    start = _started(bulk.runtime, "off1")

    def complete(uow, values):
        tasks.complete(uow, bulk.runtime, "coach1", task_id, values)

    @IN_PROCESS
    @given(inputs)
    def run_in_process(inputs_):
        for start_it, values in inputs_:  # as `--data` hands them over: parsed JSON
            _count("cli", bulk.run(start if start_it else complete, form=json.loads(json.dumps(values))))

    with bulk.app.test_request_context("/"):
        run_in_process()
    state = [_state(db_engine)]

    @WHOLE
    @given(_cli_inputs(json_start, TASK_FORMS["accept_referral"][1], BATCH))
    def run(inputs_):
        for start_it, values in inputs_:
            args = (["start", PROCESS, "--as", "off1"] if start_it else ["complete", task_id, "--as", "coach1"])
            result = coaching(*args, "--data", json.dumps(values), ok=False)
            state[0] = _check_cli(result, state[0], db_engine)
            _count("cli_runner", result.exit_code == 0)

    run()
    _sent_share("cli", "cli_runner")
