"""Task and referral pages read the task row and the domain tables in one unit of work: they
never deserialise a workflow to show a page, and a request is one transaction (plus the
login lookup every request makes). Counted on the app's own runtime and database engine."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from polku.engine.db import sent_writes
from tests.conftest import T0
from tests.scenarios.conftest import GOALS, referral
from tests.web.conftest import english

LOGIN_LOOKUP = 1  # web.context._load_user reads the user in a transaction of its own


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("POLKU_NOW", T0)


class Counts:
    def __init__(self):
        self.loads = self.begins = self.commits = 0

    def reset(self):
        self.loads = self.begins = self.commits = 0


@pytest.fixture
def counts(web_app, monkeypatch):
    """Deserialisations through the app's runtime, transactions begun, and those committed that wrote."""
    found = Counts()
    runtime = web_app.extensions["polku"]["runtime"]
    load = runtime.load

    def counting_load(defn, blob):
        found.loads += 1
        return load(defn, blob)

    monkeypatch.setattr(runtime, "load", counting_load)
    engine = web_app.extensions["polku"]["engine"]

    def on_begin(_conn):
        found.begins += 1

    def on_commit(conn):
        # On PostgreSQL a unit that only read ends with a COMMIT too (engine.db): it commits nothing.
        if conn.dialect.name != "postgresql" or sent_writes(conn):
            found.commits += 1

    event.listen(engine, "begin", on_begin)
    event.listen(engine, "commit", on_commit)
    yield found
    event.remove(engine, "begin", on_begin)
    event.remove(engine, "commit", on_commit)


def _closure_case(refer):
    case = refer()
    case.accept()
    case.set_goals()
    case.week("2026-01-16", end_period=True)
    assert case.ready() == ["closure"]
    return case


def test_task_page_get_reads_rows_only_in_one_transaction(user, refer, counts, web_app):
    case = _closure_case(refer)
    b = user("coach1")
    task = case.task("closure", "coach1")
    counts.reset()
    response = b.get(f"/tasks/{task['id']}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert all(goal["description"] in text for goal in GOALS)  # goal_results rows from the Goal table
    # The R12 read row: on SQLite written by the read-audit writer in a transaction of its own (the page
    # reads without the write lock, engine.read_audit); on PostgreSQL in the page's own.
    batched = web_app.extensions["polku"]["read_audit"] is not None
    assert (counts.loads, counts.begins - LOGIN_LOOKUP, counts.commits) == ((0, 2, 2) if batched else (0, 1, 1))


def test_task_page_post_is_one_unit_of_work_that_only_the_command_deserialises(user, refer, counts):
    case = refer()
    b = user("coach1")
    task = case.task("accept_referral", "coach1")
    b.get(f"/tasks/{task['id']}")
    counts.reset()
    response = b.post(f"/tasks/{task['id']}", {"actual_start": "2026-01-05", "_instance": str(case.id)})
    assert response.status_code == 302
    assert case.ready() == ["set_goals"]
    # One load: the complete command running the workflow on; the page itself opened none.
    assert (counts.loads, counts.begins, counts.commits) == (1, LOGIN_LOOKUP + 1, 1)


def test_a_refused_submission_re_renders_in_the_same_unit_of_work(user, refer, counts):
    case = refer()
    b = user("coach1")
    task = case.task("accept_referral", "coach1")
    b.get(f"/tasks/{task['id']}")
    counts.reset()
    response = b.post(f"/tasks/{task['id']}", {"actual_start": "", "_instance": str(case.id)})
    assert response.status_code == 400
    assert (counts.loads, counts.begins, counts.commits) == (0, LOGIN_LOOKUP + 1, 0)


def test_a_task_handled_meanwhile_is_explained_from_its_row(user, refer, counts):
    case = refer()
    b = user("coach1")
    task = case.task("accept_referral", "coach1")
    b.get(f"/tasks/{task['id']}")
    case.accept()  # the same coach, through the CLI
    counts.reset()
    response = b.post(f"/tasks/{task['id']}", {"actual_start": "2026-01-12", "_instance": str(case.id)})
    assert response.status_code == 409
    assert "You have already completed this task." in response.get_data(as_text=True)
    assert (counts.loads, counts.begins, counts.commits) == (0, LOGIN_LOOKUP + 1, 0)


def test_a_task_of_a_suspended_case_is_explained_from_its_row(user, refer, counts):
    case = refer()
    b = user("coach1")
    task = case.task("accept_referral", "coach1")
    b.get(f"/tasks/{task['id']}")
    case.polku("suspend", case.id, "--as", "boss")
    counts.reset()
    response = b.post(f"/tasks/{task['id']}", {"actual_start": "2026-01-12", "_instance": str(case.id)})
    assert response.status_code == 409
    assert "This case is not active at the moment" in response.get_data(as_text=True)
    assert counts.loads == 0


def test_a_task_the_user_may_not_see_is_404_on_post(browser, refer, counts):
    case = refer()
    task = case.task("accept_referral", "coach1")
    b = english(browser("coach2"))  # another provider's coach
    counts.reset()
    assert b.post(f"/tasks/{task['id']}", {"actual_start": "2026-01-12"}).status_code == 404
    assert b.post("/tasks/no-such-task", {"actual_start": "2026-01-12"}).status_code == 404
    assert counts.loads == 0


def _form(**overrides) -> dict:
    values = referral(**overrides)
    values["health_consent"] = "true" if values.pop("health_consent") else ""
    return {k: v for k, v in values.items() if v != ""}


def test_referral_post_is_one_unit_of_work_and_reads_the_referral_record(user, coaching, counts):
    b = user("off1")
    b.get("/referrals/new")
    counts.reset()
    response = b.post("/referrals/new", _form(planned_start="2026-01-12", planned_end="2026-01-22"))
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "The referral cannot be made" in text and "Matti Meikäläinen" in text
    assert (counts.loads, counts.begins, counts.commits) == (0, LOGIN_LOOKUP + 1, 1)
    counts.reset()
    response = b.post("/referrals/new", _form(client_hetu="010594Y9021"))
    assert response.status_code == 302
    assert (counts.loads, counts.begins, counts.commits) == (0, LOGIN_LOOKUP + 1, 1)
