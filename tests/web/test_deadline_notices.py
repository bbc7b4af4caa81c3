"""The deadline watch's notices (domain.deadline_watch) in /notices: the coach's reminder and the
manager's escalation, raised by `polku worker --once` at a moved clock, name the task (in the
user's language) and its due day, in Finnish and Swedish; another provider's coach never sees them."""
from __future__ import annotations

import pytest

from tests.scenarios.conftest import at
from tests.web.test_notices import in_language, listed, nav_count


@pytest.fixture
def reminded(refer):
    """A referral of Mon 5 Jan whose start notice (due Tue 13 Jan) is reminded to the coach on Fri 9 Jan."""
    case = refer(now=at("2026-01-05"))
    case.polku("worker", "--once", now=at("2026-01-09"))
    return case


@pytest.mark.parametrize(("lang", "texts"), [
    ("fi", ["Muistutus: tehtävän määräpäivä lähestyy",
            "Vastaanota ohjaus ja tee aloitusilmoitus, määräpäivä 13.1.2026"]),
    ("sv", ["Påminnelse: en uppgift ska snart vara klar",
            "Ta emot hänvisningen och gör startanmälan, senast 13.1.2026"]),
])
def test_the_coach_sees_the_reminder_with_the_task_and_its_due_day(browser, reminded, lang, texts):
    coach = in_language(browser("coach1"), lang)
    page = coach.get("/notices").get_data(as_text=True)
    for text in texts:
        assert text in page
    assert f'href="/cases/{reminded.id}">Matti Meikäläinen</a>' in page
    assert len(listed(coach)) == 1 and nav_count(coach) == 1


def test_another_providers_coach_and_the_officials_never_see_the_coachs_reminder(browser, reminded, db_engine):
    from tests.web.test_notices import notices

    [notice] = [n for n in notices(db_engine, reminded.id) if n.kind == "task_due_soon"]
    coach2 = browser("coach2")
    page = coach2.get("/notices").get_data(as_text=True)
    assert "Matti" not in page and listed(coach2) == [] and nav_count(coach2) is None
    assert coach2.post(f"/notices/{notice.id}/acknowledge").status_code == 404
    assert listed(browser("off1")) == []
    # Its own coach acknowledges it like any notice.
    coach1 = browser("coach1")
    assert coach1.post(f"/notices/{notice.id}/acknowledge").status_code == 302
    assert listed(coach1) == [] and nav_count(coach1) is None


@pytest.mark.parametrize(("lang", "texts"), [
    ("fi", ["Tehtävä on myöhässä", "määräpäivä 13.1.2026", "3 arkipäivää myöhässä"]),
    ("sv", ["En uppgift är försenad", "senast 13.1.2026", "Försenad med 3 arbetsdagar"]),
])
def test_the_manager_sees_the_escalation_with_how_late_the_task_is(browser, reminded, lang, texts):
    reminded.polku("worker", "--once", now=at("2026-01-16"))  # three business days after the due day
    boss = in_language(browser("boss"), lang)
    page = boss.get("/notices").get_data(as_text=True)
    for text in texts:
        assert text in page
    # The case's story tells it too, with the task.
    story = boss.get(f"/cases/{reminded.id}").get_data(as_text=True)
    assert texts[0] in story and texts[1] in story


@pytest.mark.parametrize(("lang", "text"), [
    ("fi", "Ilmoitus (valmentaja): Muistutus: tehtävän määräpäivä lähestyy: "
           "Vastaanota ohjaus ja tee aloitusilmoitus, määräpäivä 13.1.2026"),
    ("sv", "Anmälan (coach): Påminnelse: en uppgift ska snart vara klar: "
           "Ta emot hänvisningen och gör startanmälan, senast 13.1.2026"),
])
def test_the_task_pages_case_panel_names_the_reminders_task_and_due_day(browser, reminded, lang, text):
    import re

    coach = in_language(browser("coach1"), lang)
    task = reminded.task("accept_referral", "coach1")
    page = coach.get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert text in re.sub(r"\s+", " ", page)
