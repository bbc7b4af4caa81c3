"""Issue 10: "Run the failed step again" with corrected data from the instance page. The page offers
an input per variable the failed step reads (a form field's own widget, else a text read as a JSON
scalar or as text), sends only what was changed, and shows the engine's refusal of a value as the
field's error (400, nothing changed). Variables the step does not read, or the engine sets, are
not offered and a forged input for them is ignored."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import update

from polku.engine.accounts import hash_password
from polku.engine.models import User
from tests.conftest import FIXTURES
from tests.web.conftest import PASSWORD, Browser, english
from tests.web.test_cases import audit_rows, text

REASON = "The share was entered as zero by mistake"
# the inputs as the page shows them, and the names of the variables it shows
UNTOUCHED = {"data.share": "0", "data.note": "x", "data.offset": "", "data._shown": ["note", "offset", "share"]}


@pytest.fixture
def failed(sample, make_user, web_app, db_engine):
    """(login, instance id, polku) for a retry_case started with share 0: its script divides by
    zero, and reads share, note and offset (no value yet) besides what the engine sets."""
    sample("deploy", FIXTURES / "bpmn" / "retry", "--as", "designer1")
    make_user("boss2", "manager", org="Area 2")
    iid = sample.json("start", "retry_case", "--as", "off1", "--data", '{"share": 0, "note": "x"}')["id"]
    with db_engine.begin() as conn:
        conn.execute(update(User).values(password_hash=hash_password(PASSWORD)))

    def login(username="boss"):
        return english(Browser(web_app).login(username))

    return login, iid, sample


def _retry(boss, iid, **changes):
    form = {**UNTOUCHED, "reason": REASON, **{f"data.{k}": v for k, v in changes.items()}}
    return boss.post(f"/instances/{iid}/retry", form)


def _unchanged(polku, db_engine, iid):
    shown = polku.json("show", iid)
    assert shown["status"] == "error" and shown["data"]["share"] == 0 and "offset" not in shown["data"]
    assert audit_rows(db_engine, "retry", iid) == []


def test_the_page_offers_the_variables_the_failed_step_reads_with_their_values(failed):
    login, iid, _polku = failed
    response = login().get(f"/instances/{iid}")
    body, page = response.get_data(as_text=True), text(response)
    assert "Values the failed step reads" in page
    # share: its start form field's own widget (a whole number, 0 to 100), labelled by the form
    assert 'type="number"' in body and 'name="data.share"' in body and 'max="100"' in body
    assert "Variable share: now 0 Share" in page
    assert 'name="data.note"' in body and 'value="x"' in body and 'maxlength="20"' in body
    # offset: no form defines it and the instance has none yet: an empty text input
    assert 'id="field-offset" name="data.offset"' in body and "Variable offset: no value now" in page
    assert "A value that no form defines is saved as a number, or as true, false or null" in page
    assert all(f'name="data._shown" value="{name}"' in body for name in ("note", "offset", "share"))
    for never in ("started_by", "case_organisations", "len"):  # the engine's, and a builtin
        assert f'name="data.{never}"' not in body


def test_a_corrected_value_is_converted_and_the_instance_runs_on(failed, db_engine):
    login, iid, polku = failed
    response = _retry(login(), iid, share="4", offset="1")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/instances/{iid}")
    shown = polku.json("show", iid)
    assert shown["status"] == "running"
    assert shown["data"]["share"] == 4 and shown["data"]["offset"] == 1 and shown["data"]["result"] == 28
    [(actor, details)] = audit_rows(db_engine, "retry", iid)
    assert actor == "boss" and details["reason"] == REASON and details["status"] == "running"
    assert details["fields"] == ["offset", "share"]  # note was left as it was: not sent


@pytest.mark.parametrize(("typed", "stored"), [("1", 1), ("1.5", 1.5), ('"1"', "1"), ("one", "one"),
                                               ("null", None), ("[1]", "[1]")])
def test_a_value_no_form_defines_is_a_json_scalar_or_else_text(failed, db_engine, typed, stored):
    """The script adds offset to a number: only a number lets it run on, a text fails it again."""
    login, iid, polku = failed
    assert _retry(login(), iid, share="4", offset=typed).status_code == 302
    shown = polku.json("show", iid)
    assert shown["data"]["offset"] == stored and type(shown["data"]["offset"]) is type(stored)
    assert shown["status"] == ("running" if isinstance(stored, int | float) else "error")
    [(_actor, details)] = audit_rows(db_engine, "retry", iid)
    assert details["fields"] == ["offset", "share"]


@pytest.mark.parametrize("form", [UNTOUCHED, {"data.share": "", "data.offset": "1"}], ids=["untouched", "not-shown"])
def test_an_untouched_form_sends_no_data(failed, db_engine, form):
    """Nor does a post that does not name the variables as shown (one from before the inputs)."""
    login, iid, polku = failed
    assert login().post(f"/instances/{iid}/retry", {**form, "reason": REASON}).status_code == 302
    [(_actor, details)] = audit_rows(db_engine, "retry", iid)
    assert details["fields"] == [] and details["status"] == "error"  # the same step failed again
    assert polku.json("show", iid)["data"]["share"] == 0


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"share": "500"}, "share", "The value must be at most 100."),
    ({"share": "many"}, "share", "Enter a whole number."),
    ({"note": "x" * 21}, "note", "Write at most 20 characters."),
    ({"offset": "1e999"}, "offset", "Enter a number."),
    ({"offset": "y" * 2001}, "offset", "Write at most 2000 characters."),
])
def test_a_value_the_engine_refuses_is_a_field_error_and_changes_nothing(failed, db_engine, changes, field, message):
    login, iid, polku = failed
    response = _retry(login(), iid, **changes)
    assert response.status_code == 400
    body, page = response.get_data(as_text=True), text(response)
    assert "There is a problem" in page and f'href="#field-{field}"' in body and message in page
    assert f'id="field-{field}-error"' in body and 'aria-invalid="true"' in body
    assert "<details class=\"intervention\" open>" in body  # the retry form is open, with what was typed
    assert f'value="{next(iter(changes.values()))}"' in body or next(iter(changes.values())) in body
    _unchanged(polku, db_engine, iid)


def test_a_missing_reason_keeps_the_corrected_values_and_changes_nothing(failed, db_engine):
    login, iid, polku = failed
    response = login().post(f"/instances/{iid}/retry", {**UNTOUCHED, "data.share": "4", "reason": " "})
    assert response.status_code == 400
    assert "Give a reason" in text(response)
    assert 'name="data.share" type="number" inputmode="numeric" step="1" min="0" max="100" value="4"' in (
        response.get_data(as_text=True))
    _unchanged(polku, db_engine, iid)


def test_variables_the_step_does_not_read_or_the_engine_sets_cannot_be_injected(failed, db_engine):
    """A forged input is never read: only the offered variables are, so it changes nothing."""
    login, iid, polku = failed
    forged = {"data.health_consent": "true", "data.started_by": "boss2", "data.case_organisations": '["Area 2"]',
              "data._internal": "1", "data.len": "3", "share": "0",
              "data._shown": [*UNTOUCHED["data._shown"], "health_consent", "started_by", "len"]}
    response = login().post(f"/instances/{iid}/retry",
                            {**UNTOUCHED, "data.share": "4", "data.offset": "1", "reason": REASON, **forged})
    assert response.status_code == 302
    shown = polku.json("show", iid)
    assert shown["status"] == "running" and shown["data"]["share"] == 4
    assert shown["data"]["started_by"] == "off1" and "health_consent" not in shown["data"]
    [(_actor, details)] = audit_rows(db_engine, "retry", iid)
    assert details["fields"] == ["offset", "share"]
    assert login("boss2").get(f"/instances/{iid}").status_code == 404  # still not the other area's


@pytest.mark.parametrize("username", ["off1", "coach1", "designer1", "boss2"])
def test_others_than_the_areas_managers_get_404_and_nothing_changes(failed, db_engine, username):
    login, iid, polku = failed
    who = login(username)
    assert who.get(f"/instances/{iid}").status_code == 404
    assert _retry(who, iid, share="4", offset="1").status_code == 404
    _unchanged(polku, db_engine, iid)


@pytest.mark.parametrize(("lang", "legend", "message"), [
    ("fi", "Arvot, jotka epäonnistunut vaihe lukee", "Anna luku."),
    ("sv", "Värden som det misslyckade steget läser", "Ange ett tal."),
])
def test_the_form_and_its_errors_are_in_the_users_language(failed, db_engine, lang, legend, message):
    login, iid, polku = failed
    boss = login()
    assert boss.post("/language", {"locale": lang, "next": "/tasks"}).status_code == 302
    assert legend in text(boss.get(f"/instances/{iid}"))
    response = _retry(boss, iid, offset="1e999")
    assert response.status_code == 400 and message in text(response)
    _unchanged(polku, db_engine, iid)


def _goal(n: int) -> dict:
    return {"category": "job_search_skills", "description": f"Goal {n}", "verification": f"Check {n}"}


def _goal_rows(count: int) -> dict:
    """The goals' rows as the page posts them (web.forms row names), under the retry form's prefix."""
    form = {"data.goals-rows": "5", "data._shown": "goals"}
    for i in range(count):
        form.update({f"data.goals-{i}-{key}": value for key, value in _goal(i + 1).items()})
    return form


def test_a_field_with_rows_is_corrected_in_its_rows_and_more_rows_send_nothing(failed, db_engine):
    """retry_rows reads the third of the goals its start form set, and was started with two."""
    login, _iid, polku = failed
    polku("deploy", FIXTURES / "bpmn" / "retry_rows", "--as", "designer1")
    start = polku.json("start", "retry_rows", "--as", "off1", "--data", json.dumps({"goals": [_goal(1), _goal(2)]}))
    iid, boss = start["id"], login()
    body = boss.get(f"/instances/{iid}").get_data(as_text=True)
    assert 'name="data.goals-1-description"' in body and 'value="Goal 2"' in body and 'value="Goal 3"' not in body
    response = boss.post(f"/instances/{iid}/retry", {**_goal_rows(2), "_more_rows": "goals", "reason": REASON})
    assert response.status_code == 200 and 'name="data.goals-7-description"' in response.get_data(as_text=True)
    assert boss.post(f"/instances/{iid}/retry", {**_goal_rows(2), "reason": REASON}).status_code == 302
    [(_actor, untouched)] = audit_rows(db_engine, "retry", iid)
    assert untouched["fields"] == [] and untouched["status"] == "error"  # the rows as shown are not a change
    assert boss.post(f"/instances/{iid}/retry", {**_goal_rows(3), "reason": REASON}).status_code == 302
    shown = polku.json("show", iid)
    assert shown["status"] == "running" and shown["data"]["third"] == "Goal 3"
    assert shown["data"]["goals"] == [_goal(1), _goal(2), _goal(3)]
    assert audit_rows(db_engine, "retry", iid)[-1][1]["fields"] == ["goals"]


def test_a_case_with_nothing_recorded_says_so(failed):
    """The retry fixture's case stopped at its first step: its timeline has no event (no empty list)."""
    login, iid, _polku = failed
    response = login().get(f"/instances/{iid}")
    assert "Nothing has been recorded in this case yet." in text(response)
    assert '<ol class="timeline">' not in response.get_data(as_text=True)
