"""Long lists (issue 10: fast at 100,000 cases): the inbox's, the case list's and the instance list's
count stops at a cap and says "more than", and paging still reaches every row; the inbox's step
filter offers the user's steps only, and it reads the user's candidate tasks (their own and their
organisation's queues) instead of testing every ready task."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import event

from polku.domain.caselist import CaseSearch, case_list
from polku.engine import inbox, queries, users
from polku.engine.clock import FixedClock
from polku.engine.db import UnitOfWork, make_engine
from polku.schema import upgrade
from tests.scenarios.conftest import at
from tests.web.conftest import english
from tests.web.inbox_support import CLIENTS, clients, page


def test_a_queue_longer_than_the_cap_says_more_than_and_pages_on(browser, three_cases, web_app, monkeypatch):
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    web_app.config["INBOX_PAGE_SIZE"] = 1
    b = english(browser("coach1"))
    doc = page(b.get("/tasks?sort=created"))
    assert doc.get_element_by_id("results-heading").text_content().strip() == "More than 2 tasks"
    nav = doc.get_element_by_id("pagination")
    assert "Page 1 of more than 2" in nav.text_content()
    assert nav.xpath('.//a[@rel="next"]')
    seen = clients(doc)
    for number in (2, 3):  # each page counts one past itself: the next link is there while a task is
        doc = page(b.get(f"/tasks?sort=created&page={number}"))
        seen += clients(doc)
    assert seen == ["Aino Aaltonen", "Bertta Berg", "Cecilia Castrén"]
    nav = doc.get_element_by_id("pagination")
    assert "Page 3 of 3" in nav.text_content()
    assert not nav.xpath('.//a[@rel="next"]')
    assert doc.get_element_by_id("results-heading").text_content().strip() == "3 tasks"


def test_the_cap_is_not_reached_by_a_short_queue(browser, three_cases):
    doc = page(english(browser("coach1")).get("/tasks"))
    assert doc.get_element_by_id("results-heading").text_content().strip() == "3 tasks"
    assert "more than" not in doc.get_element_by_id("pagination").text_content()


def test_the_step_filter_offers_only_the_users_steps(browser, three_cases):
    """The officials' step (none open now) and the coaches' steps: an official is offered none of
    the coach's; a coach of another provider is offered the coaches' steps, and choosing one shows
    nothing of this provider's."""
    coach = page(english(browser("coach1")).get("/tasks"))
    assert coach.xpath('//select[@id="step"]/option/@value') == ["", "accept_referral", "set_goals"]
    official = page(english(browser("off1")).get("/tasks"))
    assert official.xpath('//select[@id="step"]/option/@value') == [""]
    other = english(browser("coach2"))
    assert page(other.get("/tasks")).xpath('//select[@id="step"]/option/@value') == ["", "accept_referral",
                                                                                     "set_goals"]
    assert clients(page(other.get("/tasks?step=set_goals"))) == []


def test_the_inbox_reads_the_users_candidates_first(tmp_path):
    """SQLite, which keeps no statistics, says where each of the inbox's statements starts: from the
    user's assigned tasks and their organisation's queues, never by walking the ready tasks (in due
    order, ix_human_tasks_inbox_due, and testing each: all 18,000 of them at 100,000 cases)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    upgrade(engine)
    statements = []
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, sql, params, context, many: statements.append((sql, params)))
    with UnitOfWork(engine, FixedClock(datetime(2026, 1, 5, tzinfo=timezone.utc))) as uow:
        users.add_user(uow, "system", "coach", ["coach", "official"], "Provider", "provider")
        for choice in ({"scope": "all"}, {"scope": "mine"}, {"scope": "groups"}, {"step": "set_goals"},
                       {"overdue": True}, {"sort": "priority"}, {"sort": "created"}, {"page": 3}):
            statements.clear()
            inbox.inbox(uow, "coach", **choice)
            listing = [(sql, params) for sql, params in statements if "candidates" in sql]
            assert len(listing) == 2, choice  # the count and the page
            for sql, params in listing:
                plan = " ".join(str(r[-1]) for r in uow.session.connection().exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + sql, params))
                assert "SCAN human_tasks" not in plan and "inbox_due" not in plan, (choice, plan)
                assert "work_queue" in plan or choice == {"scope": "mine"}, (choice, plan)
    engine.dispose()


def test_the_case_list_says_more_than_and_pages_on(browser, three_cases, monkeypatch):
    monkeypatch.setattr(queries, "COUNT_CAP", 1)
    monkeypatch.setattr("polku.domain.caselist.PAGE_SIZE", 1)
    b = english(browser("coach1"))
    doc = page(b.get("/cases"))
    assert doc.get_element_by_id("results-heading").text_content().strip() == "More than 1 cases"
    assert "Page 1 of more than 1" in doc.get_element_by_id("pagination").text_content()
    seen = [doc.xpath('//table[@id="case-table"]/tbody/tr/th')[0].text_content().split()[0]]
    for number in (2, 3):
        doc = page(b.get(f"/cases?page={number}"))
        seen += [th.text_content().split()[0] for th in doc.xpath('//table[@id="case-table"]/tbody/tr/th')]
    assert sorted(seen) == ["Aino", "Bertta", "Cecilia"]
    nav = doc.get_element_by_id("pagination")
    assert "Page 3 of 3" in nav.text_content() and not nav.xpath('.//a[@rel="next"]')
    assert doc.get_element_by_id("results-heading").text_content().strip() == "3 cases"


def test_the_case_list_is_read_from_its_narrowest_condition(tmp_path):
    """SQLite keeps no statistics: left to itself, it read every case newest first through
    ix_instances_process_started to spare itself sorting the few an official, a coach or an identity
    code has (all 100,000 for an official's 650). Their own cases are read from the condition's index.
    Asked of SQLite whichever database the suite runs on (its plans do not depend on the rows)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    upgrade(engine)
    plans: list[str] = []

    def explain(conn, cursor, statement, params, context, executemany):
        if statement.startswith("SELECT") and "FROM instances" in statement:
            rows = conn.connection.driver_connection.execute("EXPLAIN QUERY PLAN " + statement, params)
            plans.append(" ".join(str(r[-1]) for r in rows))

    searches = [("off1", CaseSearch(scope="mine"), "ix_referrals_official_instance"),
                ("off1", CaseSearch(scope="area", text=CLIENTS[0][0]), "ix_referrals_identity_code"),
                ("coach1", CaseSearch(), "ix_instance_organisations_org")]
    with UnitOfWork(engine, FixedClock(datetime(2026, 1, 5, tzinfo=timezone.utc))) as uow:
        users.add_user(uow, "system", "off1", ["official"], "Area", "area")
        users.add_user(uow, "system", "coach1", ["coach"], "Provider", "provider")
        for user, search, index in searches:
            event.listen(engine, "before_cursor_execute", explain)
            try:
                case_list(uow, user, search)
            finally:
                event.remove(engine, "before_cursor_execute", explain)
            assert any(index in plan for plan in plans), (search, plans)
            assert not any("ix_instances_process_started" in plan for plan in plans), (search, plans)
            plans.clear()
    engine.dispose()


def test_a_name_search_pages_on_past_the_cap_and_a_page_past_the_end_is_the_last(browser, refer, monkeypatch):
    """A search reads the count and the page in one ordered read within the cap (caselist.page_ids),
    and apart past it: both give the same pages."""
    for i, (hetu, first) in enumerate([(CLIENTS[0][0], "Aino"), (CLIENTS[1][0], "Bertta"), (CLIENTS[2][0], "Cecilia")]):
        refer(now=at(f"2026-01-0{5 + i}"), client_hetu=hetu, client_name=f"{first} Virtanen")
    refer(now=at("2026-01-09"), client_hetu="020505F903R", client_name="Veli Lahtinen")  # not found
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    monkeypatch.setattr("polku.domain.caselist.PAGE_SIZE", 1)
    b = english(browser("off1"))

    def shown(number: int) -> tuple[list[str], str, str]:
        doc = page(b.get(f"/cases?q=virtanen&page={number}"))
        return ([th.text_content().split()[0] for th in doc.xpath('//table[@id="case-table"]/tbody/tr/th')],
                doc.get_element_by_id("results-heading").text_content().strip(),
                doc.get_element_by_id("pagination").text_content())
    first, second, third = shown(1), shown(2), shown(3)  # pages 1 and 2 within the cap; 3 past it
    assert (first[0], first[1]) == (["Cecilia"], "More than 2 cases") and "Page 1 of more than 2" in first[2]
    assert second[0] == ["Bertta"] and second[1] == "More than 2 cases"
    assert (third[0], third[1]) == (["Aino"], "3 cases") and "Page 3 of 3" in third[2]
    monkeypatch.setattr(queries, "COUNT_CAP", 10)
    monkeypatch.setattr("polku.domain.caselist.PAGE_SIZE", 2)
    last = shown(9)  # within the cap, whole: the last page
    assert (last[0], last[1]) == (["Aino"], "3 cases") and "Page 2 of 2" in last[2]
