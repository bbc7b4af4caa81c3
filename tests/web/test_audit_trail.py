"""Issue 9: reads of client data on the web are audit rows, written where the data is rendered
(the inbox lists client names), with the reader's role, organisation and address; refused
requests for client data are rows too, and land in the person's access log."""
from __future__ import annotations

from sqlalchemy import select

from polku.engine.models import AuditEvent
from tests.scenarios.conftest import HETU


def _rows(db_engine, action=None) -> list:
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    with db_engine.connect() as conn:
        return conn.execute(query).all()


def test_the_inbox_rows_name_clients_so_each_inbox_read_is_logged(browser, refer, db_engine):
    case = refer()
    coach = browser("coach1")
    assert "Matti" in coach.get("/tasks").get_data(as_text=True)
    row = _rows(db_engine, "list_tasks")[-1]
    assert (row.actor, row.role, row.details) == ("coach1", "coach", {"instances": [case.id]})
    assert row.organisation and row.origin == "127.0.0.1"


def test_an_inbox_without_client_rows_writes_nothing(browser, refer, db_engine):
    refer()
    designer = browser("designer1")
    before = len(_rows(db_engine))
    assert designer.get("/tasks").status_code == 200
    assert len(_rows(db_engine)) == before


def test_a_refused_case_page_is_logged_and_reaches_the_clients_access_log(browser, refer, db_engine):
    case = refer()
    designer = browser("designer1")
    assert designer.get(f"/cases/{case.id}").status_code == 404
    row = _rows(db_engine, "refused")[-1]
    assert (row.actor, row.role, row.instance_id) == ("designer1", "designer", None)
    assert row.details == {"method": "GET", "endpoint": "cases.show", "status": 404, "instances": [case.id]}
    exported = case.polku("audit", "client", HETU).json
    assert ("designer1", "refused") in {(e["actor"], e["action"]) for e in exported["events"]}


def test_an_unknown_page_or_an_anonymous_request_is_not_a_refusal(browser, refer, db_engine):
    refer()
    before = len(_rows(db_engine))
    assert browser("coach1").get("/no-such-page").status_code == 404
    assert browser().get("/cases/1").status_code == 302  # to the login page
    assert {r.action for r in _rows(db_engine)[before:]} == {"login", "list_tasks"}  # the login, its inbox


def test_the_trail_written_by_web_reads_verifies(browser, refer, db_engine):
    case = refer()
    coach = browser("coach1")
    coach.get("/tasks")
    coach.get(f"/cases/{case.id}")
    browser("designer1").get(f"/cases/{case.id}")
    result = case.polku("audit", "verify", "--json")
    assert result.json["ok"] and result.json["rows"] == len(_rows(db_engine))
