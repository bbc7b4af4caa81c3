"""One place that turns a refused command into an HTTP answer (docs/web.md).

- NotFound and Forbidden → 404 with the same page: whether something exists is not revealed to
  a user who may not see it. A plain `abort(404)` and an unknown URL give that page too.
- A request body over MAX_CONTENT_LENGTH → 413 with its own page, nothing read or saved.
- Conflict → 409, worded by its `reason` code in the user's language (the engine's own message
  is English and may name other users).
- The database unreachable (engine.db.is_unavailable) → 503 with Retry-After, in the language of
  the session or the browser, rendered without the database (no user, so no navigation counts).

A route catches one of these itself only to do something different on purpose (the task page's
"handled meanwhile" page, the form shown again). JSON clients (an `Accept` that prefers
application/json, or anything under /api/ or /engine-rest/) get the same status with a JSON body.
"""
from __future__ import annotations

from flask import g, render_template, request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.exceptions import RequestEntityTooLarge

from polku.engine.db import is_unavailable
from polku.engine.errors import Conflict, Forbidden, NotFound
from polku.engine.refusals import record_refusal

from .context import unit_of_work
from .i18n import gettext as _

# The pages of client data: a refusal there is an attempt to reach someone's data, kept as evidence.
CLIENT_DATA_PAGES = frozenset({"cases", "tasks", "notices", "referrals"})
MAX_ID = 2**31 - 1
RETRY_AFTER_SECONDS = 30


def init_app(app) -> None:
    for error in (NotFound, Forbidden, HTTPNotFound):
        app.register_error_handler(error, not_found)
    app.register_error_handler(Conflict, conflict)
    app.register_error_handler(RequestEntityTooLarge, too_large)
    for error in (DBAPIError, PoolTimeout):
        app.register_error_handler(error, database_error)


def wants_json() -> bool:
    # Exact types outrank */*, so a browser's Accept picks text/html and `fetch`'s default JSON.
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.path.startswith(("/api/", "/engine-rest/")) or best == "application/json"


def _record_refusal() -> None:
    """A refused request for a page of client data, by a logged-in user: who, which page, and the
    case it named (in `instances`, as lists name them, so the client's access log shows it)."""
    user = g.get("user")
    if user is None or request.blueprint not in CLIENT_DATA_PAGES:
        return
    details: dict = {"method": request.method, "endpoint": request.endpoint, "status": 404}
    case = (request.view_args or {}).get("instance_id")
    if isinstance(case, int) and 0 < case <= MAX_ID:
        details["instances"] = [case]
    task = (request.view_args or {}).get("task_id")
    task = task if isinstance(task, str) and len(task) <= 36 else None
    record_refusal(unit_of_work, user, details, task_id=task)  # answered even if it cannot be written


def not_found(_error):
    _record_refusal()
    message = _("The page was not found.")
    if wants_json():
        return {"error": message, "code": "not_found"}, 404
    return render_template("error.html", title=_("Not found"), message=message), 404


def too_large(_error):
    """A request over MAX_CONTENT_LENGTH (or a field over MAX_FORM_MEMORY_SIZE): refused unread."""
    message = _("The form was too large to be saved. Shorten the longest texts and try again.")
    if wants_json():
        return {"error": message, "code": "too_large"}, 413
    return render_template("error.html", title=_("Too much text"), message=message), 413


def conflict_message(reason: str) -> str:
    return {
        "handled": _("This task was already handled."),
        "inactive": _("This case is not active at the moment, so its tasks cannot be handled now."),
        "already_yours": _("The task is already yours."),
        "claimed_by_other": _("Someone else has already claimed this task."),
        "not_claimed": _("The task is not claimed by anyone."),
        "acknowledged": _("This notice was already acknowledged."),
    }.get(reason) or _("Someone else changed this at the same time, so nothing was saved. Try again.")


def conflict(error: Conflict):
    message = conflict_message(error.reason)
    if wants_json():
        return {"error": message, "code": error.code, "reason": error.reason}, 409
    return render_template("error.html", title=_("The change could not be made"), message=message), 409


def database_error(error: Exception):
    """The database cannot be reached: 503, nothing was saved (the unit of work rolled back). Any
    other database error stays what it is, a bug (500)."""
    if not is_unavailable(error):
        raise error
    message = _("The service is temporarily unavailable. Nothing you entered was saved. Try again in a moment.")
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if wants_json():
        return {"error": message, "code": "unavailable"}, 503, headers
    # current_user=None: the navigation of a logged-in user reads the database (its notice count).
    page = render_template("error.html", title=_("Service unavailable"), message=message, current_user=None)
    return page, 503, headers
