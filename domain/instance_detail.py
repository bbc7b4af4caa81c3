"""The managers' instance page (issue 10): the engine's view of the instance
(``engine.instance_view``: states on the diagram, timers, current data, error; access checked and
the read audited there) with the case's story (``domain.casefile_story``, the same history the case
page shows: who did what, when) and the version's labels.

A command, not a plain query: the read of client data writes its audit row; run it in a write unit
of work and commit once. Anyone but a manager of the instance's organisations gets ``Hidden``.
``retry_variables`` is what the retry form offers (masked as the page shows it), without that row.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from polku.engine import instance_view as engine_view

from .casefile import CASE_PROCESS, _definition_labels, _names, mask
from .casefile_story import read_records, story
from .models import Period
from .referrals import referral_record

# The current data's identity codes: a manager supervises the case and sees them masked, as on the
# case page and in the case list (domain.casefile.mask).
CODE_KEYS = ("hetu", "identity_code")


def _masked(key: str, value: Any) -> Any:
    return mask(value) if key.endswith(CODE_KEYS) and isinstance(value, str) else value


def retry_variables(uow, runtime, actor: str, instance_id: int) -> list[dict[str, Any]]:
    return [{**v, "value": _masked(v["name"], v["value"])}
            for v in engine_view.retry_variables(uow, runtime, actor, instance_id)]


def instance_detail(uow, runtime, actor: str, instance_id: int) -> dict[str, Any]:
    view = engine_view.instance_view(uow, runtime, actor, instance_id)
    data = view["data"] if isinstance(view["data"], dict) else {}
    for key, value in data.items():
        data[key] = _masked(key, value)
    view["retry"] = [{**v, "value": _masked(v["name"], v["value"])} for v in view["retry"]]
    periods = uow.session.scalars(select(Period).where(Period.instance_id == instance_id)
                                  .order_by(Period.number)).all()
    referral = referral_record(uow, instance_id)
    if referral is not None:
        referral["health_information"] = None  # a manager supervises the case: never shown here
    return {
        "instance": view, "is_case": view["process_key"] == CASE_PROCESS,
        "labels": _definition_labels(uow, view["definition_id"]),
        "timeline": story(uow, instance_id, list(periods), referral, lambda wanted: _names(uow, wanted),
                          read_records(uow.session, instance_id, [p.id for p in periods])),
    }
