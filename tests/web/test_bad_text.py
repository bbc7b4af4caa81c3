"""Issue 12: text no database can store (NUL, a lone surrogate) is refused before any route, with
the field's name in the user's language and nothing changed: form fields (in list rows too), the
login form, reasons, search boxes and JSON bodies. The same on SQLite and PostgreSQL (where a NUL
used to read as "changed by someone else meanwhile")."""
from __future__ import annotations

import json

import pytest

from tests.conftest import T0
from tests.web.conftest import english
from tests.web.test_referral_page import form_data, instance_count


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("POLKU_NOW", T0)


@pytest.mark.parametrize("field, value", [("client_name", "Matti\x00"), ("other_services", "a\x00b"),
                                          ("planned_start", "\x00")])
def test_a_nul_in_a_form_field_is_a_field_error_and_nothing_is_saved(user, coaching, field, value):
    b = user("off1")
    b.get("/referrals/new")
    response = b.post("/referrals/new", form_data(**{field: value}))
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page[-500:]
    assert f"The field {field} contains a character that is not allowed. Nothing was saved." in page
    assert instance_count(coaching) == 0


def test_the_message_is_in_the_users_language(browser, coaching):
    b = browser("off1")  # Finnish by default
    b.get("/referrals/new")
    page = b.post("/referrals/new", form_data(client_name="x\x00")).get_data(as_text=True)
    assert "Kenttä client_name sisältää merkin, jota ei voi käyttää. Mitään ei tallennettu." in page
    assert instance_count(coaching) == 0


def test_a_nul_in_a_row_of_a_list_is_refused(user, refer):
    case = refer()
    b = user("coach1")
    response = b.post("/tasks/" + "0" * 8 + "-0000-0000-0000-000000000000",
                      {"goals-rows": "1", "goals-0-category": "job_search_skills", "goals-0-description": "d\x00"})
    assert response.status_code == 400
    assert "goals-0-description" in response.get_data(as_text=True)
    assert case.show()["status"] == "running"


def test_the_login_form_refuses_a_nul(browser, coaching):
    b = english(browser())
    response = b.post("/login", {"username": "off1\x00", "password": "x"})
    assert response.status_code == 400
    assert "The field username contains a character" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/cases/instances?q=a%00b", "/tasks?q=%00", "/cases?name=x%00"])
def test_a_nul_in_a_search_is_refused(user, coaching, url):
    response = user("boss").get(url)
    assert response.status_code == 400, response.get_data(as_text=True)[-300:]
    assert "contains a character that is not allowed" in response.get_data(as_text=True)


def test_a_nul_in_a_reason_is_refused_and_the_case_stays(user, refer):
    case = refer()
    b = user("boss")
    b.get(f"/cases/{case.id}")
    response = b.post(f"/cases/{case.id}/suspend", {"reason": "because\x00"})
    assert response.status_code == 400
    assert case.show()["status"] == "running"


def test_json_bodies_are_checked_and_bounded(web_app, coaching):
    client = web_app.test_client()
    for body, field in [({"variables": {"a": {"value": "\ud800"}}}, "variables"),
                        ({"businessKey": "x\x00"}, "businessKey")]:
        response = client.post("/engine-rest/process-definition/tyohonvalmennus:1/start",
                               data=json.dumps(body), content_type="application/json", base_url="https://localhost",
                               headers={"Accept-Language": "en"})
        assert response.status_code == 400 and response.json["fields"] == {
            field: "contains a character that is not allowed"}, response.get_data(as_text=True)
    deep = client.post("/engine-rest/process-definition/tyohonvalmennus:1/start", data="[" * 5000 + "]" * 5000,
                       content_type="application/json", base_url="https://localhost")
    assert deep.status_code in (400, 401), deep.get_data(as_text=True)[-300:]
    assert coaching.json("instances") == []


@pytest.mark.parametrize("url", ["/definitions/tyo%00honvalmennus", "/definitions/%00/migrate"])
def test_a_nul_in_a_path_segment_is_refused_before_the_route(browser, coaching, url):
    response = english(browser("designer1")).get(url)
    assert response.status_code == 400, response.get_data(as_text=True)[-300:]
    assert "The field key contains a character that is not allowed" in response.get_data(as_text=True)


def test_a_nul_in_an_engine_rest_path_is_refused_before_the_route(web_app, coaching):
    from tests.web.test_engine_rest import basic

    response = web_app.test_client().post("/engine-rest/process-definition/tyo%00honvalmennus:1/start", json={},
                                          headers={**basic("designer1"), "Accept-Language": "en"},
                                          base_url="https://localhost")
    assert response.status_code == 400, response.get_data(as_text=True)[-300:]
    assert list(response.json["fields"]) == ["definition_id"]
    assert coaching.json("instances") == []
