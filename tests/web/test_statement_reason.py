"""A final statement that could not be reviewed with the client (issue 8): the case page and
the print view show why, in the user's language, instead of a tick."""
from __future__ import annotations

import lxml.html
import pytest

from tests.conftest import T0
from tests.web.test_decision_material import in_language

REASON = "The client has not answered calls or letters since 12 January"


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setenv("POLKU_NOW", T0)


@pytest.mark.parametrize("lang, label", [
    ("fi", "Miksi lausuntoa ei voitu käydä läpi asiakkaan kanssa:"),
    ("sv", "Varför utlåtandet inte kunde gås igenom med kunden:"),
    ("en", "Why it could not be reviewed with the client:"),
])
def test_the_case_page_and_the_print_view_show_why_the_statement_was_not_reviewed(browser, refer, lang, label):
    case = refer()
    case.accept()
    case.set_goals()
    case.week("2026-01-16", meetings=0, absence_days=5)
    case.do("decide_interruption", "off1", decision="interrupt", ground="absence", reason="Five days absent")
    case.close(reached=0, next_steps="Contact the employment office when able")
    case.statement(statement_kind="written", reviewed_with_client=False, not_reviewed_reason=REASON)
    b = in_language(browser("off1"), lang)
    for url in (f"/cases/{case.id}", f"/cases/{case.id}/statement"):
        response = b.get(url)
        assert response.status_code == 200, url
        [reason] = lxml.html.fromstring(response.get_data(as_text=True)).xpath(
            '//*[@id="statement-not-reviewed-reason"]')
        assert " ".join(reason.text_content().split()) == f"{label} {REASON}"
