"""Every message a user can meet from the process package's validation decisions is shown in
Finnish (the DMN's own text), Swedish and English (the process catalog), rendered as the form
pages render it; and the referral form's date rules show as field errors in each language."""
from __future__ import annotations

import ast
from types import SimpleNamespace

import lxml.html
import pytest

from polku.engine import bpmn_xml
from polku.engine.errors import ValidationFailed
from polku.engine.formcheck import check_rule
from polku.web.forms import error_messages
from tests.conftest import T0
from tests.scenarios.conftest import referral
from tests.unit.process_package import BPMN_FILES, NS, by_name, tree
from tests.web.test_task_page import open_task


def rule_messages() -> list[tuple[str, str, str, str, str]]:
    """(process, decision, error field, error code, Finnish message) of every refusing rule of
    every validation decision the package's processes name."""
    found = []
    for path in BPMN_FILES:
        t = tree(path)
        process = t.find("bpmn:process", NS).get("id")
        for decision in sorted({ref for _el, _line, ref in bpmn_xml.validation_decisions(t)}):
            table = tree(by_name(f"{decision}.dmn")).getroot().find(".//dmn:decisionTable", NS)
            names = [o.get("name") for o in table.findall("dmn:output", NS)]
            for rule in table.findall("dmn:rule", NS):
                out = {n: ast.literal_eval(e.findtext("dmn:text", namespaces=NS).strip())
                       for n, e in zip(names, rule.findall("dmn:outputEntry", NS))}
                if out["valid"] is False:
                    found.append((process, decision, out["error_field"], out["error_code"], out["error_message"]))
    return found


MESSAGES = rule_messages()


def test_the_package_has_rule_messages_to_translate():
    codes = {(d, c) for _p, d, _f, c, _m in MESSAGES}
    assert {("referral_form_rules", "end_before_start"), ("referral_form_rules", "start_too_far_in_past"),
            ("referral_form_rules", "R10_consent"), ("start_notice_rules", "start_in_future"),
            ("weekly_review_rules", "meeting_before_start"), ("weekly_review_rules", "meeting_after_end"),
            ("weekly_review_rules", "future_week"), ("weekly_review_rules", "meeting_outside_week"),
            ("closure_rules", "R5"), ("statement_rules", "not_reviewed")} <= codes


def rendered(web_app, lang: str, process: str, decision: str, field: str, code: str, finnish: str) -> str:
    """The message as a form page shows it: the engine's refusal (check_rule, with the decision's
    verdict) turned into text by the web's error_messages in the user's language."""
    verdict = {"valid": False, "error_field": field, "error_code": code, "error_message": finnish}
    runtime = SimpleNamespace(evaluate_decision=lambda *args: verdict)
    with pytest.raises(ValidationFailed) as refused:
        check_rule(SimpleNamespace(now=None), runtime, None, None, {}, decision)
    with web_app.test_request_context("/", headers={"Accept-Language": lang}):
        return error_messages(refused.value, [{"id": field, "type": "string"}], process)[field]


@pytest.mark.parametrize("process, decision, field, code, finnish", MESSAGES,
                         ids=[f"{d}.{c}" for _p, d, _f, c, _m in MESSAGES])
def test_every_rule_message_is_translated(web_app, process, decision, field, code, finnish):
    texts = {lang: rendered(web_app, lang, process, decision, field, code, finnish) for lang in ("fi", "sv", "en")}
    assert texts["fi"] == finnish and finnish.strip()
    assert texts["sv"].strip() and texts["sv"] != texts["fi"], f"{decision}.{code}: no Swedish text"
    assert texts["en"].strip() and texts["en"] != texts["fi"], f"{decision}.{code}: no English text"
    # The Finnish text is Finnish, not the English one left in the DMN.
    assert texts["en"] != finnish and code not in texts.values()


# --- the referral form -------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("POLKU_NOW", T0)


def doc(response, status) -> lxml.html.HtmlElement:
    assert response.status_code == status, response.get_data(as_text=True)[-1500:]
    return lxml.html.fromstring(response.get_data(as_text=True))


def in_language(b, lang):
    assert b.post("/language", {"locale": lang, "next": "/tasks"}).status_code == 302
    return b


def referral_form(**overrides) -> dict:
    return {k: v for k, v in referral(**overrides).items() if v not in (None, False)}


@pytest.mark.parametrize("lang, end_error, start_error", [
    ("fi", "Päättymispäivä ei voi olla ennen alkamispäivää",
     "Suunniteltu alkamispäivä on liian kaukana menneisyydessä"),
    ("sv", "Slutdatumet kan inte vara före startdatumet",
     "Det planerade startdatumet ligger för långt tillbaka i tiden"),
    ("en", "The end date cannot be before the start date", "The planned start date is too far in the past"),
])
def test_the_referral_forms_date_errors_are_field_errors_in_the_users_language(
        browser, coaching, lang, end_error, start_error):
    b = in_language(browser("off1"), lang)
    b.get("/referrals/new")
    page = doc(b.post("/referrals/new", referral_form(planned_start="2026-01-12", planned_end="2026-01-06")), 400)
    assert page.xpath('//div[@class="error-summary"]//a/@href') == ["#field-planned_end"]
    [message] = page.xpath('//*[@id="field-planned_end-error"]')
    assert end_error in message.text_content()
    assert page.xpath('//input[@name="planned_end"]/@value') == ["2026-01-06"]  # what was typed is kept
    page = doc(b.post("/referrals/new", referral_form(planned_start="2025-11-03", planned_end="2026-01-30")), 400)
    assert page.xpath('//div[@class="error-summary"]//a/@href') == ["#field-planned_start"]
    assert start_error in page.xpath('//*[@id="field-planned_start-error"]')[0].text_content()
    assert coaching.json("instances") == []  # nothing started, nothing refused on record


def test_long_texts_on_the_referral_form_are_textareas_with_a_maxlength(browser, coaching):
    page = doc(browser("off1").get("/referrals/new"), 200)
    for name in ("service_need", "health_information", "other_services"):
        assert page.xpath(f'//textarea[@name="{name}"]/@maxlength') == ["2000"], name
    assert page.xpath('//input[@name="client_name"]/@maxlength') == ["200"]
    assert page.xpath('//input[@name="municipality"]/@maxlength') == ["100"]


def test_an_actual_start_in_the_future_is_a_field_error_in_swedish(browser, refer):
    case = refer()
    b = in_language(browser("coach1"), "sv")
    task_id, _ = open_task(b, case, "accept_referral")
    page = doc(b.post(f"/tasks/{task_id}", {"actual_start": "2026-01-12", "_instance": str(case.id)}), 400)
    assert page.xpath('//div[@class="error-summary"]//a/@href') == ["#field-actual_start"]
    assert "Det faktiska startdatumet kan inte ligga i framtiden" in \
        page.xpath('//*[@id="field-actual_start-error"]')[0].text_content()
    assert case.ready() == ["accept_referral"]  # the clock says 5 January: the 12th is a week ahead
