"""Several web processes share nothing but the database: a session started on one works on
another, and a lockout counted on one holds on the other."""
from __future__ import annotations

from polku.app import build_app as create_app
from tests.web.conftest import Browser


def _second_app(database_url):
    return create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test-secret"})


def test_a_session_from_one_process_is_valid_on_another(web_app, passwords, database_url):
    first = Browser(web_app).login("off1")
    other = _second_app(database_url)
    try:
        second = Browser(other)
        second.client.set_cookie("polku_session", first.client.get_cookie("polku_session").value,
                                 domain="localhost", secure=True)
        response = second.get("/tasks")
        assert response.status_code == 200
        assert "off1" in response.get_data(as_text=True)
    finally:
        other.extensions["polku"]["engine"].dispose()


def test_a_lockout_counted_on_one_process_holds_on_another(web_app, passwords, database_url):
    other = _second_app(database_url)
    try:
        for app in (web_app, other, web_app, other, web_app):  # five failures across two processes
            b = Browser(app)
            b.get("/login")
            assert b.post("/login", {"username": "off1", "password": "wrong password"}).status_code == 401
        locked = Browser(other)
        locked.get("/login")
        response = locked.post("/login", {"username": "off1", "password": "correct horse battery"})
        assert response.status_code == 401  # the right password does not help while locked
    finally:
        other.extensions["polku"]["engine"].dispose()
