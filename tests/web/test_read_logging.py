"""R12: every read of a client's data is logged; client data only for those who work on cases."""
from __future__ import annotations

from sqlalchemy import func, select

from polku.engine.models import AuditEvent


def _count(db_engine, action):
    with db_engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


def test_opening_a_task_page_logs_who_saw_the_case(browser, refer, db_engine):
    case = refer()
    coach = browser("coach1")
    task = case.task("accept_referral", "coach1")
    assert coach.get(f"/tasks/{task['id']}").status_code == 200
    with db_engine.connect() as conn:
        row = conn.execute(select(AuditEvent.actor, AuditEvent.instance_id, AuditEvent.task_id)
                           .where(AuditEvent.action == "view_task")).one()
    assert tuple(row) == ("coach1", case.id, task["id"])


def test_a_designer_of_the_same_area_does_not_see_client_data(browser, refer, db_engine):
    case = refer()
    designer = browser("designer1")
    before = _count(db_engine, "view_case")
    assert designer.get(f"/cases/{case.id}").status_code == 404
    assert "Matti" not in designer.get("/cases").get_data(as_text=True)
    assert _count(db_engine, "view_case") == before
