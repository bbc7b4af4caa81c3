"""The referral form, when the identity code is on record under another name: it shows the
name on record in the user's language beside the name field and asks the official to correct
the name or confirm the change (the confirmation box); confirmed, the referral is sent."""
from __future__ import annotations

import lxml.html
import pytest

from polku.domain.models import Client
from tests.conftest import T0
from tests.scenarios.conftest import referral, rows


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("POLKU_NOW", T0)


def doc(response, status) -> lxml.html.HtmlElement:
    assert response.status_code == status, response.get_data(as_text=True)[-1500:]
    return lxml.html.fromstring(response.get_data(as_text=True))


def form(**overrides) -> dict:
    return {k: v for k, v in referral(planned_start="2026-09-01", planned_end="2026-10-30", **overrides).items()
            if v not in (None, False)}


@pytest.mark.parametrize("lang, message, confirm_label", [
    ("fi", "Henkilötunnus on rekisterissä nimellä Matti Meikäläinen. Korjaa nimi tai vahvista nimen muutos.",
     "Vahvistan asiakkaan nimen muutoksen"),
    ("sv", "Personbeteckningen finns registrerad under namnet Matti Meikäläinen. Rätta namnet eller bekräfta "
           "namnändringen.", "Jag bekräftar ändringen av kundens namn"),
])
def test_the_form_shows_the_name_on_record_and_asks_to_correct_or_confirm(
        browser, refer, db_engine, coaching, lang, message, confirm_label):
    first = refer()
    b = browser("off1")
    assert b.post("/language", {"locale": lang, "next": "/tasks"}).status_code == 302
    b.get("/referrals/new")
    page = doc(b.post("/referrals/new", form(client_name="Maija Virtanen")), 400)
    assert page.xpath('//div[@class="error-summary"]//a/@href') == ["#field-client_name"]
    assert page.xpath('//*[@id="field-client_name-error"]')[0].text_content().strip().endswith(message)
    assert page.xpath('//input[@name="client_name"]/@value') == ["Maija Virtanen"]  # what was typed is kept
    assert page.xpath('//input[@name="confirm_name_change"]/@type') == ["checkbox"]
    assert confirm_label in page.xpath('//label[@for="field-confirm_name_change"]')[0].text_content()
    assert [i["id"] for i in coaching.json("instances")] == [first.id]
    assert [c.name for c in rows(db_engine, Client)] == ["Matti Meikäläinen"]
    # Confirmed: the referral is sent and the client has the new name.
    response = b.post("/referrals/new", form(client_name="Maija Virtanen", confirm_name_change="true"))
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    assert [c.name for c in rows(db_engine, Client)] == ["Maija Virtanen"]
    assert len(coaching.json("instances")) == 2
