"""Every decision page shows what the decision needs beside its form, and the coach's accept
page shows the referral (issue 8): read from the domain tables, in Finnish and Swedish,
chosen by the user task's `material` property. Cases are driven through the CLI."""
from __future__ import annotations

from datetime import date

import lxml.html
import pytest

from polku.domain.models import Decision
from tests.conftest import T0
from tests.scenarios.conftest import GOALS, PROVIDER, at, rows
from tests.web.conftest import Browser


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("POLKU_NOW", T0)


def in_language(b: Browser, locale: str) -> Browser:
    assert b.post("/language", {"locale": locale, "next": "/tasks"}).status_code == 302
    return b


def material(b: Browser, case, element_id: str, actor: str) -> tuple[str, dict[str, str]]:
    """The material section of the task page: (its heading, {term: description})."""
    task = case.task(element_id, actor)
    response = b.get(f"/tasks/{task['id']}")
    assert response.status_code == 200, response.get_data(as_text=True)[-1500:]
    page = lxml.html.fromstring(response.get_data(as_text=True))
    [section] = page.xpath('//aside[@class="case-summary"]/section[@class="decision-material"]')
    terms = [" ".join(x.text_content().split()) for x in section.xpath(".//dt")]
    details = [" ".join(x.text_content().split()) for x in section.xpath(".//dd")]
    assert len(terms) == len(details)
    heading = " ".join(section.xpath(".//h2")[0].text_content().split())
    return heading, dict(zip(terms, details, strict=True)) | {"": " ".join(section.text_content().split())}


def day(iso: str, locale: str) -> str:
    """A day as the page writes it: d.M.yyyy in Finnish and in Finland-Swedish (sv, sv_FI)."""
    assert locale in ("fi", "sv", "sv_FI")
    d = date.fromisoformat(iso)
    return f"{d.day}.{d.month}.{d.year}"


def started(refer, **overrides):
    case = refer(**overrides)
    case.accept()
    case.set_goals()
    return case


# --- the coach's accept page --------------------------------------------------------------
def test_accept_page_shows_the_referral_but_never_health_information(browser, refer):
    case = refer(client_language="sv", municipality="Espoo", other_services="Work trial at a warehouse",
                 health_consent=True, health_information="Back injury in 2024")
    fi_heading, fi = material(in_language(browser("coach1"), "fi"), case, "accept_referral", "coach1")
    assert fi_heading == "Ohjaus"
    assert fi["Palvelutarve"] == "Support to find work in logistics"
    assert fi["Muut palvelut"] == "Work trial at a warehouse"
    assert (fi["Palveluntuottaja"], fi["Kotikunta"], fi["Asiakkaan kieli"]) == (PROVIDER, "Espoo", "ruotsi")
    assert "Back injury" not in fi[""]
    sv_heading, sv = material(in_language(browser("coach1"), "sv"), case, "accept_referral", "coach1")
    assert sv_heading == "Anvisningen"
    assert sv["Servicebehov"] == "Support to find work in logistics"
    assert sv["Andra tjänster"] == "Work trial at a warehouse"
    assert (sv["Serviceproducent"], sv["Hemkommun"], sv["Kundens språk"]) == (PROVIDER, "Espoo", "svenska")
    task = case.task("accept_referral", "coach1")
    assert "Back injury" not in browser("coach1").get(f"/tasks/{task['id']}").get_data(as_text=True)


def test_the_accept_page_aside_shows_each_fact_once(browser, refer):
    """Provider, municipality and planned period are in the referral material, not again below it."""
    case = refer(municipality="Espoo")
    task = case.task("accept_referral", "coach1")
    page = lxml.html.fromstring(browser("coach1").get(f"/tasks/{task['id']}").get_data(as_text=True))
    [aside] = page.xpath('//aside[@class="case-summary"]')
    terms = [" ".join(x.text_content().split()) for x in aside.xpath(".//dt")]
    assert len(terms) == len(set(terms)), terms
    text = " ".join(aside.text_content().split())
    assert text.count(PROVIDER) == 1 and text.count("Espoo") == 1
    assert text.count(f"{day('2026-01-12', 'fi')} – {day('2026-04-30', 'fi')}") == 1
    assert "Matti Meikäläinen" in text  # the case summary still names the client
    # Other task pages keep the whole case summary.
    case.accept()
    task = case.task("set_goals", "coach1")
    page = lxml.html.fromstring(browser("coach1").get(f"/tasks/{task['id']}").get_data(as_text=True))
    text = " ".join(page.xpath('//aside[@class="case-summary"]')[0].text_content().split())
    assert PROVIDER in text and "Espoo" in text


# --- the official's decisions -------------------------------------------------------------
def _proposed(refer):
    case = started(refer)
    case.week("2026-04-10")
    case.week("2026-04-17")
    case.do("propose_second_period", "coach1", now=at("2026-04-17", "16:00"), second_period_needed=True,
            second_period_end="2026-08-31", justification="Employment contract in negotiation")
    assert case.ready() == ["decide_second_period"]
    return case


def test_second_period_decision_shows_the_justification_dates_and_the_8_in_12_figures(browser, refer, db_engine,
                                                                                      web_app, monkeypatch):
    case = _proposed(refer)
    runtime = web_app.extensions["polku"]["runtime"]
    loaded = []
    monkeypatch.setattr(runtime, "load", lambda *args: loaded.append(args))  # the page must never need one
    data = case.data  # what the DMN decided on: the page recomputes the same from the Period table
    days, limit = data["sp_window_days_max"], data["sp_window_limit_days"]
    assert (data["sp_start"], data["sp_end"]) == ("2026-05-01", "2026-08-31")
    heading, fi = material(in_language(browser("off1"), "fi"), case, "decide_second_period", "off1")
    assert heading == "Ehdotettu jatkojakso"
    assert fi["Valmentajan perustelut"] == "Employment contract in negotiation"
    assert fi["Ehdotettu jakso"] == f"{day('2026-05-01', 'fi')} – {day('2026-08-31', 'fi')} (123 päivää)"
    assert fi["Ensimmäinen jakso"] == f"{day('2026-01-12', 'fi')} – {day('2026-04-30', 'fi')}"
    assert fi["Valmennuspäiviä kiireisimmän 12 kuukauden aikana ehdotus mukaan lukien"] == str(days)
    assert fi["Enimmäismäärä (8 kuukautta)"] == f"{limit} päivää"
    assert fi["Päiviä jäljellä enimmäismäärään"] == str(limit - days)
    _, sv = material(in_language(browser("off1"), "sv"), case, "decide_second_period", "off1")
    assert sv["Coachens motivering"] == "Employment contract in negotiation"
    assert sv["Föreslagen period"] == f"{day('2026-05-01', 'sv')} – {day('2026-08-31', 'sv')} (123 dagar)"
    assert sv["Dagar kvar till gränsen"] == str(limit - days)
    assert loaded == []  # read from the domain tables: no workflow deserialised
    # The proposal is a record of its own, by the coach: the case file keeps the justification.
    [proposal] = rows(db_engine, Decision, instance_id=case.id, kind="second_period_proposal")
    assert (proposal.decision, proposal.reason, proposal.decided_by) == (
        "proposed", "Employment contract in negotiation", "coach1")


def test_interruption_decision_shows_the_absences_and_the_coachs_notes(browser, refer):
    case = started(refer)
    case.week("2026-01-16", meetings=0, absence_days=3)
    case.week("2026-01-23", meetings=0, absence_days=2, notes="Not reachable by phone or e-mail")
    assert case.ready() == ["decide_interruption"]
    heading, fi = material(in_language(browser("off1"), "fi"), case, "decide_interruption", "off1")
    assert heading == "Valmentajan viimeisin viikkokatsaus"
    assert (fi["Viikko"], fi["Luvattomia poissaolopäiviä tällä viikolla"], fi["Luvattomia poissaolopäiviä peräkkäin"]) \
        == ("viikko 4 (19.1.2026–25.1.2026)", "2", "5")  # the period's second week, by the calendar
    assert fi["Valmentajan muistiinpanot"] == "Not reachable by phone or e-mail"
    _, sv = material(in_language(browser("off1"), "sv"), case, "decide_interruption", "off1")
    assert (sv["Vecka"], sv["Olovlig frånvaro denna vecka (dagar)"], sv["Olovlig frånvaro i följd (dagar)"]) \
        == ("vecka 4 (19.1.2026–25.1.2026)", "2", "5")
    assert sv["Coachens anteckningar"] == "Not reachable by phone or e-mail"


def test_redirection_decision_shows_where_and_why(browser, refer):
    case = started(refer)
    case.week("2026-01-16", other_service_need=True)
    case.do("record_redirection", "coach1", target_service="health", description="Needs an occupational health check")
    heading, fi = material(in_language(browser("off1"), "fi"), case, "decide_redirection", "off1")
    assert heading == "Ehdotettu ohjaus muuhun palveluun"
    assert fi["Palvelu, johon asiakas ohjataan"] == "Terveyspalvelut"
    assert fi["Valmentajan kuvaus"] == "Needs an occupational health check"
    heading, sv = material(in_language(browser("off1"), "sv"), case, "decide_redirection", "off1")
    assert heading == "Föreslagen hänvisning till en annan tjänst"
    assert sv["Tjänst som kunden hänvisas till"] == "Hälsovårdstjänster"
    assert sv["Coachens beskrivning"] == "Needs an occupational health check"


def test_goals_decision_shows_the_notice_the_notes_and_the_current_goals(browser, refer):
    case = started(refer)
    case.week("2026-01-16", goals_unrealistic=True, notes="Ten employers is too many for now")
    for locale, notice in (("fi", "Tavoitteet eivät vaikuta realistisilta"),
                           ("sv", "Målen verkar inte realistiska")):
        b = in_language(browser("off1"), locale)
        _, found = material(b, case, "decide_goals", "off1")
        assert notice in found[""]
        assert found[{"fi": "Valmentajan muistiinpanot", "sv": "Coachens anteckningar"}[locale]] == \
            "Ten employers is too many for now"
        text = b.get(f"/tasks/{case.task('decide_goals', 'off1')['id']}").get_data(as_text=True)
        assert all(goal["description"] in text for goal in GOALS)  # the current goals, beside it


def test_a_task_without_material_shows_none(browser, refer):
    case = refer()
    case.accept()
    task = case.task("set_goals", "coach1")
    page = browser("coach1").get(f"/tasks/{task['id']}").get_data(as_text=True)
    assert "decision-material" not in page
