"""The managers' instance page (issue 10): the BPMN diagram of the instance's own version drawn on
the server (``engine.diagram``) with where the instance stands, a text legend and the accessible
list of the same states, the case's history, the waiting timers, the current data and the error.

Only the managers of the instance's organisations see it (``engine.instance_view``); to anyone
else, admins included (they never read client data), it is the 404 page. The page is a read of
client data: ``domain.instance_detail`` writes its audit row, committed here.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache

from flask import g, render_template
from markupsafe import Markup

from polku.domain.instance_detail import instance_detail
from polku.engine.diagram import Model, parse, render, state_list
from polku.engine.task_admin import REASON_MAX, open_tasks

from .. import forms
from ..codes import instance_status
from ..context import auditing_read, runtime
from ..deadline import local_day
from ..i18n import gettext as _
from . import Words, bp, retry_data


@lru_cache(maxsize=32)
def _model(definition_id: int, xml: str) -> Model:
    """A version's diagram, parsed once per process (a version's XML never changes)."""
    return parse(xml)


_VIEWBOX = re.compile(r'<svg\b([^>]*?) viewBox="([-\d.]+ [-\d.]+ ([\d.]+) ([\d.]+))"')


def natural_size(svg: str) -> str:
    """The diagram at the modeler's own scale (its labels readable), in a region that scrolls: the
    viewBox's width and height as the <svg>'s (CSS cannot take them from the file, and no inline style)."""
    return _VIEWBOX.sub(r'<svg\1 width="\3" height="\4" viewBox="\2"', svg, count=1)


def state_words() -> dict[str, str]:
    return {"completed": _("completed"), "active": _("active"), "error": _("error")}


def _shown(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


# The interventions that apply to an instance in each status (engine.instances' own checks).
ACTIONS = {"running": ("suspend", "terminate"), "error": ("retry", "suspend", "terminate"),
           "suspended": ("resume", "terminate")}


def _actions(inst: dict) -> tuple[str, ...]:
    """A running instance whose failed service task waits for its next attempt can be retried now."""
    actions = ACTIONS.get(inst["status"], ())
    retry = inst.get("service_retry")
    if inst["status"] == "running" and retry and retry["next_attempt_at"]:
        return ("retry", *actions)
    return actions


@bp.get("/instances/<int:instance_id>")
def instance(instance_id: int):
    return instance_response(instance_id)


def instance_response(instance_id: int, errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                      status: int = 200, retry: retry_data.Posted | None = None):
    """The page; after a refused intervention form, with its field errors and what was entered
    (`retry`: the retry form as posted, with the engine's refusal of its data)."""
    with auditing_read() as uow:  # not theirs, or an admin's: Hidden, the 404 page (web.errors)
        detail = instance_detail(uow, runtime(), g.user.username, instance_id)
        tasks = open_tasks(uow, g.user.username, instance_id)
        loaded = retry_data.loaded(uow, detail["instance"]["retry"])
        uow.commit()  # the audit row of this read (R12)
    for task in tasks:  # a due day is a day in Finland, as the inbox shows it
        task["due_day"] = local_day(task["due_at"]) if task["due_at"] else None
    inst = detail["instance"]
    words = Words(detail)
    diagram = listed = not_drawn = None
    if inst["diagram_xml"]:
        model = _model(inst["definition_id"], inst["diagram_xml"])
        drawn = render(model, inst["states"], state_labels=state_words(), title=_("Process diagram"),
                       id_prefix="diagram")
        diagram = Markup(natural_size(drawn.svg))  # built with lxml from the hardened parse: text nodes, no markup
        listed = [(element_id, words.step(element_id) or name, state)
                  for element_id, name, state in state_list(model, inst["states"])]
        not_drawn = [words.step(element_id) for element_id in drawn.not_drawn]
    data = [(key, _shown(value)) for key, value in sorted((inst["data"] or {}).items())]
    retry_errors = (retry_data.error_messages(retry.error, inst["retry"], inst["process_key"])
                    if retry is not None and retry.error is not None else {})
    retry_views = retry_data.views(inst["retry"], inst["process_key"], retry, loaded, retry_errors)
    retry_summary = forms.error_summary([v["view"] for v in retry_views], retry_errors)
    return render_template("cases/instance.html", case=detail, inst=inst, w=words, diagram=diagram,
                           listed=listed, not_drawn=not_drawn, states=state_words(), data=data,
                           status=instance_status, actions=_actions(inst), open_tasks=tasks,
                           errors=errors or {}, values=values or {}, reason_max=REASON_MAX,
                           retry_views=retry_views, retry_summary=retry_summary, retry_shown=retry_data.SHOWN), status


from . import interventions  # noqa: E402,F401  (the interventions' POST routes on this blueprint)
