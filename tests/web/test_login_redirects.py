"""Issue 9, finding 1: the target after login (and after a language change) never leaves the site,
however the `next` parameter is spelled."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.web.conftest import PASSWORD, Browser

INBOX = "/tasks"
EVIL = [
    "/\t/evil.example",  # the reported one: Werkzeug strips the tab, leaving //evil.example
    "/%09/evil.example",  # the same, still encoded once more
    "/%2509/evil.example",  # ... and twice
    "/\n/evil.example", "/\r\n/evil.example", "/ /evil.example", "/\x00/evil.example",
    "/\\evil.example", "\\\\evil.example", "/%5Cevil.example", "/%5C%5Cevil.example", "/\\/evil.example",
    "//evil.example", "///evil.example", "/%2F/evil.example", "/%2f%2fevil.example", "/%252F/evil.example",
    "https://evil.example", "HTTPS://evil.example/", "http:/evil.example", "http:evil.example",
    "//evil.example/%2e%2e", "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x",
    "evil.example", " /tasks", "/./\\evil.example", "/../evil.example", "/.%2e/evil.example",
    "/\u3000/evil.example", "/\u2028/evil.example",
]


def _login_to(web_app, target: str, address: str = "10.1.0.1"):
    b = Browser(web_app)
    b.get("/login")
    return b.post("/login?next=" + quote(target, safe=""), {"username": "off1", "password": PASSWORD},
                  environ_base={"REMOTE_ADDR": address})


@pytest.mark.parametrize("target", EVIL)
def test_login_never_redirects_off_the_site(web_app, passwords, target):
    response = _login_to(web_app, target)
    assert_stays_on_the_site(response, target)


def assert_stays_on_the_site(response, target: str) -> None:
    """To the inbox; a target with a NUL is refused before any route (web.input_check): 400, no redirect."""
    if "\x00" in target:
        assert response.status_code == 400 and "Location" not in response.headers
        return
    assert response.status_code == 302
    assert response.headers["Location"] == INBOX


@pytest.mark.parametrize("target", EVIL)
def test_the_language_switch_never_redirects_off_the_site(web_app, target):
    response = Browser(web_app).post("/language", {"locale": "sv", "next": target})
    assert_stays_on_the_site(response, target)


def test_the_reported_open_redirect_ends_in_the_inbox(web_app, passwords):
    b = Browser(web_app)
    first = b.get("/%09/evil.example")  # anonymous: sent to log in, with where it was going
    assert first.status_code == 302 and first.headers["Location"].startswith("/login?next=")
    b.get(first.headers["Location"])
    response = b.post(first.headers["Location"], {"username": "off1", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == INBOX


@pytest.mark.parametrize("target", ["/cases?q=Virtanen%20Matti&status=open", "/cases/12", "/tasks?page=2"])
def test_a_local_target_is_kept(web_app, passwords, target):
    assert _login_to(web_app, target).headers["Location"] == target


def test_the_language_switch_may_return_to_the_login_page(web_app):
    target = "/login?next=%2Fcases%2F12"
    assert Browser(web_app).post("/language", {"locale": "sv", "next": target}).headers["Location"] == target
