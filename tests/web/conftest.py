"""Web tests through the Flask test client, as a browser would use the app (HTTPS, cookies,
CSRF tokens taken from the page)."""
from __future__ import annotations

import re

import pytest

from polku.app import build_app as create_app
from polku.engine.accounts import hash_password
from tests.scenarios.conftest import AREA, OTHER_PROVIDER, PROVIDER, at, coaching, refer, referral  # noqa: F401
from tests.web.inbox_support import CLIENTS

BASE = "https://localhost"
PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def web_app(database_url):
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test-secret"})
    yield app
    app.extensions["polku"]["engine"].dispose()


class Browser:
    """A logged-in (or anonymous) user of the app."""

    def __init__(self, app):
        self.client = app.test_client()
        self.token = None

    def get(self, url, **kwargs):
        response = self.client.get(url, base_url=BASE, headers={"Referer": BASE + "/"}, **kwargs)
        match = _TOKEN.search(response.get_data(as_text=True))
        if match:
            self.token = match.group(1)
        return response

    def post(self, url, data=None, token=True, **kwargs):
        if token and self.token is None:
            self.get("/login")
        form = dict(data or {})
        if token:
            form.setdefault("csrf_token", self.token)
        return self.client.post(url, data=form, base_url=BASE, headers={"Referer": BASE + url}, **kwargs)

    def login(self, username, password=PASSWORD):
        self.get("/login")
        response = self.post("/login", {"username": username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[-500:]
        self.get("/tasks")
        return self


@pytest.fixture
def passwords(coaching, db_engine):
    """Every scenario user gets the password PASSWORD."""
    from sqlalchemy import update

    from polku.engine.models import User

    with db_engine.begin() as conn:
        conn.execute(update(User).values(password_hash=hash_password(PASSWORD)))
    return coaching


@pytest.fixture
def browser(web_app, passwords):
    def make(username: str | None = None) -> Browser:
        b = Browser(web_app)
        return b.login(username) if username else b

    return make


def english(b: Browser) -> Browser:
    """English UI: the msgids the assertions read (Finnish and Swedish come from the catalogs)."""
    assert b.post("/language", {"locale": "en", "next": "/tasks"}).status_code == 302
    return b


@pytest.fixture
def user(browser):
    """A logged-in browser using the English UI."""
    return lambda username: english(browser(username))


@pytest.fixture
def three_cases(refer):
    """Three referrals on three days; the last one accepted, so its task is now `set_goals`."""
    cases = [refer(now=at(f"2026-01-0{5 + i}"), client_hetu=hetu, client_name=name)
             for i, (hetu, name) in enumerate(CLIENTS)]
    cases[2].accept("2026-01-08", now=at("2026-01-08"))
    return cases
