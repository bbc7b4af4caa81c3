"""Login and logout. The login itself is a server-side session (engine.sessions): the signed
Flask cookie carries only its token (and the language and CSRF key), so logout really ends it."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for

from polku.engine import sessions
from polku.engine.accounts import LoginFailed, authenticate, current_stamp, user_locale
from polku.engine.throttle import Throttled

from ..context import SESSION_TOKEN, client_address, timeouts, unit_of_work
from ..i18n import gettext as _
from ..redirects import safe_next
from . import devices

bp = Blueprint("auth", __name__, template_folder="templates")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if g.user is not None and request.method == "GET":
        return redirect(url_for("tasks.inbox"))
    error, status, retry_after = None, 200, None
    if request.method == "POST":
        username = request.form.get("username", "")
        with unit_of_work() as uow:
            try:
                actor = authenticate(uow, username, request.form.get("password", ""), address=client_address(),
                                     known_device=devices.known_for(username))
                locale, stamp = user_locale(uow, actor.username), current_stamp(uow, actor.username)
                token = sessions.open_session(uow, actor.username, client_address(), timeouts())
            except Throttled as refused:
                actor, retry_after = None, refused.retry_after
            except LoginFailed:
                actor = None
            uow.commit()  # failures are counted (lockout, throttle) and audited too
        if actor is not None:
            keep_locale = session.get("locale")
            session.clear()  # a new session at login: nothing from before carries over
            session[SESSION_TOKEN] = token
            session["locale"] = locale or keep_locale or "fi"
            session.permanent = True
            return devices.remember(redirect(safe_next(request.args.get("next"))), actor.username, stamp)
        if retry_after is not None:
            error, status = _("Too many failed logins from your address. Wait a moment and try again."), 429
        else:
            error, status = _("Wrong username or password, or the account is locked for a few minutes."), 401
    response = current_app.make_response((render_template(
        "auth/login.html", error=error, username=request.form.get("username", "")), status))
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


@bp.post("/logout")
def logout():
    token = session.get(SESSION_TOKEN)
    if token:
        with unit_of_work() as uow:
            sessions.end_session(uow, token, address=client_address())
            uow.commit()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))
