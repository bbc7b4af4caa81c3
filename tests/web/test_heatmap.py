"""Where cases stand (kpis.md, the heat map): running cases per element now and the median days in
each user task completed in the range, on the diagram and in a table; managers (their organisation's
cases) and admins; aggregates only."""
from __future__ import annotations

from tests.scenarios.conftest import AREA, at
from tests.web.conftest import english
from tests.web.test_cases import text
from tests.web.test_instance_detail import NS, _svg, staff


def _badges(response) -> dict[str, tuple[str | None, str | None]]:
    svg = _svg(response)
    found = {}
    for g in svg.xpath("//s:g[@data-element-id]", namespaces=NS):
        count = g.xpath(".//s:g[@data-count]/@data-count", namespaces=NS)
        days = g.xpath(".//s:g[@data-duration]/@data-duration", namespaces=NS)
        if count or days:
            found[g.get("data-element-id")] = (count[0] if count else None, days[0] if days else None)
    return found


def test_waiting_cases_and_median_days_per_step(browser, refer):
    waiting = [refer(client_hetu=code) for code in ("131052-308T", "010594Y9021", "020505A902P")]
    # Two accepted on their start day (the task was created at T0, 2026-01-05): 7 days in it.
    waiting[0].accept()
    waiting[1].accept()
    response = english(browser("boss")).get("/heatmap?from=2026-01-01&to=2026-01-31")
    assert response.status_code == 200
    badges = _badges(response)
    assert badges["accept_referral"] == ("1", "7 d")  # one still waits there; two took 7 days each
    assert badges["set_goals"][0] == "2"
    page = text(response)
    assert "3 cases are waiting." in page
    assert "Waiting now" in page and "Median time in the task" in page
    # Out of the range: no median, the counts (now) stay.
    later = _badges(english(browser("boss")).get("/heatmap?from=2026-02-01&to=2026-02-28"))
    assert later["accept_referral"] == ("1", None)


def test_ended_cases_do_not_wait_and_another_area_sees_none(browser, refer, coaching, db_engine):
    ended = refer()
    coaching("terminate", ended.id, "--as", "boss", "--reason", "moved away", now=at("2026-01-06"))
    assert "0 cases are waiting." in text(english(browser("boss")).get("/heatmap"))
    refer(client_hetu="010594Y9021")
    staff(coaching, db_engine, "boss9", "manager", "Other area")
    assert "0 cases are waiting." in text(english(browser("boss9")).get("/heatmap"))
    assert "1 case is waiting." in text(english(browser("boss")).get("/heatmap"))


def test_for_managers_and_admins_only_and_in_finnish_and_swedish(browser, refer, coaching, db_engine):
    refer()
    for who in ("off1", "coach1", "designer1"):
        assert browser(who).get("/heatmap").status_code == 404
    staff(coaching, db_engine, "admin1", "admin", AREA)
    assert "1 case is waiting." in text(english(browser("admin1")).get("/heatmap"))
    boss = browser("boss")
    assert "Missä asiat ovat" in text(boss.get("/heatmap"))
    boss.post("/language", {"locale": "sv", "next": "/tasks"})
    assert "Var ärendena står" in text(boss.get("/heatmap"))
    assert boss.get("/heatmap?process=nothing").status_code == 404
