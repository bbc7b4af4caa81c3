"""One error handler for the whole app: NotFound and Forbidden become the same 404 page (whether
something exists is not revealed), Conflict a 409 page worded by its reason in the user's
language, and a client that asks for JSON gets the same status with a JSON body."""
from __future__ import annotations

import lxml.html
import pytest
from flask import g

from polku.engine import tasks as task_commands
from polku.engine.errors import Conflict
from tests.web.conftest import BASE, english
from tests.web.inbox_support import page, rows

JSON = "application/json"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def body(response) -> str:
    return response.get_data(as_text=True)


def get(b, url, accept):
    return b.client.get(url, base_url=BASE, headers={"Accept": accept})


def main(response) -> str:
    """The page's own content (the layout around it links back to the URL asked for)."""
    [element] = lxml.html.fromstring(body(response)).xpath("//main")
    return lxml.html.tostring(element, encoding="unicode")


@pytest.fixture
def claim_route(web_app):
    """A route that runs a real engine command and leaves its errors to the app's handler, as a
    future JSON API route would (registered before the app serves its first request)."""

    def claim(task_id):
        from polku.web.context import unit_of_work

        with unit_of_work() as uow:
            task_commands.claim(uow, g.user.username, task_id)
            uow.commit()
        return {"claimed": task_id}

    def conflict(reason):
        raise Conflict("engine text naming bob", reason)

    web_app.add_url_rule("/api/tasks/<task_id>/claim", "api_claim", claim, methods=["POST"])
    web_app.add_url_rule("/test/conflict/<reason>", "test_conflict", conflict)
    return web_app


# --- 404: NotFound, Forbidden and unknown pages read alike ------------------------------

def test_a_hidden_case_a_missing_case_and_an_unknown_url_are_the_same_finnish_404(browser, refer):
    case = refer()
    coach2 = browser("coach2")  # another provider's coach: the case is hidden from them
    hidden, missing, unknown = (coach2.get(u) for u in (f"/cases/{case.id}", "/cases/99999", "/no/such/page"))
    assert hidden.status_code == missing.status_code == unknown.status_code == 404
    assert main(hidden) == main(missing) == main(unknown)
    assert "Hakemaasi sivua ei löytynyt." in body(hidden)  # Finnish by default


def test_forbidden_reads_exactly_like_not_found(browser, coaching):
    coach = browser("coach1")  # may not start referrals: Forbidden in the command
    forbidden = coach.get("/referrals/new")
    assert forbidden.status_code == 404
    assert main(forbidden) == main(coach.get("/cases/99999"))


def test_the_404_page_is_in_the_users_language(browser, refer):
    b = browser("coach2")
    assert b.post("/language", {"locale": "sv", "next": "/tasks"}).status_code == 302
    assert "Sidan du sökte hittades inte." in body(b.get("/cases/99999"))
    english(b)
    assert "The page was not found." in body(b.get("/cases/99999"))


def test_a_browser_gets_html_and_a_json_client_gets_json(browser, refer):
    case = refer()
    b = browser("coach2")
    assert get(b, f"/cases/{case.id}", BROWSER_ACCEPT).mimetype == "text/html"
    for url in (f"/cases/{case.id}", "/cases/99999", "/referrals/new", "/no/such/page"):
        response = get(b, url, JSON)
        assert response.status_code == 404 and response.mimetype == "application/json", url
        assert response.get_json() == {"error": "Hakemaasi sivua ei löytynyt.", "code": "not_found"}, url


def test_api_paths_answer_json_whatever_the_accept_header(claim_route, browser, refer):
    refer()
    b = browser("coach2")
    b.get("/tasks")
    response = b.client.post("/api/tasks/no-such-task/claim", base_url=BASE, data={"csrf_token": b.token},
                             headers={"Accept": BROWSER_ACCEPT, "Referer": BASE + "/tasks"})
    assert response.status_code == 404 and response.get_json()["code"] == "not_found"


# --- 409: Conflict worded by its reason -------------------------------------------------

def test_a_conflict_from_a_command_is_a_worded_409_in_json_and_html(claim_route, browser, refer):
    refer()
    coach = english(browser("coach1"))
    [row] = rows(page(coach.get("/tasks")))
    assert coach.post(f"/api/tasks/{row['id']}/claim").get_json() == {"claimed": row["id"]}
    again = coach.post(f"/api/tasks/{row['id']}/claim")
    assert again.status_code == 409
    assert again.get_json() == {"error": "The task is already yours.", "code": "conflict", "reason": "already_yours"}


@pytest.mark.parametrize("reason, english_text, finnish_text", [
    ("handled", "This task was already handled.", "Tämä tehtävä on jo käsitelty."),
    ("already_yours", "The task is already yours.", "Tehtävä on jo sinulla käsittelyssä."),
    ("claimed_by_other", "Someone else has already claimed this task.",
     "Joku muu on jo ottanut tämän tehtävän käsittelyyn."),
    ("not_claimed", "The task is not claimed by anyone.", "Tehtävä ei ole kenenkään käsittelyssä."),
    ("changed", "Someone else changed this at the same time, so nothing was saved. Try again.",
     "Joku muu muutti tätä samaan aikaan, joten mitään ei tallennettu. Yritä uudelleen."),
    ("some_future_reason", "Someone else changed this at the same time, so nothing was saved. Try again.",
     "Joku muu muutti tätä samaan aikaan, joten mitään ei tallennettu. Yritä uudelleen."),
])
def test_each_conflict_reason_is_worded_in_the_users_language(claim_route, browser, coaching, reason,
                                                              english_text, finnish_text):
    b = browser("off1")
    finnish = b.get(f"/test/conflict/{reason}")
    assert finnish.status_code == 409 and finnish.mimetype == "text/html"
    shown = lxml.html.fromstring(body(finnish)).xpath("//main")[0].text_content()  # not the page's random tokens
    assert finnish_text in shown and "bob" not in shown  # never the engine's English
    english(b)
    assert english_text in body(b.get(f"/test/conflict/{reason}"))
    as_json = get(b, f"/test/conflict/{reason}", JSON)
    assert as_json.status_code == 409
    assert as_json.get_json() == {"error": english_text, "code": "conflict", "reason": reason}
