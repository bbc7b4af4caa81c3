"""Per-request plumbing: the database engine and runtime built once per app, a unit of work
per command, the logged-in user loaded fresh for every request (no state in process memory)."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from flask import current_app, g, redirect, request, session, url_for

from polku.engine import sessions
from polku.engine.clock import clock_from_env
from polku.engine.db import UnitOfWork, make_engine
from polku.engine.errors import NotFound
from polku.engine.users import load_actor

PUBLIC_ENDPOINTS = {"auth.login", "static", "healthz", "i18n.set_language"}
# Blueprints whose requests authenticate themselves (an Authorization header), never by the session
# cookie: the Camunda REST subset the modelers call (web.engine_rest).
SELF_AUTHENTICATING = {"engine_rest"}
SESSION_TOKEN = "sid"  # the key in the signed cookie that holds the server-side session's token


def init_app(app, runtime) -> None:
    # `user_loaded`: callables (uow, user) run in the user's lookup, for what every page shows
    # about its user (the navigation's notice count), so a page still opens one unit of work more.
    app.extensions["polku"] = {"engine": make_engine(app.config["DATABASE_URL"]), "runtime": runtime,
                               "user_loaded": []}
    app.before_request(_load_user)
    app.context_processor(lambda: {"current_user": g.get("user")})


def runtime():
    """The workflow runtime the composition root gave the app (commands that run workflows take it)."""
    return current_app.extensions["polku"]["runtime"]


def unit_of_work(write: bool = True) -> UnitOfWork:
    ext = current_app.extensions["polku"]
    return UnitOfWork(ext["engine"], clock_from_env(), write=write, origin=request.remote_addr or "")


@contextmanager
def reading():
    """A read-only unit of work (never committed)."""
    with unit_of_work(write=False) as uow:
        yield uow


def timeouts() -> sessions.Timeouts:
    return sessions.Timeouts(idle=timedelta(seconds=current_app.config["SESSION_IDLE_TIMEOUT"]),
                             absolute=timedelta(seconds=current_app.config["SESSION_ABSOLUTE_TIMEOUT"]))


def client_address() -> str | None:
    """The client's address as the WSGI server saw it (behind a proxy: see POLKU_PROXIES)."""
    return request.remote_addr


def _load_user():
    g.user = None
    if request.blueprint in SELF_AUTHENTICATING:
        return None
    token = session.get(SESSION_TOKEN)
    if token:
        with reading() as uow:
            found = sessions.find(uow, token, timeouts())
            try:
                if found is not None:
                    g.user = load_actor(uow, found.username)
                    for loaded in current_app.extensions["polku"]["user_loaded"]:
                        loaded(uow, g.user)
            except NotFound:
                g.user = None
        if g.user is None:  # ended, run out, or never was: log out this browser for good
            with unit_of_work() as uow:
                sessions.end_session(uow, token, reason="expired")
                uow.commit()
            session.clear()
        elif found is not None and found.stale:
            with unit_of_work() as uow:
                sessions.touch(uow, token)
                uow.commit()
    if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    return None
