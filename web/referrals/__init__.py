"""Starting a referral (officials): the start form of the job-coaching process.

GET shows the form generated from the process's start event; POST starts the process in one
unit of work. The process itself checks eligibility (R1, R3, R4): a refused referral is
explained on a page of its own, an accepted one goes to the provider's coaches.
"""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from polku.domain.referrals import referral_outcome
from polku.engine import instances, queries
from polku.engine.access import require_starter
from polku.engine.errors import Conflict, ValidationFailed

from .. import codes, forms
from ..context import reading, runtime, unit_of_work
from ..i18n import gettext as _
from ..i18n import process_label

bp = Blueprint("referrals", __name__, template_folder="templates")

PROCESS = "tyohonvalmennus"


def _start_form(uow) -> tuple[dict, dict]:
    """The start form, if the user may start the process (else Forbidden, a 404: officials only),
    and what its field types load for their widgets."""
    form = queries.start_form(uow, PROCESS)
    require_starter(g.user, form["starter_groups"])
    return form, forms.widget_data(uow, form["fields"])


def _render(form: dict, loaded, values=None, *, rows=None, error=None, notice=None, status=200):
    key, element = form["key"], form["start_element"] or form["key"]
    fields = form["fields"]
    errors = forms.error_messages(error, fields, key) if error is not None else {}
    views = forms.build_fields(fields, process_key=key, element_id=element, values=values, errors=errors,
                               rows=rows, loaded=loaded)
    html = render_template(
        "referrals/new.html", views=views, error_items=forms.error_summary(views, errors), notice=notice,
        process_name=process_label(key, key, form["name"]),
    )
    return html, status


@bp.route("/referrals/new", methods=["GET", "POST"])
def new():
    if request.method == "GET":
        with reading() as uow:
            form, loaded = _start_form(uow)
        return _render(form, loaded, rows=forms.row_counts(form["fields"], request.args))  # as many as asked

    try:
        # One unit of work: the form, the start, and what the process recorded of the referral.
        with unit_of_work() as uow:
            form, loaded = _start_form(uow)
            fields = form["fields"]
            values = forms.parse_form(fields, request.form)
            more = forms.more_rows_requested(request.form)
            if more:
                return _render(form, loaded, values, rows=forms.row_counts(fields, request.form, add=more))
            inst = instances.start(uow, runtime(), g.user.username, PROCESS, values)
            outcome = referral_outcome(uow, inst.id)
            uow.commit()
    except ValidationFailed as exc:
        return _render(form, loaded, values, rows=forms.row_counts(fields, request.form), error=exc, status=400)
    except Conflict:
        return _render(form, loaded, values, rows=forms.row_counts(fields, request.form), status=409,
                       notice=_("The referral could not be saved because of a simultaneous change. Send it again."))

    if outcome is not None and outcome["outcome"] == "refused":
        return _refused(form["key"], outcome)
    if inst.status == "error":
        flash(_("The referral was saved, but its processing stopped with an error. Contact the administrator."),
              "warning")
    else:
        flash(_("Referral sent to %(provider)s.",
                provider=(outcome or {}).get("provider") or values.get("provider", "")),
              "success")
    return redirect(url_for("tasks.inbox"))


def _refused(key: str, data: dict):
    code = data.get("refusal_reason") or ""
    return render_template("referrals/refused.html", data=data, code=code, reason=codes.refusal_reason(key, code))
