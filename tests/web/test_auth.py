"""Login, lockout, sessions, CSRF, security headers and production settings."""
from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from polku.app import build_app as create_app
from polku.cli import main
from polku.engine.models import AuditEvent, User
from tests.web.conftest import PASSWORD, Browser

PROTECTED = [
    ("get", "/"), ("get", "/tasks"), ("get", "/tasks/some-task"), ("post", "/tasks/some-task/claim"),
    ("post", "/tasks/some-task/unclaim"), ("post", "/tasks/filters"), ("post", "/tasks/filters/1/delete"),
    ("get", "/referrals/new"), ("post", "/referrals/new"), ("get", "/cases"), ("get", "/cases/1"),
    ("get", "/cases/1/statement"), ("post", "/logout"),
]


@pytest.mark.parametrize(("method", "url"), PROTECTED)
def test_every_page_but_login_needs_a_logged_in_user(web_app, passwords, method, url):
    anonymous = Browser(web_app)
    anonymous.get("/login")
    response = anonymous.get(url) if method == "get" else anonymous.post(url, {})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_the_login_page_and_health_check_are_public(web_app):
    client = Browser(web_app)
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").status_code == 200


def _try(web_app, username, password):
    b = Browser(web_app)
    b.get("/login")
    return b.post("/login", {"username": username, "password": password})


def test_wrong_password_and_unknown_user_get_the_same_generic_error(web_app, passwords):
    wrong = _try(web_app, "off1", "not the password")
    unknown = _try(web_app, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "error-summary" in wrong.get_data(as_text=True)

    def text(response):
        return response.get_data(as_text=True).split('id="error-summary"')[1].split("</div>")[0]

    assert text(wrong) == text(unknown)


def test_five_failures_lock_the_account_for_five_minutes(web_app, passwords, monkeypatch, db_engine):
    monkeypatch.setenv("POLKU_NOW", "2026-01-05T09:00:00+00:00")
    for _ in range(5):
        assert _try(web_app, "off1", "wrong password").status_code == 401
    assert _try(web_app, "off1", PASSWORD).status_code == 401  # locked, the right password notwithstanding
    monkeypatch.setenv("POLKU_NOW", "2026-01-05T09:05:01+00:00")
    assert _try(web_app, "off1", PASSWORD).status_code == 302
    with db_engine.connect() as conn:
        actions = conn.scalars(select(AuditEvent.action).where(AuditEvent.actor == "off1")).all()
    assert actions.count("login_failed") == 5 and "login_locked" in actions and actions[-1] == "login"


def test_session_cookie_flags_and_rotation_at_login(web_app, passwords):
    b = Browser(web_app)
    b.get("/login")
    before = b.client.get_cookie("polku_session").value
    response = b.post("/login", {"username": "off1", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    after = b.client.get_cookie("polku_session").value
    assert after != before


def test_logout_needs_a_post_with_a_csrf_token(browser):
    b = browser("off1")
    assert b.get("/logout").status_code == 405
    assert b.post("/logout", {}, token=False).status_code == 400  # no token: refused, still logged in
    assert b.get("/tasks").status_code == 200
    assert b.post("/logout", {}).status_code == 302
    assert b.get("/tasks").status_code == 302


def test_a_post_without_csrf_token_is_refused(browser, refer):
    case = refer()
    task = case.task("accept_referral", "coach1")
    response = browser("coach1").post(f"/tasks/{task['id']}", {"actual_start": "2026-01-12"}, token=False)
    assert response.status_code == 400
    assert case.ready() == ["accept_referral"]


def test_security_headers_on_every_page(web_app):
    response = Browser(web_app).get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    html = response.get_data(as_text=True)
    # Scripts only as files served by the app itself (the CSP forbids inline ones), no inline styles.
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == ['<script src="/static/keep-form.js" defer>'] and "style=" not in html
    script = Browser(web_app).get("/static/keep-form.js")
    assert script.status_code == 200 and script.mimetype in ("text/javascript", "application/javascript")
    script.close()


def test_production_refuses_the_default_secret(database_url, monkeypatch):
    monkeypatch.setenv("POLKU_ENV", "production")
    monkeypatch.delenv("POLKU_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="secret key"):
        create_app({"DATABASE_URL": database_url})
    monkeypatch.setenv("POLKU_SECRET_KEY", "a-real-secret-from-the-environment")
    app = create_app({"DATABASE_URL": database_url})
    assert app.config["SECRET_KEY"] == "a-real-secret-from-the-environment"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    app.extensions["polku"]["engine"].dispose()


def test_user_add_reads_the_password_from_stdin(polku, database_url, web_app):
    runner = CliRunner()
    env = {"POLKU_DATABASE_URL": database_url}
    short = runner.invoke(main, ["user", "add", "virpi", "--role", "official", "--org", "Area", "--password-stdin"],
                          input="short\n", env=env)
    assert short.exit_code == 1 and "at least 10 characters" in short.stderr
    ok = runner.invoke(main, ["user", "add", "virpi", "--role", "official", "--org", "Area", "--password-stdin"],
                       input="a long enough secret\n", env=env)
    assert ok.exit_code == 0, ok.stderr
    b = Browser(web_app)
    b.get("/login")
    assert b.post("/login", {"username": "virpi", "password": "a long enough secret"}).status_code == 302


def test_demo_prints_each_demo_users_password(polku, db_engine):
    out = polku("demo").stdout
    assert "virkailija1-demo" in out and "valmentaja1-demo" in out
    with db_engine.connect() as conn:
        assert conn.scalar(select(User.password_hash).where(User.username == "virkailija1"))
