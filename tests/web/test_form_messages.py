"""The field types' own messages reach the user in their language: per-row errors inside
repeatable rows and list-level errors, in Finnish, Swedish and English."""
from __future__ import annotations

import lxml.html
import pytest

from tests.conftest import T0
from tests.scenarios.conftest import GOALS
from tests.web.test_task_page import goal_rows, open_task


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("POLKU_NOW", T0)


def field_error(b, task_id, form) -> tuple[str, list[str]]:
    response = b.post(f"/tasks/{task_id}", form)
    assert response.status_code == 400, response.get_data(as_text=True)[-1500:]
    page = lxml.html.fromstring(response.get_data(as_text=True))
    [error] = page.xpath('//*[@id="field-goals-error"]')
    links = [" ".join(a.text_content().split()) for a in page.xpath('//div[@class="error-summary"]//a')]
    return error.text_content().split(None, 1)[1], links


@pytest.mark.parametrize("lang, row_error, too_few", [
    ("fi", "kohta 2: todentamistapa ei voi olla tyhjä", "tavoitteita on oltava vähintään 2"),
    ("sv", "punkt 2: verifieringssätt får inte vara tomt", "det måste finnas minst 2 mål"),
    ("en", "item 2: verification must be non-empty text", "must have at least 2 goals"),
])
def test_goal_list_errors_are_in_the_users_language(browser, refer, lang, row_error, too_few):
    case = refer()
    case.accept()
    b = browser("coach1")
    assert b.post("/language", {"locale": lang, "next": "/tasks"}).status_code == 302
    task_id, _ = open_task(b, case, "set_goals")

    form = {**goal_rows({0: GOALS[0], 1: {**GOALS[1], "verification": "  "}}), "meetings_per_week": "2"}
    message, links = field_error(b, task_id, form)
    assert message == row_error
    assert links[0].endswith(": " + row_error)  # the error summary says the same, linked to the field

    message, _ = field_error(b, task_id, {**goal_rows({3: GOALS[0]}), "meetings_per_week": "2"})
    assert message == too_few
    assert case.ready() == ["set_goals"]
