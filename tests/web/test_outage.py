"""Issue 12: a database that goes away while the app runs gives a localized 503 page with
Retry-After (JSON for API paths), rendered without the database; never Werkzeug's bare 500."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine

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
