"""Notices to an official, a manager or a coach (domain.notices): the list, linked from the inbox and the
navigation (with the count of open ones), and their acknowledgement.

The list shows client names, so it runs in a write unit of work that commits its audit row (R12).
Refusals (another's notice, one already acknowledged) go through web.errors: 404 and 409.
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, g, redirect, render_template, url_for

from polku.domain.notices import RECIPIENT_ROLES, acknowledge, count_for, open_notices

from ..codes import notice_kind, week_label
from ..context import auditing_read, unit_of_work
from ..deadline import local_day
from ..i18n import gettext as _
from ..i18n import process_label

bp = Blueprint("notices", __name__, template_folder="templates")


def init_app(app) -> None:
    app.extensions["polku"]["user_loaded"].append(_count_open)
    app.context_processor(lambda: {"open_notice_count": lambda: g.get("open_notice_count", 0),
                                   "notice_roles": sorted(RECIPIENT_ROLES)})  # who has a notices list


def _count_open(uow, user) -> None:
    """The navigation's figure, counted in the request's user lookup (no audit row: a number
    shows no client data)."""
    g.open_notice_count = count_for(uow, user)


@bp.get("/notices")
def index():
    with auditing_read() as uow:  # reads, and its audit row at commit (on SQLite: never the write lock)
        notices = open_notices(uow, g.user.username)
        uow.commit()  # the list shows client names: its audit row (R12)
    for notice in notices:  # the day it was raised, in Finland
        notice["day"] = local_day(datetime.fromisoformat(notice["created_at"]))
    return render_template("notices/index.html", notices=notices, kind=notice_kind, step=_step, week=week_label)


def _step(details: dict) -> str:
    """The task a deadline notice is about, in the user's language (its Finnish name as raised)."""
    return process_label(details.get("process") or "", details.get("element_id") or "", details.get("task"))


@bp.post("/notices/<int:notice_id>/acknowledge")
def acknowledge_notice(notice_id: int):
    with unit_of_work() as uow:
        acknowledge(uow, g.user.username, notice_id)
        uow.commit()
    flash(_("The notice was acknowledged."), "success")
    return redirect(url_for("notices.index"))
