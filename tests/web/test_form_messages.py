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


def posted(b, task_id, form) -> lxml.html.HtmlElement:
    response = b.post(f"/tasks/{task_id}", form)
    assert response.status_code == 400, response.get_data(as_text=True)[-1500:]
    return lxml.html.fromstring(response.get_data(as_text=True))


def words(el) -> str:
    return " ".join(el.text_content().split())


def summary_links(page) -> list[tuple[str, str]]:
    return [(a.get("href"), words(a)) for a in page.xpath('//div[@class="error-summary"]//a')]


@pytest.mark.parametrize("lang, row_error, too_few", [
    ("fi", "Tavoite 2: todentamistapa ei voi olla tyhjä", "tavoitteita on oltava vähintään 2"),
    ("sv", "Mål 2: verifieringssätt får inte vara tomt", "det måste finnas minst 2 mål"),
    ("en", "Goal 2: verification must be non-empty text", "must have at least 2 goals"),
])
def test_goal_list_errors_are_in_the_users_language(browser, refer, lang, row_error, too_few):
    case = refer()
    case.accept()
    b = browser("coach1")
    assert b.post("/language", {"locale": lang, "next": "/tasks"}).status_code == 302
    task_id, _ = open_task(b, case, "set_goals")

    page = posted(b, task_id, {**goal_rows({0: GOALS[0], 1: {**GOALS[1], "verification": "  "}}),
                               "meetings_per_week": "2"})
    [error] = page.xpath('//*[@id="field-goals-1-error"]')
    assert words(error).split(None, 1)[1] == row_error
    href, text = summary_links(page)[0]  # the summary says the same, linked to the erring row
    assert text.endswith(": " + row_error) and href == "#field-goals-1-category"

    page = posted(b, task_id, {**goal_rows({3: GOALS[0]}), "meetings_per_week": "2"})
    [error] = page.xpath('//*[@id="field-goals-error"]')
    assert words(error).split(None, 1)[1] == too_few
    assert case.ready() == ["set_goals"]


def test_an_error_in_one_row_marks_that_row_only_and_names_it(browser, refer):
    """The third row filled in (shown on row 5 before) is wrong: after the post the filled rows come
    back in order, so it is row 3, and only row 3 is marked."""
    case = refer()
    case.accept()
    b = browser("coach1")
    task_id, _ = open_task(b, case, "set_goals")
    bad = {**GOALS[1], "description": ""}
    page = posted(b, task_id, {**goal_rows({0: GOALS[0], 1: GOALS[1], 4: bad}), "meetings_per_week": "2"})
    rows = page.xpath("//fieldset[fieldset]/fieldset")
    marked = [words(r.xpath("./legend")[0]) for r in rows if "has-error" in (r.get("class") or "")]
    assert marked == ["Tavoite 3"]
    invalid = page.xpath('//*[@aria-invalid="true"]/@name')
    assert sorted(invalid) == ["goals-2-category", "goals-2-description", "goals-2-verification"]
    [outer] = page.xpath("//fieldset[fieldset]")
    assert "has-error" not in outer.get("class")  # the field as a whole is not marked
    [error] = page.xpath('//*[@id="field-goals-2-error"]')
    assert words(error).split(None, 1)[1] == "Tavoite 3: tavoite ei voi olla tyhjä"  # the goal's description
    assert "field-goals-2-error" in page.xpath('//*[@name="goals-2-description"]/@aria-describedby')[0]
    assert not page.xpath('//*[@id="field-goals-error"]')
