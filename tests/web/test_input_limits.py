"""Issue 9, findings 7 and 8 through HTTP and the CLI: a request over the size limit is refused
with 413 and nothing is saved; "false" (or "0", "") posted for a checkbox is not consent; ids
past 2^63 or not shaped like a task id are "not found", never a 500 or a traceback."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from polku.domain.models import Referral
from tests.conftest import T0
from tests.web.test_referral_page import form_data, instance_count

HUGE = 99999999999999999999  # past 2^63 - 1


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("POLKU_NOW", T0)


def _consents(db_engine) -> list[bool]:
    with Session(db_engine) as session:
        return list(session.scalars(select(Referral.health_consent).order_by(Referral.id)))


def test_a_10_mb_field_is_refused_with_413_and_nothing_is_saved(user, coaching):
    b = user("off1")
    b.get("/referrals/new")
    response = b.post("/referrals/new", form_data(other_services="x" * (10 * 1024 * 1024)))
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert instance_count(coaching) == 0
    json_answer = b.client.post("/referrals/new", data=form_data(other_services="x" * (10 * 1024 * 1024)),
                                base_url="https://localhost", headers={"Accept": "application/json"})
    assert json_answer.status_code == 413 and json_answer.json["code"] == "too_large"
    # Just over the field's maxlength (within the body limit) is a field error, not a 413.
    page = b.post("/referrals/new", form_data(other_services="x" * 2001))
    assert page.status_code == 400 and 'id="field-other_services-error"' in page.get_data(as_text=True)
    assert instance_count(coaching) == 0


def test_the_size_limit_is_configurable(web_app):
    assert web_app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    from polku.app import build_app

    app = build_app({"DATABASE_URL": web_app.config["DATABASE_URL"], "TESTING": True, "SECRET_KEY": "x",
                     "MAX_CONTENT_LENGTH": 1000})
    try:
        response = app.test_client().post("/login", data={"username": "u" * 2000}, base_url="https://localhost")
        assert response.status_code == 413
    finally:
        app.extensions["polku"]["engine"].dispose()


@pytest.mark.parametrize("posted", ["false", "0", "off", "no", ""])
def test_false_posted_for_consent_is_not_consent(user, coaching, db_engine, posted):
    b = user("off1")
    b.get("/referrals/new")
    # With health information, "false" is refused by R10 like no consent at all.
    refused = b.post("/referrals/new", {**form_data(health_information="Back problems"), "health_consent": posted})
    assert refused.status_code == 400 and 'id="field-health_information-error"' in refused.get_data(as_text=True)
    assert instance_count(coaching) == 0
    # Without it, the referral is sent and records no consent.
    assert b.post("/referrals/new", {**form_data(), "health_consent": posted}).status_code == 302
    assert _consents(db_engine) == [False]


@pytest.mark.parametrize("posted", ["yes", "1", "on", "TRUE!", "truee"])
def test_anything_but_true_or_a_no_is_refused_not_guessed(user, coaching, posted):
    b = user("off1")
    b.get("/referrals/new")
    page = b.post("/referrals/new", {**form_data(), "health_consent": posted})
    assert page.status_code == 400 and 'id="field-health_consent-error"' in page.get_data(as_text=True)
    assert instance_count(coaching) == 0


def test_a_checked_box_and_json_true_are_consent(user, coaching, db_engine):
    b = user("off1")
    b.get("/referrals/new")
    assert b.post("/referrals/new", form_data(health_information="Back problems", health_consent=True)) \
        .status_code == 302
    coaching("start", "tyohonvalmennus", "--as", "off1", "--data",
             '{"client_hetu": "010101-123N", "client_name": "Liisa", "client_language": "fi", '
             '"municipality": "Helsinki", "service_need": "Work", "provider": "Valmennus Oy", '
             '"planned_start": "2026-01-12", "planned_end": "2026-04-30", "health_consent": true}')
    assert _consents(db_engine) == [True, True]


@pytest.mark.parametrize("value", ["false", "0", "no"])
def test_cli_false_texts_are_not_consent(coaching, db_engine, value):
    data = form_data(health_information="Back problems")
    data["health_consent"] = value
    import json

    refused = coaching.refused("start", "tyohonvalmennus", "--as", "off1", "--json", "--data", json.dumps(data))
    assert "health_information" in refused.json["fields"]
    assert _consents(db_engine) == []


@pytest.mark.parametrize("url", [f"/cases/{HUGE}", "/cases/0", f"/cases/{2**63}", f"/cases/{HUGE}/statement",
                                 f"/cases/{HUGE}/access-log", "/tasks/not-a-task", f"/tasks/{HUGE}",
                                 "/tasks/00000000-0000-0000-0000-000000000000"])
def test_huge_or_malformed_ids_are_not_found(user, url):
    b = user("off1")
    response = b.get(url)
    assert response.status_code == 404, response.get_data(as_text=True)[-500:]
    assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize("url", [f"/tasks/{HUGE}/claim", "/tasks/x/unclaim", f"/notices/{HUGE}/acknowledge",
                                 f"/tasks/filters/{HUGE}/delete"])
def test_posts_with_huge_ids_are_not_found(user, url):
    assert user("off1").post(url).status_code == 404


@pytest.mark.parametrize("command", [["show", HUGE], ["show", 0], ["suspend", HUGE, "--as", "boss"],
                                     ["retry", HUGE, "--as", "boss"], ["claim", "not-a-task", "--as", "off1"],
                                     ["complete", str(HUGE), "--as", "off1"],
                                     ["terminate", HUGE, "--as", "boss", "--reason", "x"]])
def test_cli_huge_ids_give_one_readable_line(coaching, command):
    refused = coaching.refused(*command)  # exit 1, exactly one line "error: ..."
    assert "no instance" in refused.stderr or "no task" in refused.stderr


def test_cli_tasks_of_a_huge_instance_is_empty(coaching):
    assert coaching.json("tasks", "--instance", HUGE) == []
