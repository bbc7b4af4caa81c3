"""Issue 9 (6, 10): client data only for the roles that work on cases, the same on the web and
the CLI, and every read of it logged; a task outside one's reach reads as "not found"."""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.exc import OperationalError

from polku.engine import refusals
from polku.engine.models import AuditEvent
from tests.conftest import add_user
from tests.scenarios.conftest import AREA, OTHER_PROVIDER


def _views(db_engine) -> list[tuple]:
    with db_engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(AuditEvent.actor, AuditEvent.action, AuditEvent.instance_id)
                                               .where(or_(AuditEvent.action.like("view_%"),
                                                           AuditEvent.action == "show"))
                                               .order_by(AuditEvent.id))]


def test_cli_show_is_refused_to_designers_and_admins_and_logged_for_the_others(refer, coaching, db_engine):
    add_user(coaching, "admin1", "admin", org=AREA)
    case = refer()
    before = _views(db_engine)
    for user in ("designer1", "admin1", "coach2"):
        result = coaching.refused("show", case.id, "--as", user, "--json")
        assert result.json["code"] == "not_found" and "131052" not in result.stdout, user
    assert _views(db_engine) == before  # a refusal shows nothing, so no read is logged
    assert coaching.json("show", case.id, "--as", "boss")["data"]["client_hetu"] == "131052-308T"
    assert _views(db_engine)[len(before):] == [("boss", "show", case.id)]  # one read row


def _rows_of(db_engine, actor) -> list[tuple]:
    with db_engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(AuditEvent.action, AuditEvent.task_id, AuditEvent.details)
                                               .where(AuditEvent.actor == actor).order_by(AuditEvent.id))]


def test_a_designer_posting_to_a_task_page_learns_nothing_of_it(browser, refer, db_engine):
    case = refer()
    task = case.task("accept_referral", "coach1")
    designer = browser("designer1")
    before = len(_rows_of(db_engine, "designer1"))
    assert designer.post(f"/tasks/{task['id']}", {"actual_start": "2026-01-05"}).status_code == 404
    case.accept()
    assert designer.post(f"/tasks/{task['id']}", {"actual_start": "2026-01-05"}).status_code == 404
    # Each attempt is a `refused` row (refusals are logged), the same before and after the task was done.
    first, second = _rows_of(db_engine, "designer1")[before:]
    assert first == second and first[0] == "refused" and first[1] == task["id"]


def test_a_manager_sees_the_identity_code_masked_on_the_case_page(browser, refer):
    case = refer()
    assert "131052-308T" in browser("off1").get(f"/cases/{case.id}").get_data(as_text=True)
    page = browser("boss").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "131052-308T" not in page and "131052-****" in page


def _refusals(db_engine) -> list[tuple]:
    with db_engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(AuditEvent.actor, AuditEvent.role, AuditEvent.organisation, AuditEvent.origin,
                   AuditEvent.instance_id, AuditEvent.details)
            .where(AuditEvent.action == "refused").order_by(AuditEvent.id))]


def test_a_refused_cli_read_is_logged_and_in_the_clients_access_log(refer, coaching, db_engine):
    case = refer()
    coaching.refused("show", case.id, "--as", "designer1")
    coaching.refused("show", case.id, "--as", "coach2", "--json")  # another provider's coach
    coaching.refused("show", 99999, "--as", "designer1")  # no such case
    coaching.refused("show", case.id, "--as", "nobody")  # no such user: nobody to record
    coaching.refused("audit", "client", "131052-308T", "--as", "off1")  # the export is for admins
    show = {"command": "show", "status": "forbidden", "instances": [case.id]}
    assert _refusals(db_engine) == [
        ("designer1", "designer", AREA, "cli", None, show),
        ("coach2", "coach", OTHER_PROVIDER, "cli", None, show),
        ("designer1", "designer", AREA, "cli", None, {"command": "show", "status": "not_found", "instances": [99999]}),
        ("off1", "official", AREA, "cli", None,
         {"command": "audit client", "status": "forbidden", "instances": [case.id]}),
    ]
    exported = coaching("audit", "client", "131052-308T").json  # the person's access log lists them
    assert [(e["actor"], e["role"], e["origin"], e["cases"]) for e in exported["events"] if e["action"] == "refused"] \
        == [(u, r, "cli", [case.id]) for u, r in (("designer1", "designer"), ("coach2", "coach"), ("off1", "official"))]
    assert coaching.json("audit", "verify")["ok"]


def test_a_refused_cli_read_is_answered_when_its_row_cannot_be_written(refer, coaching, db_engine, monkeypatch):
    case = refer()

    def broken(*_args, **_kwargs):
        raise OperationalError("INSERT INTO audit_events", {}, Exception("disk full"))

    monkeypatch.setattr(refusals.audit, "record", broken)
    result = coaching.refused("show", case.id, "--as", "designer1", "--json")
    assert result.json["code"] == "not_found" and _refusals(db_engine) == []
