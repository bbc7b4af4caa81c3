"""Notices are inbox items: an official's and a manager's notices, raised by a case driven through
the CLI, are listed (fi, sv) with the case, the kind and the date until acknowledged; the count is
in the navigation; the list is a logged read of client data; refusals are clear."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from polku.domain.models import Notice
from polku.engine.accounts import hash_password
from polku.engine.models import AuditEvent, User
from tests.conftest import add_user
from tests.scenarios.conftest import at
from tests.web.conftest import PASSWORD, english

_ITEM = re.compile(r'<li class="notice-item" id="notice-(\d+)">')
_COUNT = re.compile(r'<span class="badge nav-count">.*?(\d+)</span>', re.S)


def started(refer, **referral):
    case = refer(**referral)
    case.accept()
    case.set_goals()
    return case


@pytest.fixture
def official_notice(refer):
    """A case whose first week flags another service need: a notice to the official."""
    case = started(refer)
    case.week("2026-01-16", other_service_need=True)
    return case


@pytest.fixture
def manager_notice(refer):
    """A case with a week without meetings: a notice to the manager."""
    case = started(refer, client_hetu="010594Y9021", client_name="Bertta Berg")
    case.week("2026-01-16", meetings=0)
    return case


def in_language(b, lang: str):
    assert b.post("/language", {"locale": lang, "next": "/notices"}).status_code == 302
    return b


def listed(b) -> list[int]:
    response = b.get("/notices")
    assert response.status_code == 200
    return [int(i) for i in _ITEM.findall(response.get_data(as_text=True))]


def nav_count(b) -> int | None:
    found = _COUNT.search(b.get("/tasks").get_data(as_text=True))
    return int(found.group(1)) if found else None


def notices(db_engine, instance_id: int) -> list[Notice]:
    with db_engine.connect() as conn:
        return conn.execute(select(Notice).where(Notice.instance_id == instance_id).order_by(Notice.id)).all()


def audit_rows(db_engine, action: str) -> list:
    with db_engine.connect() as conn:
        return conn.execute(select(AuditEvent.actor, AuditEvent.instance_id, AuditEvent.details)
                            .where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


@pytest.mark.parametrize(("lang", "kind"), [
    ("fi", "Asiakas tarvitsee muuta palvelua"),
    ("sv", "Kunden behöver en annan tjänst"),
])
def test_the_officials_notice_is_listed_with_the_case_the_kind_and_the_date(browser, official_notice, lang, kind):
    b = in_language(browser("off1"), lang)
    response = b.get("/notices")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'href="/cases/{official_notice.id}">Matti Meikäläinen</a>' in page
    assert kind in page
    # The day it was raised, in the user's language's date format.
    [shown] = re.findall(r'<time datetime="2026-01-16">([^<]+)</time>', page)
    assert "16" in shown and "2026" in shown
    assert len(listed(b)) == 1


def test_the_managers_notice_of_a_week_without_meetings(browser, manager_notice):
    boss = english(browser("boss"))
    page = boss.get("/notices").get_data(as_text=True)
    assert "A week without a meeting" in page and "week 3 (Jan 12, 2026 – Jan 18, 2026)" in page  # the calendar week
    assert f'href="/cases/{manager_notice.id}"' in page
    # Addressed to the manager: not in an official's list, nor counted for them.
    off1 = browser("off1")
    assert listed(off1) == [] and nav_count(off1) is None


def test_the_count_is_in_the_navigation_and_the_inbox_links_to_the_list(browser, official_notice, manager_notice):
    off1 = english(browser("off1"))
    page = off1.get("/tasks").get_data(as_text=True)
    assert nav_count(off1) == 1
    assert 'href="/notices"' in page and "1 notice to acknowledge" in page
    assert nav_count(browser("boss")) == 1
    # A coach has a list too (deadline reminders, unrecorded weeks), but none of these notices is theirs.
    coach_page = browser("coach1").get("/tasks").get_data(as_text=True)
    assert 'href="/notices"' in coach_page and "nav-count" not in coach_page


def test_acknowledging_records_who_and_when_writes_an_audit_row_and_the_notice_leaves_the_list(
        browser, official_notice, db_engine, monkeypatch):
    monkeypatch.setenv("POLKU_NOW", at("2026-01-19", "08:30"))
    off1 = english(browser("off1"))
    [notice_id] = listed(off1)
    response = off1.post(f"/notices/{notice_id}/acknowledge")
    assert response.status_code == 302 and response.headers["Location"].endswith("/notices")
    page = off1.get("/notices").get_data(as_text=True)
    assert "The notice was acknowledged." in page and "No notices to acknowledge." in page
    assert listed(off1) == [] and nav_count(off1) is None
    [row] = notices(db_engine, official_notice.id)
    assert (row.acknowledged_by, row.acknowledged_at.isoformat()) == ("off1", "2026-01-19T08:30:00+00:00")
    [event] = audit_rows(db_engine, "acknowledge_notice")
    assert (event.actor, event.instance_id, event.details) == \
        ("off1", official_notice.id, {"notice": notice_id, "kind": "other_service"})
    # Acknowledged for the other officials of the area too.
    assert listed(browser("off2")) == []


def test_acknowledging_twice_is_refused_with_409(browser, official_notice, db_engine):
    off1, off2 = english(browser("off1")), english(browser("off2"))
    [notice_id] = listed(off1)
    assert off1.post(f"/notices/{notice_id}/acknowledge").status_code == 302
    again = off2.post(f"/notices/{notice_id}/acknowledge")
    assert again.status_code == 409
    assert "This notice was already acknowledged." in again.get_data(as_text=True)
    as_json = off1.client.post(f"/notices/{notice_id}/acknowledge", data={"csrf_token": off1.token},
                               base_url="https://localhost", headers={"Accept": "application/json",
                                                                      "Referer": "https://localhost/notices"})
    assert (as_json.status_code, as_json.json["reason"]) == (409, "acknowledged")
    [row] = notices(db_engine, official_notice.id)
    assert row.acknowledged_by == "off1"
    assert len(audit_rows(db_engine, "acknowledge_notice")) == 1


def test_someone_elses_or_no_notice_is_not_found_and_nothing_changes(browser, official_notice, manager_notice,
                                                                     db_engine):
    [to_official] = notices(db_engine, official_notice.id)
    [to_manager] = [n for n in notices(db_engine, manager_notice.id) if n.kind == "week_without_meeting"]
    off1, boss, coach = browser("off1"), browser("boss"), browser("coach1")
    assert boss.post(f"/notices/{to_official.id}/acknowledge").status_code == 404
    assert off1.post(f"/notices/{to_manager.id}/acknowledge").status_code == 404
    assert coach.post(f"/notices/{to_official.id}/acknowledge").status_code == 404
    assert off1.post("/notices/99999/acknowledge").status_code == 404
    assert off1.post(f"/notices/{to_official.id}/acknowledge", token=False).status_code == 400  # no CSRF token
    assert off1.get(f"/notices/{to_official.id}/acknowledge").status_code == 405
    assert all(n.acknowledged_at is None for n in (*notices(db_engine, official_notice.id),
                                                   *notices(db_engine, manager_notice.id)))
    assert audit_rows(db_engine, "acknowledge_notice") == []


def test_another_areas_official_sees_nothing_and_cannot_acknowledge(browser, official_notice, coaching, db_engine):
    add_user(coaching, "far", "official", org="Espoon työllisyysalue")
    with db_engine.begin() as conn:
        conn.execute(update(User).where(User.username == "far").values(password_hash=hash_password(PASSWORD)))
    far = browser("far")
    page = far.get("/notices").get_data(as_text=True)
    assert "Matti" not in page and listed(far) == [] and nav_count(far) is None
    [notice] = notices(db_engine, official_notice.id)
    assert far.post(f"/notices/{notice.id}/acknowledge").status_code == 404
    assert audit_rows(db_engine, "list_notices") == []  # nothing shown: no client data used


def test_the_list_is_a_logged_read_naming_the_cases_and_an_empty_one_is_not(browser, official_notice, db_engine):
    off1 = english(browser("off1"))
    [notice_id] = listed(off1)
    [row] = audit_rows(db_engine, "list_notices")
    assert (row.actor, row.instance_id, row.details) == \
        ("off1", None, {"instances": [official_notice.id], "notices": [notice_id]})
    assert off1.post(f"/notices/{notice_id}/acknowledge").status_code == 302
    before = len(audit_rows(db_engine, "list_notices"))
    assert listed(off1) == []
    assert len(audit_rows(db_engine, "list_notices")) == before
    # The read is in the case's access log, for its manager.
    log = english(browser("boss")).get(f"/cases/{official_notice.id}/access-log").get_data(as_text=True)
    assert "Saw the case in the list of notices" in log


def test_a_silent_week_reaches_the_manager_and_its_coach_in_their_lists(browser, refer):
    """The silent-week timer (domain.weeks) notifies the manager and reminds the case's coach; the
    coach of another provider never sees it, and the coach's acknowledgement is their own."""
    case = started(refer)
    case.polku("worker", "--once", now=at("2026-01-19", "08:00"))  # week 3 (12-18 January) ended unrecorded
    for username in ("boss", "coach1"):
        b = english(browser(username))
        page = b.get("/notices").get_data(as_text=True)
        assert "A week ended with no weekly review" in page and "week 3 (Jan 12, 2026 – Jan 18, 2026)" in page
        assert nav_count(b) == 1
    coach2 = browser("coach2")
    assert listed(coach2) == [] and nav_count(coach2) is None
    coach1 = browser("coach1")
    [mine] = listed(coach1)
    assert coach1.post(f"/notices/{mine}/acknowledge").status_code == 302
    assert listed(coach1) == [] and len(listed(browser("boss"))) == 1
    assert coach2.post(f"/notices/{mine}/acknowledge").status_code == 404


def test_the_task_pages_case_panel_names_each_notices_recipient_and_week(manager_notice, user):
    """The panel beside a task lists the case's notices as the case's history does, to whom and for
    which week: a notice to the manager and one to the coach, or one a week, no longer read alike."""
    task = manager_notice.task("weekly_review", "coach1")
    page = user("coach1").get(f"/tasks/{task['id']}").get_data(as_text=True)
    panel = re.sub(r"\s+", " ", page[page.index("Latest notices"):])
    assert re.search(r"<li>Notice to manager: A week without a meeting \(week \d+ \([^)]+\)\)", panel), panel[:600]
