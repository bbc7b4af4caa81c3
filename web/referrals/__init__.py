"""Starting a referral (officials): the start form of the job-coaching process.

GET shows the form generated from the process's start event; POST starts the process in one
unit of work. The process itself checks eligibility (R1, R3, R4): a refused referral is
explained on a page of its own, an accepted one goes to the provider's coaches.
"""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from polku.engine import instances, queries
from polku.engine.access import require_starter
from polku.engine.errors import Conflict, ValidationFailed

from .. import forms
from ..context import reading, runtime, unit_of_work
from ..i18n import gettext as _
from ..i18n import lazy_gettext, process_label

bp = Blueprint("referrals", __name__, template_folder="templates")

PROCESS = "tyohonvalmennus"


def _start_form() -> tuple[dict, list[str] | None]:
    """The start form, if the user may start the process (else Forbidden, a 404: officials only)."""
    with reading() as uow:
        form = queries.start_form(uow, PROCESS)
        require_starter(g.user, form["starter_groups"])
        has_provider = any(f["type"] == "provider" for f in form["fields"])
        providers = queries.providers(uow) if has_provider else None
    return form, providers


def _render(form: dict, providers, values=None, *, rows=None, error=None, notice=None, status=200):
    key, element = form["key"], form["start_element"] or form["key"]
    fields = form["fields"]
    errors = forms.error_messages(error, fields, key) if error is not None else {}
    views = forms.build_fields(fields, process_key=key, element_id=element, values=values, errors=errors,
                               rows=rows, providers=providers)
    html = render_template(
        "referrals/new.html", views=views, error_items=forms.error_summary(views, errors), notice=notice,
        process_name=process_label(key, key, form["name"]),
    )
    return html, status


@bp.route("/referrals/new", methods=["GET", "POST"])
def new():
    form, providers = _start_form()
    if request.method == "GET":
        return _render(form, providers)

    fields = form["fields"]
    values = forms.parse_form(fields, request.form)
    more = forms.more_rows_requested(request.form)
    if more:
        return _render(form, providers, values, rows=forms.row_counts(fields, request.form, add=more))
    try:
        with unit_of_work() as uow:
            instance_id = instances.start(uow, runtime(), g.user.username, PROCESS, values).id
            uow.commit()
    except ValidationFailed as exc:
        return _render(form, providers, values, rows=forms.row_counts(fields, request.form), error=exc, status=400)
    except Conflict:
        return _render(form, providers, values, rows=forms.row_counts(fields, request.form), status=409,
                       notice=_("The referral could not be saved because of a simultaneous change. Send it again."))

    with reading() as uow:
        case = queries.show(uow, runtime(), instance_id, g.user.username)
    data = case["data"] or {}
    if data.get("eligible") is False:
        return _refused(form["key"], data)
    if case["status"] == "error":
        flash(_("The referral was saved, but its processing stopped with an error. Contact the administrator."),
              "warning")
    else:
        flash(_("Referral sent to %(provider)s.", provider=data.get("provider") or values.get("provider", "")),
              "success")
    return redirect(url_for("tasks.inbox"))


# The refusal reasons (codes of the referral_eligibility decision) when the process catalog
# has no text for the user's language (Finnish has none: the DMN gives only codes).
REFUSAL_REASONS = {
    "R1_short": lazy_gettext("The period is shorter than two weeks"),
    "R1_long": lazy_gettext("The period is longer than four months"),
    "R3_active": lazy_gettext("The client already has a period in progress"),
    "R3_consecutive": lazy_gettext("The client has already had two consecutive periods"),
    "R4_window": lazy_gettext("The client would get more than eight months of coaching within twelve months"),
}


def refusal_reason(key: str, code: str) -> str:
    if not code:
        return ""
    return process_label(key, f"referral_eligibility.{code}", None) or str(REFUSAL_REASONS.get(code, code))


def _refused(key: str, data: dict):
    code = data.get("refusal_reason") or ""
    return render_template("referrals/refused.html", data=data, code=code, reason=refusal_reason(key, code))
