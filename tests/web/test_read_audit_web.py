"""The web app's read-audit writer (engine.read_audit, issue 12): a page's read is in the access
log as soon as the page is answered."""
from __future__ import annotations

from sqlalchemy import select

from polku.engine.models import AuditEvent


def test_a_case_page_read_goes_through_the_writer_and_is_in_the_access_log_at_once(browser, refer, db_engine,
                                                                                   web_app):
    writer = web_app.extensions["polku"]["read_audit"]
    if db_engine.dialect.name != "sqlite":
        assert writer is None  # auto: SQLite only (PostgreSQL measured no better, issue 12)
        return
    case = refer()
    b = browser("off1")  # logged in (the inbox's read row is written already)
    before = writer.rows
    b.get(f"/cases/{case.id}")
    assert writer.rows > before  # the case page's read went through the writer
    with db_engine.connect() as conn:
        assert conn.execute(select(AuditEvent.actor).where(AuditEvent.action == "view_case",
                                                           AuditEvent.instance_id == case.id)).scalars().all() == [
            "off1"]
    log = browser("boss").get(f"/cases/{case.id}/access-log").get_data(as_text=True)
    assert "off1" in log
