"""Saved inbox filters: stored on the server per user, applied by a link, deleted only by their owner."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import lxml.html
from sqlalchemy import select

from polku.engine.models import SavedFilter
from tests.web.conftest import english
from tests.web.inbox_support import clients, notices, page


def saved(doc) -> dict[str, str]:
    return {a.text_content().strip(): a.get("href") for a in doc.xpath('//section[@id="saved-filters"]//li/a')}


def test_saved_filters(browser, three_cases, db_engine):
    b = english(browser("coach1"))
    doc = page(b.get("/tasks"))
    assert "You have no saved filters." in doc.get_element_by_id("saved-filters").text_content()

    page(b.get("/tasks?step=set_goals&sort=created&overdue=1&scope=groups"))
    response = b.post("/tasks/filters", {"name": " Goals ", "scope": "groups", "step": "set_goals",
                                         "overdue": "1", "sort": "created"})
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.headers["Location"]).query) == {
        "scope": ["groups"], "step": ["set_goals"], "overdue": ["1"], "sort": ["created"]}
    assert notices(page(b.get(response.headers["Location"])), "success") == ["The filter “Goals” was saved."]
    b.post("/tasks/filters", {"name": "Referrals", "step": "accept_referral"})
    doc = page(b.get("/tasks"))
    assert notices(doc, "success") == ["The filter “Referrals” was saved."]
    links = saved(doc)
    assert list(links) == ["Goals", "Referrals"]

    # Applying one is following its link.
    doc = page(b.get(links["Referrals"]))
    assert sorted(clients(doc)) == ["Aino Aaltonen", "Bertta Berg"]
    assert doc.xpath('//section[@id="saved-filters"]//a[@aria-current="true"]/text()') == ["Referrals"]
    # The save form carries the current filter.
    assert doc.xpath('//form[@id="save-filter-form"]//input[@name="step"]/@value') == ["accept_referral"]

    # Saving under the same name replaces it.
    b.post("/tasks/filters", {"name": "Referrals", "step": "set_goals"})
    assert clients(page(b.get(saved(page(b.get("/tasks")))["Referrals"]))) == ["Cecilia Castrén"]

    # Another user cannot delete it (and does not see it).
    with db_engine.connect() as conn:
        ids = dict(conn.execute(select(SavedFilter.name, SavedFilter.id)).all())
    other = browser("coach2")
    assert saved(page(other.get("/tasks"))) == {}
    assert other.post(f"/tasks/filters/{ids['Goals']}/delete").status_code == 404
    assert other.post("/tasks/filters/99999/delete").status_code == 404

    doc = page(b.get("/tasks?sort=created"))
    [action] = doc.xpath(f'//form[starts-with(@action, "/tasks/filters/{ids["Goals"]}/delete")]/@action')
    response = b.post(action)
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.headers["Location"]).query) == {"sort": ["created"]}
    doc = page(b.get("/tasks"))
    assert notices(doc, "success") == ["The saved filter was deleted."]
    assert list(saved(doc)) == ["Referrals"]
    assert b.post(f"/tasks/filters/{ids['Goals']}/delete").status_code == 404  # already gone


def test_a_filter_needs_a_name(browser, three_cases, db_engine):
    b = english(browser("coach1"))
    response = b.post("/tasks/filters", {"name": "  ", "step": "set_goals"})
    assert response.status_code == 400
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    summary = doc.get_element_by_id("error-summary")
    assert summary.get("role") == "alert"
    assert summary.xpath(".//a/@href") == ["#filter-name"]
    assert doc.get_element_by_id("filter-name-error") is not None
    assert "filter-name-error" in doc.get_element_by_id("filter-name").get("aria-describedby")
    # The page is still the inbox, with the filter being saved applied.
    assert clients(doc) == ["Cecilia Castrén"]
    with db_engine.connect() as conn:
        assert conn.execute(select(SavedFilter)).all() == []
