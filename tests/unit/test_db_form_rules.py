"""Form rules (engine.formrules): a refusal is a ValidationFailed naming the field with the
rule's own message; a form naming a rule nobody registered is a model error, not the user's."""
from __future__ import annotations

import pytest

from polku.domain.clientname import same_name
from polku.engine.errors import ModelError, ValidationFailed
from polku.engine.fieldtypes import N_
from polku.engine.formcheck import check_form_rule
from polku.engine.formrules import FormRules, RuleRefused


def refuse(uow, values):
    raise RuleRefused("client_name", N_("The identity code is on record as %(name)s."), name=values["old"])


def test_a_refusal_names_the_field_and_carries_the_message_for_the_ui():
    rules = FormRules()
    rules.register("r", refuse)
    with pytest.raises(ValidationFailed) as exc:
        check_form_rule(None, rules, "r", {"old": "Matti"})
    assert exc.value.fields == {"client_name": "The identity code is on record as Matti."}
    assert exc.value.details["client_name"] == {"code": "rule", "params": {"rule": "r", "message": {
        "msgid": "The identity code is on record as %(name)s.", "params": {"name": "Matti"}}}}


def test_a_rule_that_passes_changes_nothing():
    rules = FormRules()
    rules.register("ok", lambda uow, values: None)
    assert check_form_rule(None, rules, "ok", {}) is None


def test_an_unknown_rule_is_a_model_error():
    with pytest.raises(ModelError, match="unknown form rule 'nope'"):
        check_form_rule(None, FormRules(), "nope", {})


@pytest.mark.parametrize("a, b, same", [
    ("Matti Meikäläinen", "  matti   MEIKÄLÄINEN ", True),
    ("Matti Meikäläinen", "Matti Meikalainen", False),
    ("Matti Meikäläinen", "Meikäläinen Matti", False),
])
def test_names_are_compared_ignoring_whitespace_and_case_only(a, b, same):
    assert same_name(a, b) is same
