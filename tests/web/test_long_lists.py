"""Long lists (issue 10: fast at 100,000 cases): the inbox's, the case list's and the instance list's
count stops at a cap and says "more than", and paging still reaches every row; the inbox's step
filter offers the user's steps only, and its default order is read from an index instead of
sorting every matching task."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.orm import Session

from polku.engine import inbox, queries
from polku.engine.models import HumanTask, Instance
from polku.schema import upgrade
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


def test_the_default_order_is_read_from_the_index(tmp_path):
    """SQLite says whether it sorts ("USE TEMP B-TREE FOR ORDER BY"): the inbox's default order must
    match ix_human_tasks_inbox_due exactly, or every request sorts the whole queue."""
    engine = create_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    upgrade(engine)
    query = (select(HumanTask.id).join(Instance, Instance.id == HumanTask.instance_id)
             .where(HumanTask.state == "ready", Instance.status == "running")
             .order_by(*inbox.SORTS["due"](), HumanTask.id).limit(20))
    with Session(engine) as session:
        sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
        plan = " ".join(str(r[-1]) for r in session.execute(text("EXPLAIN QUERY PLAN " + sql)))
    engine.dispose()
    assert "ix_human_tasks_inbox_due" in plan
    assert "TEMP B-TREE" not in plan


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


def test_the_case_list_is_read_from_its_narrowest_condition(browser, three_cases, web_app):
    """SQLite keeps no statistics: left to itself, it read every case newest first through
    ix_instances_process_started to spare itself sorting the few an official, a coach or an identity
    code has (all 100,000 for an official's 650). Their own cases are read from the condition's index."""
    engine = web_app.extensions["polku"]["engine"]
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query planner")
    plans: list[str] = []

    def explain(conn, cursor, statement, params, context, executemany):
        if statement.startswith("SELECT") and "FROM instances" in statement:
            rows = conn.connection.driver_connection.execute("EXPLAIN QUERY PLAN " + statement, params)
            plans.append(" ".join(str(r[-1]) for r in rows))

    pages = [("off1", "/cases", "ix_referrals_official_instance"),
             ("off1", f"/cases?scope=area&q={CLIENTS[0][0]}", "ix_referrals_identity_code"),
             ("coach1", "/cases", "ix_instance_organisations_org")]
    for user, path, index in pages:
        b = english(browser(user))
        event.listen(engine, "before_cursor_execute", explain)
        try:
            doc = page(b.get(path))
        finally:
            event.remove(engine, "before_cursor_execute", explain)
        assert doc.xpath('//table[@id="case-table"]/tbody/tr'), path
        assert any(index in plan for plan in plans), (path, plans)
        assert not any("ix_instances_process_started" in plan for plan in plans), (path, plans)
        plans.clear()
