"""Login and logout."""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from polku.engine.accounts import LoginFailed, authenticate, user_locale

from ..context import unit_of_work
from ..i18n import gettext as _

bp = Blueprint("auth", __name__, template_folder="templates")


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not target.startswith("/login"):
        return target.rstrip("?") or url_for("tasks.inbox")
    return url_for("tasks.inbox")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if g.user is not None and request.method == "GET":
        return redirect(url_for("tasks.inbox"))
    error = None
    if request.method == "POST":
        username = request.form.get("username", "")
        with unit_of_work() as uow:
            try:
                actor = authenticate(uow, username, request.form.get("password", ""))
                locale = user_locale(uow, actor.username)
            except LoginFailed:
                actor = None
            uow.commit()  # failures are counted (lockout) and audited too
        if actor is not None:
            keep_locale = session.get("locale")
            session.clear()  # a new session at login: nothing from before carries over
            session["user"] = actor.username
            session["locale"] = locale or keep_locale or "fi"
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")))
        error = _("Wrong username or password, or the account is locked for a few minutes.")
    return render_template("auth/login.html", error=error, username=request.form.get("username", "")), \
        (401 if error else 200)


@bp.post("/logout")
def logout():
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))
