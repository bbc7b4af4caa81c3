"""The responsible official on the web (issue 8): "My cases" is an official's default case list,
"All cases of my area" one click away; the case page names the responsible official and lists
the open tasks, where another official of the area takes one over (and a coach cannot)."""
from __future__ import annotations

import json

import lxml.html
import pytest

from tests.scenarios.conftest import Case, at, referral
from tests.web.test_case_search import listing, names

MATTI, MAIJA = "Matti Meikäläinen", "Maija Östman"


@pytest.fixture
def two_officials(refer, coaching):
    """Matti referred by off1, Maija by off2 (both of the same area)."""
    matti = refer(now=at("2026-01-05"))
    iid = coaching.json("start", "tyohonvalmennus", "--as", "off2", "--data",
                        json.dumps(referral(client_hetu="010594Y9021", client_name=MAIJA)), now=at("2026-01-06"))["id"]
    return matti, Case(coaching, iid)


def _tabs(b, query: str = "") -> dict[str, str | None]:
    doc = lxml.html.fromstring(b.get("/cases" + query).get_data(as_text=True))
    return {a.text_content().strip(): a.get("aria-current") for a in doc.xpath('//nav[@id="case-scopes"]//a')}


def test_my_cases_is_the_officials_default_and_all_of_the_area_one_click_away(user, two_officials):
    off1 = user("off1")
    assert names(off1) == [MATTI]
    assert _tabs(off1) == {"My cases": "page", "All cases of my area": None}
    assert names(off1, "?scope=area") == [MAIJA, MATTI]
    assert _tabs(off1, "?scope=area") == {"My cases": None, "All cases of my area": "page"}
    # The choice stays when searching, filtering and paging.
    page = off1.get("/cases?scope=area").get_data(as_text=True)
    assert '<input type="hidden" name="scope" value="area">' in page
    assert names(off1, "?scope=area&q=maija") == [MAIJA] and names(off1, "?q=maija") == []
    assert names(user("off2")) == [MAIJA]


def test_coaches_and_managers_have_no_cases_of_their_own_and_see_all_they_may(user, two_officials):
    for who in ("coach1", "boss"):
        b = user(who)
        assert _tabs(b) == {} and names(b) == [MAIJA, MATTI]
        assert names(b, "?scope=mine") == [MAIJA, MATTI]  # no choice: nothing to narrow


def test_the_case_page_names_the_responsible_official_and_the_task_they_hold(user, refer, db_engine):
    case = refer()
    doc = lxml.html.fromstring(user("coach1").get(f"/cases/{case.id}").get_data(as_text=True))
    assert doc.get_element_by_id("responsible-official").text_content().strip() == "off1"
    tasks = doc.get_element_by_id("open-tasks").text_content()
    assert "Accept the referral" in " ".join(tasks.split()) and "Coach" in tasks


def _decision_pending(refer) -> Case:
    case = refer()
    case.accept()
    case.set_goals()
    case.week("2026-01-16", other_service_need=True)
    case.do("record_redirection", "coach1", target_service="health", description="Check")
    return case


def test_another_official_takes_the_task_over_from_the_case_page(user, refer, coaching):
    case = _decision_pending(refer)
    task = case.task("decide_redirection", "off1")
    off1, off2 = user("off1"), user("off2")
    own = off1.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'href="/tasks/{task["id"]}"' in own and "Take over" not in own  # off1 opens it, no take-over
    theirs = off2.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'action="/tasks/{task["id"]}/take-over"' in theirs and "assigned to off1" in theirs
    assert f'href="/tasks/{task["id"]}"' not in theirs  # not off2's to open yet

    response = off2.post(f"/tasks/{task['id']}/take-over")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/tasks/{task['id']}")
    page = off2.get(f"/tasks/{task['id']}")
    assert page.status_code == 200 and "You took the task over" in page.get_data(as_text=True)
    assert [t["assignee"] for t in case.show()["ready_tasks"]] == ["off2"]
    # Gone from off1's inbox; its page says someone else has it.
    assert f'/tasks/{task["id"]}"' not in off1.get("/tasks").get_data(as_text=True)
    assert off1.get(f"/tasks/{task['id']}").status_code == 404
    assert "off2 took “Decide how the coaching continues” over from off1" in \
        off1.get(f"/cases/{case.id}").get_data(as_text=True)


def test_a_coach_cannot_take_an_officials_task_over(user, refer):
    case = _decision_pending(refer)
    task = case.task("decide_redirection", "off1")
    coach = user("coach1")
    assert "Take over" not in coach.get(f"/cases/{case.id}").get_data(as_text=True)
    assert coach.post(f"/tasks/{task['id']}/take-over").status_code == 404
    assert [t["assignee"] for t in case.show()["ready_tasks"]] == ["off1"]


def test_the_list_shows_whose_turn_it_is_with_who_holds_the_task(user, refer):
    case = _decision_pending(refer)
    [row] = listing(user("off1"))
    assert row["href"] == f"/cases/{case.id}" and row["Whose turn"] == "Official (off1)"


def test_the_case_page_says_how_late_an_open_task_is_as_the_inbox_does(user, refer, monkeypatch):
    case = refer(now=at("2026-01-05"))  # due in five business days: Tuesday 13 January (6 January is Epiphany)
    monkeypatch.setenv("POLKU_NOW", at("2026-01-15"))
    coach = user("coach1")
    tasks = " ".join(lxml.html.fromstring(coach.get(f"/cases/{case.id}").get_data(as_text=True))
                     .get_element_by_id("open-tasks").text_content().split())
    inbox = " ".join(lxml.html.fromstring(coach.get("/tasks").get_data(as_text=True)).text_content().split())
    assert "Jan 13, 2026 Overdue by 2 business days" in tasks and "Overdue by 2 business days" in inbox
