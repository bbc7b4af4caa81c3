"""The case list's filters by current step (an open task's step, chosen from the steps of the
process in the user's language) and whose turn (coach, official, manager, nobody), issue 8."""
from __future__ import annotations

import lxml.html
import pytest

from tests.scenarios.conftest import at
from tests.web.conftest import Browser
from tests.web.test_case_search import names

REFERRED, STARTED, DECIDING, REFUSED = "Aino Aalto", "Bertil Berg", "Cecilia Cruz", "Dan Dahl"
CODES = {REFERRED: "131052-308T", STARTED: "010594Y9021", DECIDING: "020505A902P", REFUSED: "020505F903R"}


@pytest.fixture
def four_cases(refer):
    """One case waiting for the coach to accept, one for goals, one for the official's decision,
    and a refused referral (no open task)."""
    cases = {name: refer(now=at(f"2026-01-0{5 + i}"), client_hetu=CODES[name], client_name=name,
                         **({"planned_end": "2026-01-20"} if name == REFUSED else {}))
             for i, name in enumerate((REFERRED, STARTED, DECIDING, REFUSED))}
    cases[STARTED].accept("2026-01-12")
    deciding = cases[DECIDING]
    deciding.accept("2026-01-12")
    deciding.set_goals()
    deciding.week("2026-01-16", other_service_need=True)
    deciding.do("record_redirection", "coach1", target_service="health", description="Check")
    return cases


@pytest.mark.parametrize("step, expected", [
    ("accept_referral", [REFERRED]), ("set_goals", [STARTED]), ("decide_redirection", [DECIDING]),
    ("closure", []), ("no_such_step", []), ("", [REFUSED, DECIDING, STARTED, REFERRED]),
])
def test_the_current_step_filter_finds_the_cases_with_that_open_task(user, four_cases, step, expected):
    assert names(user("off1"), f"?step={step}") == expected


@pytest.mark.parametrize("turn, expected", [
    ("coach", [STARTED, REFERRED]), ("official", [DECIDING]), ("manager", []), ("nobody", [REFUSED]),
    ("anyone", [REFUSED, DECIDING, STARTED, REFERRED]),  # unknown: no filter
])
def test_the_whose_turn_filter(user, four_cases, turn, expected):
    assert names(user("off1"), f"?turn={turn}") == expected


def test_filters_combine_and_a_coach_sees_only_their_providers_cases(user, four_cases):
    assert names(user("off1"), "?turn=coach&step=set_goals") == [STARTED]
    assert names(user("off1"), "?turn=official&step=set_goals") == []
    assert names(user("coach2"), "?turn=coach") == []  # another provider's clients are never found


def _options(b: Browser, select_id: str) -> dict[str, str]:
    doc = lxml.html.fromstring(b.get("/cases").get_data(as_text=True))
    return {o.get("value"): o.text_content().strip() for o in doc.xpath(f'//select[@id="{select_id}"]/option')}


@pytest.mark.parametrize("language, accept, goals, coach, nobody", [
    ("fi", "Vastaanota ohjaus ja tee aloitusilmoitus", "Sovi henkilökohtaiset tavoitteet", "Valmentaja",
     "Ei kenenkään"),
    ("sv", "Ta emot hänvisningen och gör startanmälan", "Kom överens om personliga mål", "Coach", "Ingen"),
])
def test_the_choices_are_the_steps_of_the_process_in_the_users_language(browser, four_cases, language, accept,
                                                                        goals, coach, nobody):
    b = browser("off1")
    assert b.post("/language", {"locale": language, "next": "/cases"}).status_code == 302
    steps = _options(b, "step")
    # Every user task of the process, whether or not a case is at it now.
    assert steps["accept_referral"] == accept and steps["set_goals"] == goals
    assert {"closure", "final_statement", "review_end", "decide_second_period"} <= set(steps)
    assert list(steps)[0] == ""  # "all steps" first
    turns = _options(b, "turn")
    assert list(turns)[1:] == ["coach", "official", "manager", "nobody"]
    assert (turns["coach"], turns["nobody"]) == (coach, nobody)
    page = b.get("/cases?turn=coach").get_data(as_text=True)
    doc = lxml.html.fromstring(page)
    assert {" ".join(td.text_content().split()) for td in doc.xpath('//td[contains(@class, "turn")]')} == {coach}


def test_paging_and_resetting_keep_the_chosen_filters(user, four_cases):
    b = user("off1")
    page = b.get("/cases?scope=area&turn=coach&step=set_goals").get_data(as_text=True)
    assert 'href="/cases?scope=area"' in page  # "show all cases" keeps the scope only
    doc = lxml.html.fromstring(page)
    assert doc.xpath('//select[@id="turn"]/option[@selected]/@value') == ["coach"]
    assert doc.xpath('//select[@id="step"]/option[@selected]/@value') == ["set_goals"]
