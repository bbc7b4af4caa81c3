"""Per-request plumbing: the database engine and runtime built once per app, a unit of work
per command, the logged-in user loaded fresh for every request (no state in process memory)."""
from __future__ import annotations

import atexit
import os
import weakref
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app, g, redirect, request, session, url_for

from polku.engine import sessions
from polku.engine.clock import clock_from_env
from polku.engine.db import UnitOfWork, make_engine
from polku.engine.errors import NotFound
from polku.engine.read_audit import ReadAudit

PUBLIC_ENDPOINTS = {"auth.login", "static", "healthz", "i18n.set_language"}
# Blueprints whose requests authenticate themselves (an Authorization header), never by the session
# cookie: the Camunda REST subset the modelers call (web.engine_rest).
SELF_AUTHENTICATING = {"engine_rest"}
SESSION_TOKEN = "sid"  # the key in the signed cookie that holds the server-side session's token


def init_app(app, runtime) -> None:
    # `user_loaded`: callables (uow, user) run in the user's lookup, for what every page shows
    # about its user (the navigation's notice count), so a page still opens one unit of work more.
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["polku"] = {"engine": engine, "runtime": runtime, "user_loaded": [],
                               "read_audit": _read_audit(app, engine)}
    app.before_request(_load_user)
    app.context_processor(lambda: {"current_user": g.get("user")})


def _read_audit(app, engine) -> ReadAudit | None:
    """The process's group commit of read-audit rows (engine.read_audit), where it helps: SQLite,
    whose one write lock a reading page would otherwise hold from its first read (issue 12).
    POLKU_READ_AUDIT_BATCH (or the READ_AUDIT_BATCH setting): auto (SQLite only), on, off."""
    mode = str(app.config.get("READ_AUDIT_BATCH") or os.environ.get("POLKU_READ_AUDIT_BATCH") or "auto").lower()
    if mode == "off" or (mode == "auto" and engine.dialect.name != "sqlite"):
        return None
    writer = ReadAudit(engine, clock_from_env())
    # Rows handed in by pages still running when the process ends (a weak reference: an app
    # dropped earlier, as the tests drop theirs, takes its writer with it).
    atexit.register(_close, weakref.ref(writer))
    return writer


def _close(ref) -> None:
    writer = ref()
    if writer is not None:
        writer.close()


def runtime():
    """The workflow runtime the composition root gave the app (commands that run workflows take it)."""
    return current_app.extensions["polku"]["runtime"]


def unit_of_work(write: bool = True) -> UnitOfWork:
    ext = current_app.extensions["polku"]
    return UnitOfWork(ext["engine"], clock_from_env(), write=write, origin=request.remote_addr or "")


def auditing_read() -> UnitOfWork:
    """The unit of work of a page that only reads and logs that read (R12): with the read-audit
    writer, a read transaction whose rows are written when it commits; else a write unit of work
    whose commit writes them, as for any command."""
    writer = current_app.extensions["polku"]["read_audit"]
    if writer is None:
        return unit_of_work()
    return UnitOfWork(current_app.extensions["polku"]["engine"], clock_from_env(), write=False,
                      origin=request.remote_addr or "", read_audit=writer)


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
            # The session and its user in one statement (sessions.find_actor).
            live = sessions.find_actor(uow, token, timeouts())
            found = live[0] if live is not None else None
            try:
                if live is not None:
                    g.user = live[1]
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
