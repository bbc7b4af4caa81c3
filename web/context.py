"""Per-request plumbing: the database engine and runtime built once per app, a unit of work
per command, the logged-in user loaded fresh for every request (no state in process memory)."""
from __future__ import annotations

from contextlib import contextmanager

from flask import current_app, g, redirect, request, session, url_for

from polku.engine.clock import clock_from_env
from polku.engine.db import UnitOfWork, make_engine
from polku.engine.errors import NotFound
from polku.engine.users import load_actor

PUBLIC_ENDPOINTS = {"auth.login", "static", "healthz", "i18n.set_language"}


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


def _load_user():
    g.user = None
    username = session.get("user")
    if username:
        with reading() as uow:
            try:
                g.user = load_actor(uow, username)
                for loaded in current_app.extensions["polku"]["user_loaded"]:
                    loaded(uow, g.user)
            except NotFound:
                session.clear()
    if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    return None
