"""Issue 9, finding 3 and "Authentication and sessions": a login is a server-side session that
logout, a new password and an administrator's end-sessions end, and that runs out when idle or old.
Also the development server's secret (finding 10)."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from polku.app import build_app
from polku.cli import main
from polku.engine.models import AuditEvent
from tests.web.conftest import Browser

T = "2026-01-05T09:{:02d}:00+00:00"


def _copy(web_app, b: Browser) -> Browser:
    """Another browser holding a copy of `b`'s session cookie (as an attacker who saved it would)."""
    thief = Browser(web_app)
    thief.client.set_cookie("polku_session", b.client.get_cookie("polku_session").value, domain="localhost")
    return thief


def _actions(db_engine, actor=None) -> list[str]:
    query = select(AuditEvent.action).order_by(AuditEvent.id)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    with db_engine.connect() as conn:
        return list(conn.scalars(query))


def test_a_cookie_saved_before_logout_is_refused_after_it(web_app, browser, refer, db_engine):
    case = refer()
    b = browser("off1")
    page = f"/cases/{case.id}"
    saved = _copy(web_app, b)
    assert saved.get(page).status_code == 200  # the copy works while the session lives
    assert b.post("/logout", {}).status_code == 302
    refused = saved.get(page)
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    assert _copy(web_app, b).get("/tasks").status_code == 302
    actions = _actions(db_engine, "off1")
    assert "login" in actions and actions[-1] == "logout"


def test_a_new_password_ends_every_session_of_the_user(web_app, browser, polku, db_engine):
    first, second, other = browser("off1"), browser("off1"), browser("off2")
    result = CliRunner().invoke(main, ["user", "set-password", "off1", "--password-stdin"],
                                input="a brand new password\n", env={"POLKU_DATABASE_URL": polku.database_url})
    assert result.exit_code == 0, result.stderr
    assert first.get("/tasks").status_code == second.get("/tasks").status_code == 302
    assert other.get("/tasks").status_code == 200  # someone else's session is not touched
    assert Browser(web_app).login("off1", "a brand new password")


def test_an_administrator_ends_one_users_or_everyones_sessions(web_app, browser, polku, make_user, db_engine):
    make_user("admin1", "admin")
    off1, off2, coach = browser("off1"), browser("off2"), browser("coach1")
    refused = polku.refused("user", "end-sessions", "off1", "--as", "off2")
    assert "administrator" in refused.stderr and off1.get("/tasks").status_code == 200
    assert polku.json("user", "end-sessions", "off1", "--as", "admin1") == {"ended": 1}
    assert off1.get("/tasks").status_code == 302 and off2.get("/tasks").status_code == 200
    assert "2 session(s) ended" in polku("user", "end-sessions", "--all").stdout
    assert off2.get("/tasks").status_code == coach.get("/tasks").status_code == 302
    assert polku("user", "end-sessions", ok=False).exit_code == 2  # a user or --all
    with db_engine.connect() as conn:
        ends = conn.execute(select(AuditEvent.actor, AuditEvent.details)
                            .where(AuditEvent.action == "end_sessions")).all()
    assert [(actor, details["username"], details["ended"]) for actor, details in ends] == [
        ("admin1", "off1", 1), ("system", "*", 2)]


def test_a_session_ends_after_the_idle_timeout(web_app, browser, monkeypatch, db_engine):
    monkeypatch.setenv("POLKU_NOW", T.format(0))
    b = browser("off1")
    for minute in (20, 40, 59):  # each request keeps it alive for another half hour
        monkeypatch.setenv("POLKU_NOW", T.format(minute))
        assert b.get("/tasks").status_code == 200, minute
    monkeypatch.setenv("POLKU_NOW", "2026-01-05T10:29:30+00:00")  # 30 min 30 s idle
    response = b.get("/tasks")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert _actions(db_engine, "off1")[-1] == "session_ended"


def test_a_session_ends_at_the_absolute_timeout_however_busy(database_url, passwords, monkeypatch):
    app = build_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test-secret",
                     "SESSION_IDLE_TIMEOUT": 600, "SESSION_ABSOLUTE_TIMEOUT": 3600})
    try:
        monkeypatch.setenv("POLKU_NOW", T.format(0))
        b = Browser(app).login("off1")
        for minute in range(5, 60, 5):
            monkeypatch.setenv("POLKU_NOW", T.format(minute))
            assert b.get("/tasks").status_code == 200, minute
        monkeypatch.setenv("POLKU_NOW", "2026-01-05T10:00:00+00:00")
        assert b.get("/tasks").status_code == 302
    finally:
        app.extensions["polku"]["engine"].dispose()


def test_the_session_cookie_holds_no_username(browser):
    b = browser("off1")
    from flask.sessions import SecureCookieSessionInterface

    app = b.client.application
    data = SecureCookieSessionInterface().get_signing_serializer(app).loads(
        b.client.get_cookie("polku_session").value)
    assert "user" not in data and "off1" not in str(data) and len(data["sid"]) >= 40


def test_development_secret_is_random_per_database(database_url, monkeypatch, tmp_path, passwords):
    monkeypatch.delenv("POLKU_SECRET_KEY", raising=False)
    monkeypatch.delenv("POLKU_ENV", raising=False)
    apps = [build_app({"DATABASE_URL": database_url}) for _ in range(2)]
    elsewhere = build_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'unmigrated.db'}"})
    try:
        keys = [a.config["SECRET_KEY"] for a in (*apps, elsewhere)]
        assert keys[0] == keys[1] and len(keys[0]) == 64  # every process on one database agrees
        assert keys[2] != keys[0] and "polku-development" not in "".join(keys)
        # A session made by one process opens pages in the other.
        first = Browser(apps[0]).login("off1")
        second = Browser(apps[1])
        second.client.set_cookie("polku_session", first.client.get_cookie("polku_session").value, domain="localhost")
        assert second.get("/tasks").status_code == 200
    finally:
        for a in (*apps, elsewhere):
            a.extensions["polku"]["engine"].dispose()


def test_production_still_needs_a_secret_key(database_url, monkeypatch):
    monkeypatch.setenv("POLKU_ENV", "production")
    monkeypatch.delenv("POLKU_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="POLKU_SECRET_KEY"):
        build_app({"DATABASE_URL": database_url})
