"""The device cookie is bound to the password it was earned with (issue 9, "Authentication and
sessions"): a browser that logged in before a password change no longer escapes the lock, until it
logs in with the new password."""
from __future__ import annotations

from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from polku.engine.models import AuditEvent
from tests.web.conftest import PASSWORD, Browser
from tests.web.test_login_throttle import OFFICE, _at, _try

NEW_PASSWORD = "a brand new password"


def _lock(web_app, username: str, address: str) -> None:
    """Five wrong passwords from a stranger's browser: the username is locked for strangers."""
    for _ in range(5):
        assert _try(web_app, username, "guess guess guess", address).status_code == 401
    assert _try(web_app, username, "guess guess guess", address).status_code == 401


def _locked_out(db_engine, username: str) -> int:
    with db_engine.connect() as conn:
        return len(conn.scalars(select(AuditEvent.id).where(AuditEvent.actor == username,
                                                            AuditEvent.action == "login_locked")).all())


def test_a_new_password_takes_the_old_browsers_exemption_away(web_app, passwords, polku, monkeypatch, db_engine):
    _at(monkeypatch, 0)
    official = Browser(web_app)
    assert _try(web_app, "off1", PASSWORD, OFFICE, official).status_code == 302
    official.post("/logout", {})
    old_cookie = official.client.get_cookie("polku_device").value
    _lock(web_app, "off1", "203.0.113.1")
    assert _try(web_app, "off1", PASSWORD, OFFICE, official).status_code == 302  # exempt: a known browser
    official.post("/logout", {})

    _at(monkeypatch, 1)
    polku("user", "set-password", "off1", "--password-stdin", input=NEW_PASSWORD + "\n")
    _lock(web_app, "off1", "203.0.113.2")
    before = _locked_out(db_engine, "off1")
    # The same browser, the same cookie, even the right new password: locked like any stranger.
    assert official.client.get_cookie("polku_device").value == old_cookie
    assert _try(web_app, "off1", NEW_PASSWORD, OFFICE, official).status_code == 401
    assert _locked_out(db_engine, "off1") == before + 1

    _at(monkeypatch, 7)  # the lock has run out: a login with the new password earns a fresh entry
    assert _try(web_app, "off1", NEW_PASSWORD, OFFICE, official).status_code == 302
    assert official.client.get_cookie("polku_device").value != old_cookie
    official.post("/logout", {})
    _lock(web_app, "off1", "203.0.113.3")
    assert _try(web_app, "off1", NEW_PASSWORD, OFFICE, official).status_code == 302  # exempt again
    assert official.get("/tasks").status_code == 200


def test_other_users_of_a_shared_browser_keep_their_exemption(web_app, passwords, polku, monkeypatch):
    _at(monkeypatch, 0)
    shared = Browser(web_app)
    for username in ("off1", "off2"):
        assert _try(web_app, username, PASSWORD, OFFICE, shared).status_code == 302
        shared.post("/logout", {})
    polku("user", "set-password", "off1", "--password-stdin", input=NEW_PASSWORD + "\n")
    for username, address in (("off1", "203.0.113.4"), ("off2", "203.0.113.5")):
        _lock(web_app, username, address)
    assert _try(web_app, "off1", NEW_PASSWORD, OFFICE, shared).status_code == 401
    assert _try(web_app, "off2", PASSWORD, OFFICE, shared).status_code == 302


def test_a_cookie_of_the_earlier_form_exempts_nobody(web_app, passwords, monkeypatch):
    """Before this change an entry was a bare username, good whatever the password became."""
    _at(monkeypatch, 0)
    _lock(web_app, "off1", "203.0.113.6")
    earlier = Browser(web_app)
    earlier.client.set_cookie("polku_device", URLSafeSerializer("test-secret", salt="polku-device").dumps(["off1"]),
                              domain="localhost")
    assert _try(web_app, "off1", PASSWORD, OFFICE, earlier).status_code == 401
