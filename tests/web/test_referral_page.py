"""Starting a referral (GET/POST /referrals/new): the generated start form, field errors,
the form rule R10, a sent referral, a refused one explained, and who may open it."""
from __future__ import annotations

import lxml.html
import pytest

from tests.conftest import T0
from tests.scenarios.conftest import PROVIDER, referral


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("POLKU_NOW", T0)


def doc(response, status=200) -> lxml.html.HtmlElement:
    assert response.status_code == status, response.get_data(as_text=True)[-1500:]
    return lxml.html.fromstring(response.get_data(as_text=True))


def form_data(**overrides) -> dict:
    values = {k: v for k, v in referral(**overrides).items() if v is not None}
    if values.pop("health_consent", False):
        values["health_consent"] = "true"
    return values






def instance_count(polku) -> int:
    return len(polku.json("instances"))


def test_the_form_is_generated_from_the_start_event(user):
    b = user("off1")
    page = doc(b.get("/referrals/new"))
    assert page.xpath("//h1")[0].text_content() == "New referral: Job coaching"
    assert page.xpath('//label[@for="field-client_hetu"]')[0].text_content() == \
        "Client's personal identity code (required)"
    names = page.xpath('//form[@action="/referrals/new"]//*[@name][not(@type="hidden")]/@name')
    assert list(dict.fromkeys(names)) == ["client_hetu", "client_name", "confirm_name_change", "client_language",
                                          "municipality", "service_need", "provider", "planned_start", "planned_end",
                                          "health_consent", "health_information", "other_services"]
    assert page.xpath('//select[@name="provider"]/option/@value') == ["", "Toinen Valmennus Oy", PROVIDER]
    assert page.xpath('//textarea[@name="service_need"]/@maxlength') == ["2000"]
    assert page.xpath('//input[@name="health_consent"]/@type') == ["checkbox"]
    assert page.xpath('//input[@name="client_language"][@checked]/@value') == ["fi"]


def test_invalid_identity_code_is_a_field_error(user, coaching):
    b = user("off1")
    b.get("/referrals/new")
    page = doc(b.post("/referrals/new", form_data(client_hetu="131052-308X")), 400)
    assert page.xpath('//div[@class="error-summary"]//a/@href') == ["#field-client_hetu"]
    assert page.xpath('//input[@name="client_hetu"]/@aria-describedby') == ["field-client_hetu-error"]
    assert "personal identity code" in page.xpath('//*[@id="field-client_hetu-error"]')[0].text_content()
    assert page.xpath('//input[@name="client_name"]/@value') == ["Matti Meikäläinen"]
    assert page.xpath('//select[@name="provider"]/option[@selected]/@value') == [PROVIDER]
    assert instance_count(coaching) == 0


def test_health_information_without_consent_is_refused_by_r10(user, coaching):
    b = user("off1")
    b.get("/referrals/new")
    page = doc(b.post("/referrals/new", form_data(health_information="Back problems")), 400)
    assert page.xpath('//div[@class="error-summary"]//a/@href') == ["#field-health_information"]
    [message] = page.xpath('//*[@id="field-health_information-error"]')
    # The rule's message from the BPMN side (Finnish UI: the DMN's own text).
    assert "written consent" in message.text_content()
    assert page.xpath('//textarea[@name="health_information"]')[0].text_content() == "Back problems"
    assert instance_count(coaching) == 0
    # With consent it goes through.
    response = b.post("/referrals/new", form_data(health_information="Back problems", health_consent=True))
    assert response.status_code == 302


def test_a_valid_referral_is_sent_to_the_provider(user, coaching):
    b = user("off1")
    b.get("/referrals/new")
    response = b.post("/referrals/new", form_data())
    assert response.status_code == 302 and response.headers["Location"].endswith("/tasks")
    assert f"Referral sent to {PROVIDER}." in b.get("/tasks").get_data(as_text=True)
    [instance] = coaching.json("instances")
    case = coaching.json("show", instance["id"])
    assert case["data"]["eligible"] is True and case["data"]["client_name"] == "Matti Meikäläinen"
    assert [t["element_id"] for t in case["ready_tasks"]] == ["accept_referral"]


def test_a_too_short_period_is_explained(user, coaching):
    b = user("off1")
    b.get("/referrals/new")
    page = doc(b.post("/referrals/new", form_data(planned_start="2026-01-12", planned_end="2026-01-22")))
    text = " ".join(page.text_content().split())
    assert page.xpath("//h1")[0].text_content() == "The referral cannot be made"
    assert "at least 14 days" in text
    assert "11 days" in text  # planned length, both days included
    assert "The period is shorter than two weeks" in text
    assert "R1_short" not in text  # a reason in words, never the bare code
    [instance] = coaching.json("instances")
    assert coaching.json("show", instance["id"])["data"]["refusal_reason"] == "R1_short"


def test_the_refusal_reason_is_translated(browser, coaching):
    b = browser("off1")
    assert b.post("/language", {"locale": "sv", "next": "/referrals/new"}).status_code == 302
    page = doc(b.post("/referrals/new", form_data(planned_start="2026-01-12", planned_end="2026-01-22")))
    assert "Perioden är kortare än två veckor" in page.text_content()


def test_only_officials_may_open_the_form(user, coaching):
    b = user("coach1")
    assert b.get("/referrals/new").status_code == 404
    assert b.post("/referrals/new", form_data()).status_code == 404
    assert instance_count(coaching) == 0
