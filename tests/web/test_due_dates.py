"""The inbox with the process's own due dates (no row edited by hand): the due day, "overdue by
N business days", the due order and the overdue filter, at clocks moved with POLKU_NOW."""
from __future__ import annotations

from tests.scenarios.conftest import at
from tests.web.conftest import english
from tests.web.inbox_support import CLIENTS, clients, page, rows


def test_the_overdue_filter_follows_the_start_notice_deadline(browser, refer, monkeypatch):
    # accept_referral is due 5 business days after the referral (Epiphany, Tue 6 Jan, skipped).
    (aino_code, aino), (bertta_code, bertta) = CLIENTS[:2]
    refer(now=at("2026-01-05"), client_hetu=aino_code, client_name=aino)  # due Tue 13 January
    refer(now=at("2026-01-07"), client_hetu=bertta_code, client_name=bertta)  # due Wed 14 January
    b = english(browser("coach1"))

    monkeypatch.setenv("POLKU_NOW", at("2026-01-13", "21:30"))  # 23:30 on the 13th in Helsinki
    doc = page(b.get("/tasks"))
    table = rows(doc)
    assert [r["Client"] for r in table] == [aino, bertta]  # in due order
    assert [r["Due date"] for r in table] == ["Jan 13, 2026", "Jan 14, 2026"]
    assert doc.xpath(f'//tr[@id="task-{table[0]["id"]}"]//time/@datetime') == ["2026-01-13"]
    doc = page(b.get("/tasks?overdue=1"))
    assert "No tasks match these filters." in doc.get_element_by_id("empty-state").text_content()

    monkeypatch.setenv("POLKU_NOW", at("2026-01-13", "22:30"))  # past midnight in Helsinki
    [first, second] = rows(page(b.get("/tasks")))
    assert first["Due date"] == "Jan 13, 2026 Overdue by 1 business day"
    assert "Overdue" not in second["Due date"]
    assert clients(page(b.get("/tasks?overdue=1"))) == [aino]

    monkeypatch.setenv("POLKU_NOW", at("2026-01-19", "10:00"))  # Monday: 14, 15, 16 and 19 January
    [first, second] = rows(page(b.get("/tasks?overdue=1")))
    assert (first["Client"], second["Client"]) == (aino, bertta)
    assert first["Due date"].endswith("Overdue by 4 business days")
    assert second["Due date"].endswith("Overdue by 3 business days")


def test_a_weekly_review_is_overdue_after_the_sunday_of_its_week(browser, refer, monkeypatch):
    case = refer(now=at("2026-01-05"))
    case.accept(actual_start="2026-01-12")  # recorded on the start day: a future start is refused
    case.set_goals(now=at("2026-01-12"))
    b = english(browser("coach1"))

    monkeypatch.setenv("POLKU_NOW", at("2026-01-18", "21:00"))  # Sunday 23:00 in Helsinki
    [row] = rows(page(b.get("/tasks?step=weekly_review")))
    assert row["Due date"] == "Jan 18, 2026"
    assert rows(page(b.get("/tasks?step=weekly_review&overdue=1"))) == []

    monkeypatch.setenv("POLKU_NOW", at("2026-01-19", "08:00"))  # Monday of the next week
    [row] = rows(page(b.get("/tasks?step=weekly_review&overdue=1")))
    assert row["Due date"] == "Jan 18, 2026 Overdue by 1 business day"  # Monday counts, the Sunday not
