"""The administrator's sessions page (issue 9, "an admin's end all sessions"): the users and their
live sessions, ending one user's, ending everyone's (the administrator's own too); 404 and nothing
ended for anyone else."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from polku.engine.models import AuditEvent
from tests.web.conftest import PASSWORD, Browser, english
from tests.web.test_sessions import _copy


@pytest.fixture
def admin(browser, make_user, polku):
    make_user("admin1", "admin", name="Aino Ylläpitäjä")
    polku("user", "set-password", "admin1", "--password-stdin", input=PASSWORD + "\n")
    return english(browser("admin1"))


def _ends(db_engine) -> list[tuple[str, str, int]]:
    with db_engine.connect() as conn:
        rows = conn.execute(select(AuditEvent.actor, AuditEvent.details)
                            .where(AuditEvent.action == "end_sessions").order_by(AuditEvent.id)).all()
    return [(actor, details["username"], details["ended"]) for actor, details in rows
            if details["reason"] == "end_sessions"]  # not the fixture's set-password


def _row(page: str, username: str) -> str:
    """The table row of `username` (its cells up to the next row)."""
    start = page.index(f"<td data-label=\"Username\">{username}</td>")
    return page[start:page.index("</tr>", start)]


def test_the_page_lists_users_with_their_live_sessions(admin, browser):
    browser("off1"), browser("off1")
    page = admin.get("/admin/sessions").get_data(as_text=True)
    assert "<h1>Users' sessions</h1>" in page and "Aino Ylläpitäjä (you)" in page
    off1, coach = _row(page, "off1"), _row(page, "coach1")
    assert 'data-label="Live sessions">2<' in off1 and "End sessions" in off1 and "Official" in off1
    assert "<time datetime=" in off1
    assert 'data-label="Live sessions">0<' in coach and "End sessions" not in coach  # nothing to end
    assert 'data-label="Roles">Administrator<' in _row(page, "admin1")
    assert 'href="/admin/sessions" aria-current="page"' in page  # in the navigation, for admins


def test_an_administrator_ends_one_users_sessions(admin, browser, web_app, db_engine):
    official, elsewhere, colleague = browser("off1"), browser("off1"), browser("off2")
    saved = _copy(web_app, official)  # a copy of the cookie, as someone who saved it would have
    response = admin.post("/admin/sessions/end", {"username": "off1"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/sessions"
    assert "off1 was logged out of every browser (sessions ended: 2)." in admin.get("/admin/sessions").get_data(
        as_text=True)
    for cookie in (official, elsewhere, saved):
        refused = cookie.get("/tasks")
        assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    assert colleague.get("/tasks").status_code == 200 and admin.get("/tasks").status_code == 200
    assert _ends(db_engine) == [("admin1", "off1", 2)]
    assert Browser(web_app).login("off1")  # the password still works


@pytest.mark.parametrize("username", ["off1", "boss", "designer1", "coach1"])
def test_anyone_else_gets_404_and_nothing_ends(admin, browser, username, db_engine):
    victim, user = browser("off2"), browser(username)
    assert user.get("/admin/sessions").status_code == 404
    assert user.post("/admin/sessions/end", {"username": "off2"}).status_code == 404
    assert user.post("/admin/sessions/end-all", {"confirm": "yes"}).status_code == 404
    assert 'href="/admin/sessions"' not in user.get("/tasks").get_data(as_text=True)  # no link either
    assert victim.get("/tasks").status_code == 200 and admin.get("/tasks").status_code == 200
    assert _ends(db_engine) == []


def test_ending_everyones_sessions_needs_the_box_ticked_and_logs_the_administrator_out(admin, browser, web_app,
                                                                                      db_engine):
    others = [browser("off1"), browser("off2"), browser("coach1")]
    unticked = admin.post("/admin/sessions/end-all", {})
    assert unticked.status_code == 400
    assert "Tick the box to confirm. No session was ended." in unticked.get_data(as_text=True)
    assert all(b.get("/tasks").status_code == 200 for b in [*others, admin]) and _ends(db_engine) == []

    response = admin.post("/admin/sessions/end-all", {"confirm": "yes"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    login = admin.get("/login")
    assert login.status_code == 200 and "Every session was ended (4), yours too." in login.get_data(as_text=True)
    for b in [*others, admin]:
        assert b.get("/tasks").status_code == 302
    assert _ends(db_engine) == [("admin1", "*", 4)]
    assert Browser(web_app).login("admin1").get("/admin/sessions").status_code == 200


def test_an_administrator_who_ends_their_own_sessions_is_logged_out(admin, browser):
    other_browser = browser("admin1")
    response = admin.post("/admin/sessions/end", {"username": "admin1"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "You ended your own sessions" in admin.get("/login").get_data(as_text=True)
    assert admin.get("/admin/sessions").status_code == other_browser.get("/tasks").status_code == 302


def test_without_the_forms_token_nothing_ends(admin, browser, db_engine):
    official = browser("off1")
    assert admin.post("/admin/sessions/end", {"username": "off1"}, token=False).status_code == 400
    assert admin.post("/admin/sessions/end-all", {"confirm": "yes"}, token=False).status_code == 400
    assert official.get("/tasks").status_code == 200 and _ends(db_engine) == []


def test_an_unknown_user_is_404(admin, db_engine):
    assert admin.post("/admin/sessions/end", {"username": "nobody-at-all"}).status_code == 404
    assert _ends(db_engine) == []


def test_the_page_in_finnish_and_swedish(admin):
    for locale, words in (("fi", ("Käyttäjien istunnot", "Päätä kaikki istunnot", "Pääkäyttäjä")),
                          ("sv", ("Användarnas sessioner", "Avsluta alla sessioner", "Administratör"))):
        admin.post("/language", {"locale": locale, "next": "/admin/sessions"})
        page = admin.get("/admin/sessions").get_data(as_text=True)
        assert all(word in page for word in words), locale
