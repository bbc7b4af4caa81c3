"""The way around a task page: every task page links to its case; the back button after a
submit shows that the task is done (by whom, when) with a link to the case; decision forms say
what their button does (the task's `submit_label`), in fi, sv and en."""
from __future__ import annotations

import lxml.html
import pytest

from tests.conftest import T0
from tests.scenarios.conftest import PROVIDER

BUTTONS = "//form[starts-with(@action, '/tasks/')]//button[@type='submit']"
CASE_LINK = {"fi": "Avaa asia", "sv": "Öppna ärendet", "en": "Open the case"}
DONE = {"fi": "Tehtävä on tehty", "sv": "Uppgiften är klar", "en": "The task is done"}


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("POLKU_NOW", T0)


def doc(response, status=200) -> lxml.html.HtmlElement:
    assert response.status_code == status, response.get_data(as_text=True)[-1500:]
    return lxml.html.fromstring(response.get_data(as_text=True))


def words(el) -> str:
    return " ".join(el.text_content().split())


def speaking(b, locale: str):
    assert b.post("/language", {"locale": locale, "next": "/tasks"}).status_code == 302
    return b


def case_links(page) -> list[tuple[str, str]]:
    return [(a.get("href"), words(a)) for a in page.xpath("//a[starts-with(@href, '/cases/')]")]


@pytest.mark.parametrize("locale", ["fi", "sv", "en"])
def test_a_task_page_links_to_its_case_right_below_the_heading(browser, refer, locale):
    case = refer()
    task = case.task("accept_referral", "coach1")
    b = speaking(browser("coach1"), locale)
    page = doc(b.get(f"/tasks/{task['id']}"))
    [link] = page.xpath("//h1/following-sibling::*[1]//a")
    assert (link.get("href"), words(link)) == (f"/cases/{case.id}", CASE_LINK[locale])
    assert b.get(link.get("href")).status_code == 200


def test_an_officials_decision_page_links_to_its_case(browser, refer):
    case = refer()
    case.accept()
    case.set_goals()
    case.week("2026-01-16", goals_unrealistic=True)
    task = case.task("decide_goals", "off1")
    page = doc(browser("off1").get(f"/tasks/{task['id']}"))
    assert page.xpath("//h1/following-sibling::*[1]//a/@href") == [f"/cases/{case.id}"]


# T0 in Finnish time as each language writes it (Swedish the Finland-Swedish way, sv_FI).
WHEN = {"fi": "5.1.2026 11.00", "sv": "5.1.2026 11.00", "en": "Jan 5, 2026, 11:00\u202fAM"}


def _when(locale: str) -> str:
    return WHEN[locale]


@pytest.mark.parametrize("locale", ["fi", "sv", "en"])
def test_the_back_button_after_a_submit_shows_the_task_is_done(browser, refer, locale):
    case = refer()
    task_id = case.task("accept_referral", "coach1")["id"]
    b = speaking(browser("coach1"), locale)
    doc(b.get(f"/tasks/{task_id}"))
    sent = b.post(f"/tasks/{task_id}", {"actual_start": "2026-01-05", "coaching_mode": "mixed",
                                        "coaching_format": "individual"})
    assert sent.status_code == 302
    page = doc(b.get(f"/tasks/{task_id}"))  # the back button
    assert [words(h) for h in page.xpath("//h1")] == [DONE[locale]]
    assert not page.xpath("//form[starts-with(@action, '/tasks/')]")
    text = words(page)
    assert " ".join(_when(locale).split()) in text
    assert {"fi": "sinä", "sv": "du", "en": "you"}[locale] in page.xpath("//dd/text()")
    assert (f"/cases/{case.id}", CASE_LINK[locale]) in case_links(page)
    assert case.ready() == ["set_goals"]  # nothing was done again


def test_a_task_completed_by_someone_else_shows_who_did_it_to_whoever_may_see_the_case(browser, refer, make_user):
    make_user("coach3", "coach", org=PROVIDER, kind="provider", name="Ville Valmentaja")
    case = refer()
    task_id = case.task("accept_referral", "coach1")["id"]
    case.do("accept_referral", "coach3", actual_start="2026-01-05")
    for username in ("coach1", "off1"):  # a colleague at the provider; the official of the case
        page = doc(speaking(browser(username), "en").get(f"/tasks/{task_id}"))
        assert [words(h) for h in page.xpath("//h1")] == ["The task is done"], username
        assert "Ville Valmentaja" in page.xpath("//dd/text()")
        assert (f"/cases/{case.id}", "Open the case") in case_links(page)
    # A coach of another provider may not see the case: the task does not exist for them.
    assert browser("coach2").get(f"/tasks/{task_id}").status_code == 404


def test_a_send_after_completion_links_to_the_case_too(browser, refer):
    case = refer()
    task_id = case.task("accept_referral", "coach1")["id"]
    b = speaking(browser("coach1"), "en")
    doc(b.get(f"/tasks/{task_id}"))
    case.accept()  # in another tab
    page = doc(b.post(f"/tasks/{task_id}", {"actual_start": "2026-01-13", "_instance": str(case.id)}), 409)
    assert "You have already completed this task." in words(page)
    assert (f"/cases/{case.id}", "Open the case") in case_links(page)


def test_a_task_not_completed_but_not_yours_is_still_404_on_get(browser, refer):
    case = refer()
    task_id = case.task("accept_referral", "coach1")["id"]
    case.polku("claim", task_id, "--as", "coach1")
    assert browser("off1").get(f"/tasks/{task_id}").status_code == 404  # ready, not the official's
    assert browser("coach1").get("/tasks/no-such-task").status_code == 404


@pytest.mark.parametrize(("locale", "label", "generic"), [
    ("fi", "Tallenna päätös", "Merkitse tehtävä tehdyksi"),
    ("sv", "Spara beslutet", "Markera uppgiften som klar"),
    ("en", "Save the decision", "Complete the task"),
])
def test_a_decision_form_says_what_its_button_does(browser, refer, locale, label, generic):
    case = refer()
    accept = case.task("accept_referral", "coach1")["id"]
    coach = speaking(browser("coach1"), locale)
    # A task without a submit_label keeps the generic words.
    assert [words(x) for x in doc(coach.get(f"/tasks/{accept}")).xpath(BUTTONS)] == [generic]
    case.accept()
    case.set_goals()
    case.week("2026-01-16", goals_unrealistic=True)
    task_id = case.task("decide_goals", "off1")["id"]
    page = doc(speaking(browser("off1"), locale).get(f"/tasks/{task_id}"))
    assert [words(x) for x in page.xpath(BUTTONS)] == [label]
