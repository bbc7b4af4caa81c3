"""Issue 12: a database that goes away while the app runs gives a localized 503 page with
Retry-After (JSON for API paths), rendered without the database; never Werkzeug's bare 500."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from polku.engine.db import is_unavailable, make_engine
from polku.engine.services import HandlerFailed, transient
from tests.web.conftest import BASE, english

UNREACHABLE = {
    "postgresql-closed-port": "postgresql+psycopg://postgres@127.0.0.1:1/polku?connect_timeout=2",
    "sqlite-unopenable": "sqlite:////nonexistent-polku-dir/gone/polku.db",
}
MESSAGES = {
    "en": "The service is temporarily unavailable. Nothing you entered was saved. Try again in a moment.",
    "fi": "Palvelu ei ole juuri nyt käytettävissä. Mitään syöttämääsi ei tallennettu. Yritä hetken kuluttua uudelleen.",
    "sv": "Tjänsten är tillfälligt otillgänglig. Inget av det du angav sparades. Försök igen om en stund.",
}


def _database_goes_away(app, which: str) -> None:
    ext = app.extensions["polku"]
    ext["engine"].dispose()
    ext["engine"] = create_engine(UNREACHABLE[which])


@pytest.mark.parametrize("which", list(UNREACHABLE))
def test_a_logged_in_user_gets_a_localized_503(browser, web_app, which):
    b = browser("off1")  # Finnish, the default
    _database_goes_away(web_app, which)
    response = b.get("/tasks")
    page = response.get_data(as_text=True)
    assert response.status_code == 503, page[-500:]
    assert response.headers["Retry-After"].isdigit()
    assert MESSAGES["fi"] in page and '<html lang="fi">' in page


@pytest.mark.parametrize("locale", ["en", "sv"])
def test_the_language_comes_from_the_session(browser, web_app, locale):
    b = english(browser("off1"))
    if locale != "en":
        assert b.post("/language", {"locale": locale, "next": "/tasks"}).status_code == 302
    _database_goes_away(web_app, "sqlite-unopenable")
    response = b.get("/cases")
    assert response.status_code == 503 and MESSAGES[locale] in response.get_data(as_text=True)


def test_a_login_posted_while_away_is_503_in_the_browsers_language(browser, web_app):
    b = browser()
    b.get("/login")
    _database_goes_away(web_app, "sqlite-unopenable")
    response = b.client.post("/login", data={"username": "off1", "password": "x", "csrf_token": b.token},
                             base_url=BASE, headers={"Referer": BASE + "/login", "Accept-Language": "sv"})
    assert response.status_code == 503 and MESSAGES["sv"] in response.get_data(as_text=True)


@pytest.mark.parametrize("which", list(UNREACHABLE))
def test_api_paths_get_a_json_503(web_app, coaching, which):
    _database_goes_away(web_app, which)
    response = web_app.test_client().get("/engine-rest/deployment", base_url=BASE,
                                         headers={"Authorization": "Basic ZGVzaWduZXIxOng="})
    assert response.status_code == 503 and response.headers["Retry-After"].isdigit()
    assert response.json["code"] == "unavailable"


def test_a_json_client_gets_json(browser, web_app):
    b = browser("off1")
    _database_goes_away(web_app, "sqlite-unopenable")
    response = b.client.get("/tasks", base_url=BASE, headers={"Accept": "application/json"})
    assert response.status_code == 503 and response.json == {"error": MESSAGES["fi"], "code": "unavailable"}


def test_a_database_without_its_tables_is_a_500_not_an_outage(browser, web_app, tmp_path):
    """An SQLite file that opens but lacks its tables (a deploy that skipped init-db) is a bug to fix,
    not a passing outage: "no such table" is no 503 (engine.db.is_unavailable), it fails as a 500."""
    b = browser("off1")
    ext = web_app.extensions["polku"]
    ext["engine"].dispose()
    ext["engine"] = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # as the app makes its engine
    try:
        response = b.get("/tasks")
    except OperationalError as exc:  # the test app propagates what it does not handle
        assert "no such table" in str(exc)
    else:
        assert response.status_code == 500, response.get_data(as_text=True)[-500:]


@pytest.mark.parametrize(("message", "unavailable"), [
    ("database is locked", True), ("disk I/O error", True), ("unable to open database file", True),
    ("no such table: service_retries", False), ("no such column: x", False), ('near "SELEC": syntax error', False),
])
def test_only_connection_level_sqlite_errors_are_an_outage_or_transient(message, unavailable):
    error = OperationalError("SELECT 1", {}, sqlite3.OperationalError(message))
    assert is_unavailable(error) is unavailable
    assert transient(error) is unavailable  # a handler's failure: retried only when it may pass


def test_what_a_handler_raises_is_transient_by_its_kind():
    assert transient(HandlerFailed("the register is down"))  # a handler's own: try again later
    assert not transient(HandlerFailed("the client has no register entry", transient=False))
    assert transient(ConnectionRefusedError()) and transient(TimeoutError())
    assert not transient(FileNotFoundError("templates/letter.odt")) and not transient(PermissionError())
    assert transient(OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly")))
    assert not transient(ProgrammingError("SELECT 1", {}, Exception('relation "x" does not exist')))
