"""The administrator's page of users and their sessions, and ending them (engine.sessions).

For users with the role `admin` only; anyone else gets the 404 every refused page gives (the
engine refuses: Forbidden). Ending is `sessions.end_all`, which writes the audit row. Ending every
session logs the administrator out too: it is what one does when sessions may be in the wrong hands
(a leaked key, a lost device), and the administrator's own session is no more trusted than the
others; sparing it would leave the one session the purge did not end.
"""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from polku.engine import sessions

from ..codes import role_name
from ..context import reading, timeouts, unit_of_work
from ..i18n import gettext as _

bp = Blueprint("admin", __name__, template_folder="templates", url_prefix="/admin")


def _log_out_here() -> None:
    """This browser is logged out (its session ended with the others); the language stays."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def _page(status: int = 200, confirm_error: bool = False):
    with reading() as uow:
        users = sessions.overview(uow, g.user.username, timeouts())
    return render_template("admin/sessions.html", users=users, role=role_name, confirm_error=confirm_error), status


@bp.get("/sessions", endpoint="sessions")
def list_sessions():
    return _page()


@bp.post("/sessions/end", endpoint="end_user")
def end_user_sessions():
    username = request.form.get("username", "")[:100]
    with unit_of_work() as uow:
        ended = sessions.end_all(uow, g.user.username, username)
        uow.commit()
    if username == g.user.username:  # the administrator's own sessions, this one among them
        _log_out_here()
        flash(_("You ended your own sessions, this one too. Log in again to continue."), "info")
        return redirect(url_for("auth.login"))
    flash(_("%(name)s was logged out of every browser (sessions ended: %(count)s).", name=username, count=ended),
          "success")
    return redirect(url_for("admin.sessions"))


@bp.post("/sessions/end-all", endpoint="end_all")
def end_every_session():
    if request.form.get("confirm") != "yes":  # the box left unticked: nothing ends (non-admins: 404)
        return _page(400, confirm_error=True)
    with unit_of_work() as uow:
        ended = sessions.end_all(uow, g.user.username, None)
        uow.commit()
    _log_out_here()
    flash(_("Every session was ended (%(count)s), yours too. Log in again to continue.", count=ended), "info")
    return redirect(url_for("auth.login"))
