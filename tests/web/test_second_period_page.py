"""The second period's pages (issue 8): the coach's proposal form tells the lawful end dates up
front and refuses one R4 does not allow with the latest lawful date, in the user's language; the
official's decision page shows the proposal's dates and its 8-in-12 figures. The client had two
months of coaching last autumn, so four more months would break R4 and 1 May - 11 July is lawful."""
from __future__ import annotations

import lxml.html
import pytest

from tests.conftest import T0
from tests.scenarios.conftest import at, history  # noqa: F401  (a fixture)
from tests.web.test_decision_material import day, in_language, material, started


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("POLKU_NOW", T0)


@pytest.fixture
def due(refer, history):
    history("2025-09-01", "2025-10-31")
    case = started(refer)
    case.week("2026-04-10")
    case.week("2026-04-17")
    assert case.ready() == ["propose_second_period"]
    return case


@pytest.mark.parametrize("lang, locale, terms", [
    ("fi", "fi", ("Jatkojakso alkaisi", "Mahdolliset päättymispäivät", "Myöhäisin mahdollinen päättymispäivä on")),
    ("sv", "sv_FI", ("Fortsättningsperioden skulle börja", "Möjliga slutdatum", "Det senaste möjliga slutdatumet är")),
])
def test_the_coachs_form_tells_the_lawful_end_dates_and_refuses_a_later_one(browser, due, lang, locale, terms):
    b = in_language(browser("coach1"), lang)
    _, shown = material(b, due, "propose_second_period", "coach1")
    start, possible, refusal = terms
    assert shown[start].startswith(day("2026-05-01", locale))
    assert shown[possible].startswith(f"{day('2026-05-14', locale)} – {day('2026-07-11', locale)}")
    task = due.task("propose_second_period", "coach1")
    response = b.post(f"/tasks/{task['id']}", {"second_period_needed": "true", "second_period_end": "2026-08-31",
                                               "justification": "Contract in negotiation"})
    assert response.status_code == 400
    page = lxml.html.fromstring(response.get_data(as_text=True))
    [error] = page.xpath('//*[@id="field-second_period_end-error"]')
    assert f"{refusal} {day('2026-07-11', locale)}." in " ".join(error.text_content().split())


def test_the_officials_page_shows_the_shorter_proposal_and_its_figures(browser, due):
    due.do("propose_second_period", "coach1", now=at("2026-04-17", "16:00"), second_period_needed=True,
           second_period_end="2026-07-11", justification="Contract in negotiation")
    _, fi = material(in_language(browser("off1"), "fi"), due, "decide_second_period", "off1")
    assert fi["Valmentajan perustelut"] == "Contract in negotiation"
    assert fi["Ehdotettu jakso"] == f"{day('2026-05-01', 'fi')} – {day('2026-07-11', 'fi')} (72 päivää)"
    assert fi["Ensimmäinen jakso"] == f"{day('2026-01-12', 'fi')} – {day('2026-04-30', 'fi')}"
    assert fi["Valmennuspäiviä kiireisimmän 12 kuukauden aikana ehdotus mukaan lukien"] == "242"
    assert fi["Enimmäismäärä (8 kuukautta)"] == "242 päivää"
    assert fi["Päiviä jäljellä enimmäismäärään"] == "0"
    _, sv = material(in_language(browser("off1"), "sv"), due, "decide_second_period", "off1")
    assert sv["Föreslagen period"] == f"{day('2026-05-01', 'sv_FI')} – {day('2026-07-11', 'sv_FI')} (72 dagar)"
    assert sv["Dagar kvar till gränsen"] == "0"
