"""The inbox (GET /tasks): who sees which tasks, claiming, filters, sorting, paging, overdue
marking and saved filters, through the Flask test client as a browser would use them."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from polku.engine.accounts import hash_password
from polku.engine.models import HumanTask, SavedFilter, User
from tests.conftest import SAMPLE
from tests.scenarios.conftest import PROVIDER, at
from tests.web.conftest import PASSWORD, english
from tests.web.inbox_support import CLIENTS, clients, notices, page, rows

MATTI = "Matti Meikäläinen"
ACCEPT_FI = "Vastaanota ohjaus ja tee aloitusilmoitus"  # the BPMN's own (Finnish) name
ACCEPT_EN = "Accept the referral and send the start notification"  # processes/translations/en.json


def task_row(db_engine, task_id) -> HumanTask:
    from sqlalchemy.orm import Session

    with Session(db_engine) as session:
        return session.get(HumanTask, task_id)


@pytest.fixture
def coach3(coaching, make_user, db_engine):
    """A second coach of the same provider as coach1 (a colleague who could take the same tasks)."""
    make_user("coach3", "coach", org=PROVIDER, kind="provider")
    with db_engine.begin() as conn:
        conn.execute(update(User).where(User.username == "coach3").values(password_hash=hash_password(PASSWORD)))
    return "coach3"


# --- access -------------------------------------------------------------------------------

def test_login_required(browser):
    response = browser().get("/tasks")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert browser().get("/").status_code == 302


def test_coach_sees_the_referral_task(browser, refer):
    refer()
    doc = page(english(browser("coach1")).get("/tasks"))
    [row] = rows(doc)
    assert row["Client"] == MATTI
    assert row["href"] == f"/tasks/{row['id']}"
    assert row["Process step"] == ACCEPT_EN
    # accept_referral is due by the start-notice limit: 5 business days from Mon 5 Jan (6 Jan is a holiday).
    assert row["Due date"].startswith("Jan 13, 2026")
    assert row["Assignee"] == "Unclaimed"
    assert row["forms"] == [f"/tasks/{row['id']}/claim"]
    assert "Page 1 of 1" in doc.text_content()
    assert doc.get_element_by_id("results-heading").text_content().strip() == "1 task"
    # "/" is the same page.
    assert clients(page(browser("coach1").get("/"))) == [MATTI]


def test_other_provider_and_officials_do_not_see_coach_tasks(browser, refer):
    refer()
    for user in ("coach2", "off1"):
        doc = page(english(browser(user)).get("/tasks"))
        assert rows(doc) == []
        assert not doc.xpath('//table[@id="inbox-table"]')
        assert "You have no tasks right now" in doc.get_element_by_id("empty-state").text_content()
        assert MATTI not in doc.text_content()


# --- claim and unclaim --------------------------------------------------------------------

def test_claim_and_unclaim(browser, refer, db_engine):
    refer()
    b = english(browser("coach1"))
    [row] = rows(page(b.get("/tasks")))

    response = b.post(f"/tasks/{row['id']}/claim")
    assert response.status_code == 302 and response.headers["Location"] == "/tasks"
    doc = page(b.get("/tasks"))
    assert notices(doc, "success") == ["You claimed the task. It is now assigned to you."]
    [row] = rows(doc)
    assert row["Assignee"] == "You"
    assert row["forms"] == [f"/tasks/{row['id']}/unclaim"]
    assert task_row(db_engine, row["id"]).assignee == "coach1"
    assert clients(page(b.get("/tasks?scope=mine"))) == [MATTI]
    assert clients(page(b.get("/tasks?scope=groups"))) == []

    response = b.post(f"/tasks/{row['id']}/unclaim")
    assert response.status_code == 302
    doc = page(b.get("/tasks"))
    assert notices(doc, "success") == ["You released the task. It is back in the group's queue."]
    [row] = rows(doc)
    assert row["Assignee"] == "Unclaimed"
    assert task_row(db_engine, row["id"]).assignee is None


def test_claim_keeps_the_filters(browser, refer):
    refer()
    b = browser("coach1")
    [row] = rows(page(b.get("/tasks?sort=created&step=accept_referral&page=1")))
    assert row["forms"] == [f"/tasks/{row['id']}/claim?step=accept_referral&sort=created"]
    response = b.post(row["forms"][0])
    target = urlsplit(response.headers["Location"])
    assert target.path == "/tasks"
    assert parse_qs(target.query) == {"step": ["accept_referral"], "sort": ["created"]}


def test_claiming_a_task_already_claimed_by_someone_else_warns(browser, refer, coach3, db_engine):
    refer()
    colleague = english(browser("coach3"))
    [row] = rows(page(colleague.get("/tasks")))  # both coaches see the unclaimed task
    assert browser("coach1").post(f"/tasks/{row['id']}/claim").status_code == 302

    response = colleague.post(f"/tasks/{row['id']}/claim")  # from the page loaded before
    assert response.status_code == 302
    doc = page(colleague.get("/tasks"))
    [warning] = notices(doc, "warning")
    assert warning == "The task could not be claimed: someone else claimed or handled it first."
    assert rows(doc) == []  # it is coach1's now
    assert task_row(db_engine, row["id"]).assignee == "coach1"

    # Claiming one's own task again is a conflict too, not an error page.
    me = english(browser("coach1"))
    assert me.post(f"/tasks/{row['id']}/claim").status_code == 302
    assert notices(page(me.get("/tasks")), "warning")[0] == "The task is already yours."
    # So is releasing someone else's (a coach is not a manager): not visible to them → 404.
    assert colleague.post(f"/tasks/{row['id']}/unclaim").status_code == 404


def test_tasks_one_may_not_see_are_not_found(browser, refer, db_engine):
    refer()
    [row] = rows(page(browser("coach1").get("/tasks")))
    other = browser("coach2")
    assert other.post(f"/tasks/{row['id']}/claim").status_code == 404
    assert other.post("/tasks/no-such-task/claim").status_code == 404
    assert other.post("/tasks/no-such-task/unclaim").status_code == 404
    assert task_row(db_engine, row["id"]).assignee is None


# --- filters, sorting, paging -------------------------------------------------------------

def test_step_and_scope_filters(browser, three_cases):
    b = english(browser("coach1"))
    doc = page(b.get("/tasks"))
    assert sorted(clients(doc)) == sorted(name for _, name in CLIENTS)
    options = doc.xpath('//select[@id="step"]/option/@value')
    assert options == ["", "accept_referral", "set_goals"]

    doc = page(b.get("/tasks?step=set_goals"))
    assert clients(doc) == ["Cecilia Castrén"]
    assert doc.xpath('//select[@id="step"]/option[@selected]/@value') == ["set_goals"]
    assert sorted(clients(page(b.get("/tasks?step=accept_referral")))) == ["Aino Aaltonen", "Bertta Berg"]

    [bertta] = [r for r in rows(page(b.get("/tasks"))) if r["Client"] == "Bertta Berg"]
    b.post(bertta["forms"][0])
    assert clients(page(b.get("/tasks?scope=mine"))) == ["Bertta Berg"]
    assert sorted(clients(page(b.get("/tasks?scope=groups")))) == ["Aino Aaltonen", "Cecilia Castrén"]
    doc = page(b.get("/tasks?scope=mine&step=set_goals"))
    assert rows(doc) == []
    assert doc.get_element_by_id("empty-state") is not None
    # Unknown values fall back to the defaults instead of failing.
    assert len(rows(page(b.get("/tasks?scope=everyone&sort=name&page=x&overdue=maybe")))) == 3


def test_sorting(browser, three_cases, db_engine):
    # The coaching process sets no priorities, and its due dates fall close together: give the rows some.
    ids = {name: case for (_, name), case in zip(CLIENTS, three_cases)}
    with db_engine.begin() as conn:
        for name, priority, due in [("Aino Aaltonen", 10, "2026-01-20"), ("Bertta Berg", 90, None),
                                    ("Cecilia Castrén", 50, "2026-01-15")]:
            conn.execute(update(HumanTask).where(HumanTask.instance_id == ids[name].id, HumanTask.state == "ready")
                         .values(priority=priority,
                                 due_at=datetime.fromisoformat(f"{due}T12:00:00+00:00") if due else None))
    b = english(browser("coach1"))
    assert clients(page(b.get("/tasks"))) == ["Cecilia Castrén", "Aino Aaltonen", "Bertta Berg"]  # due, none last
    assert clients(page(b.get("/tasks?sort=due"))) == ["Cecilia Castrén", "Aino Aaltonen", "Bertta Berg"]
    assert clients(page(b.get("/tasks?sort=priority"))) == ["Bertta Berg", "Cecilia Castrén", "Aino Aaltonen"]
    doc = page(b.get("/tasks?sort=created"))
    assert clients(doc) == ["Aino Aaltonen", "Bertta Berg", "Cecilia Castrén"]
    assert doc.xpath('//select[@id="sort"]/option[@selected]/@value') == ["created"]
    assert [r["Priority"] for r in rows(doc)] == ["10", "90", "50"]


def test_paging_keeps_the_filter(browser, three_cases, web_app):
    web_app.config["INBOX_PAGE_SIZE"] = 2
    b = english(browser("coach1"))
    doc = page(b.get("/tasks?sort=created"))
    assert clients(doc) == ["Aino Aaltonen", "Bertta Berg"]
    nav = doc.get_element_by_id("pagination")
    assert "Page 1 of 2" in nav.text_content()
    assert not nav.xpath('.//a[@rel="prev"]')
    [next_link] = nav.xpath('.//a[@rel="next"]/@href')
    assert parse_qs(urlsplit(next_link).query) == {"sort": ["created"], "page": ["2"]}
    assert doc.get_element_by_id("results-heading").text_content().strip() == "3 tasks"

    doc = page(b.get(next_link))
    assert clients(doc) == ["Cecilia Castrén"]
    nav = doc.get_element_by_id("pagination")
    assert "Page 2 of 2" in nav.text_content()
    assert not nav.xpath('.//a[@rel="next"]')
    [prev_link] = nav.xpath('.//a[@rel="prev"]/@href')
    assert parse_qs(urlsplit(prev_link).query) == {"sort": ["created"], "page": ["1"]}
    # The claim form on page 2 comes back to page 2.
    [row] = rows(doc)
    assert parse_qs(urlsplit(row["forms"][0]).query) == {"sort": ["created"], "page": ["2"]}

    # Past the end (tasks handled meanwhile): the last page.
    assert "Page 2 of 2" in page(b.get("/tasks?sort=created&page=99")).text_content()
    assert "Page 1 of 1" in page(b.get("/tasks?step=accept_referral&page=5")).text_content()


# --- overdue ------------------------------------------------------------------------------

@pytest.fixture
def reviews(coaching):
    """Two sample cases for off1: `review` is due 2 days after it was created (camunda:dueDate P2D)."""
    coaching("deploy", SAMPLE, "--as", "designer1")
    early = coaching.json("start", "sample_case", "--as", "off1", now=at("2026-01-05"))["id"]  # due Wed 7 Jan
    late = coaching.json("start", "sample_case", "--as", "off1", now=at("2026-01-12"))["id"]  # due Wed 14 Jan
    return early, late


def test_overdue_marking_and_filter(browser, reviews, monkeypatch):
    early, late = reviews
    b = english(browser("off1"))

    monkeypatch.setenv("POLKU_NOW", at("2026-01-12", "10:00"))  # Monday
    doc = page(b.get("/tasks"))
    table = rows(doc)
    assert [r["Client"] for r in table] == [f"Case {early}", f"Case {late}"]
    # Thu 8, Fri 9 and Mon 12 January: three business days (6 January, Epiphany, was before the due date).
    assert table[0]["Due date"].endswith("Overdue by 3 business days")
    assert "Overdue" not in table[1]["Due date"]
    [badge] = doc.xpath('//span[contains(concat(" ", @class, " "), " overdue ")]')
    assert badge.text_content().strip() == "Overdue by 3 business days"
    assert doc.xpath(f'//tr[@id="task-{table[1]["id"]}"]//time/@datetime') == ["2026-01-14"]
    assert table[0]["Priority"] == "50"
    assert table[0]["Age"] == "7 days" and table[1]["Age"] == "0 days"

    doc = page(b.get("/tasks?overdue=1"))
    assert clients(doc) == [f"Case {early}"]
    assert doc.xpath('//input[@id="overdue"]/@checked')

    monkeypatch.setenv("POLKU_NOW", at("2026-01-07", "08:00"))  # before the first due time
    doc = page(b.get("/tasks"))
    assert "Overdue" not in doc.get_element_by_id("inbox-table").text_content()
    doc = page(b.get("/tasks?overdue=1"))
    assert "No tasks match these filters." in doc.get_element_by_id("empty-state").text_content()

    monkeypatch.setenv("POLKU_NOW", at("2026-01-07", "10:00"))  # the due day itself, after the due time
    [first, _second] = rows(page(b.get("/tasks")))
    assert first["Due date"].endswith("Overdue")


# --- CSRF ---------------------------------------------------------------------------------

def test_posts_without_the_csrf_token_are_refused(browser, refer, db_engine):
    refer()
    b = browser("coach1")
    [row] = rows(page(b.get("/tasks")))
    assert b.post(f"/tasks/{row['id']}/claim", token=False).status_code == 400
    assert task_row(db_engine, row["id"]).assignee is None
    assert b.post("/tasks/filters", {"name": "x"}, token=False).status_code == 400
    with db_engine.connect() as conn:
        assert conn.execute(select(SavedFilter)).all() == []
    b.post("/tasks/filters", {"name": "x"})
    with db_engine.connect() as conn:
        [filter_id] = conn.execute(select(SavedFilter.id)).scalars().all()
    assert b.post(f"/tasks/filters/{filter_id}/delete", token=False).status_code == 400
    b.post(f"/tasks/{row['id']}/claim")
    assert b.post(f"/tasks/{row['id']}/unclaim", token=False).status_code == 400
    assert task_row(db_engine, row["id"]).assignee == "coach1"


# --- structure and language ---------------------------------------------------------------

def test_page_structure_in_the_default_language(browser, refer):
    refer()
    response = browser("coach1").get("/tasks")
    doc = page(response)
    assert doc.get("lang") == "fi"  # Finnish by default
    assert doc.xpath("//title/text()")[0].strip()
    assert len(doc.xpath("//h1")) == 1
    # The list comes before the saved filters: on a phone the first task is on the first screen.
    assert [h.get("id") for h in doc.xpath("//h2")] == ["results-heading", "saved-filters-heading"]
    table = doc.get_element_by_id("inbox-table")
    assert table.xpath("./caption")
    assert len(table.xpath("./thead/tr/th[@scope='col']")) == 7
    assert table.xpath("./tbody/tr/th[@scope='row']")
    # Every control of the filter form is labelled; it is a GET form with a submit button.
    form = doc.get_element_by_id("filter-form")
    assert form.get("method") == "get"
    for control in form.xpath(".//select|.//input"):
        assert doc.xpath(f'//label[@for="{control.get("id")}"]'), control.get("id")
    assert form.xpath('.//button[@type="submit"]')
    assert doc.xpath('//label[@for="filter-name"]')
    # Every POST form carries the CSRF token; nothing inline (the CSP forbids it).
    for post in doc.xpath('//form[@method="post"]'):
        assert post.xpath('./input[@name="csrf_token"]'), post.get("action")
    html = response.get_data(as_text=True)
    assert "<script>" not in html and "style=" not in html  # scripts only from files (keep-form.js)
    # The UI is Finnish, and BPMN labels are the process's own Finnish names.
    assert doc.xpath("//h1/text()") == ["Tehtävät"]
    assert rows(doc)[0]["Prosessin vaihe"] == ACCEPT_FI


def test_language_switch(browser, refer):
    refer()
    b = browser("coach1")
    assert page(b.get("/tasks")).get("lang") == "fi"
    response = b.post("/language", {"locale": "en", "next": "/tasks?sort=created"})
    assert response.headers["Location"] == "/tasks?sort=created"
    doc = page(b.get("/tasks"))
    assert doc.get("lang") == "en"
    assert rows(doc)[0]["Process step"] == ACCEPT_EN
    assert doc.xpath("//h1/text()") == ["Tasks"]
    b.post("/language", {"locale": "sv", "next": "/tasks"})
    assert page(b.get("/tasks")).get("lang") == "sv"
