"""One client, one identity code: a referral naming a known identity code under another name
is refused until the official corrects the name or confirms the change (issue 8).

The check reads the client register, so it is a form rule (engine/formrules.py) named by the
start form's `form_rule` property, not a DMN table; the engine runs it for every entry point.
A confirmed change is made by the `record_referral` handler, which records it as such.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from polku.engine.fieldtypes import N_
from polku.engine.formrules import FormRules, RuleRefused

from .models import Client

RULE = "known_client_name"
CONFIRM_FIELD = "confirm_name_change"
RENAME_ACTION = "rename_client"


def same_name(a: str | None, b: str | None) -> bool:
    """The same name as typed by two people: whitespace and case do not matter
    ("matti  meikäläinen" is "Matti Meikäläinen"); spelling, accents and order do."""
    return " ".join((a or "").split()).casefold() == " ".join((b or "").split()).casefold()


def name_on_record(session, identity_code: str) -> str | None:
    """The client's name in the register, or None for an identity code never seen (or nameless)."""
    return session.scalar(select(Client.name).where(Client.identity_code == identity_code)) or None


def known_client_name(uow, values: dict[str, Any]) -> None:
    """Form rule: a known identity code under another name needs ``confirm_name_change``."""
    code, name = values.get("client_hetu"), values.get("client_name")
    if not isinstance(code, str) or not isinstance(name, str):
        return  # the field checks have refused these already
    recorded = name_on_record(uow.session, code)
    if recorded is None or same_name(recorded, name) or values.get(CONFIRM_FIELD) is True:
        return
    raise RuleRefused("client_name", N_("The identity code is on record as %(name)s. Correct the name, "
                                        "or confirm the change of name."), name=recorded)


def register_form_rules(rules: FormRules) -> None:
    rules.register(RULE, known_client_name)
