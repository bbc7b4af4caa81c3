"""Checking a submitted form: field by field (types and constraints), then the form's own
rule, a DMN decision named by the `validation_decision` property (e.g. "at least two goals
reached, or next steps"), so cross-field rules stay where designers can change them.
A rule that must read the database is a form rule instead (engine/formrules.py), named by
the form's `form_rule` property."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ModelError, ValidationFailed
from .formrules import FormRules, RuleRefused
from .forms import FormDefinitionError, FormValidationError, validate_submission
from .runtime import StepError

if TYPE_CHECKING:
    from SpiffWorkflow.task import Task

    from .db import UnitOfWork
    from .forms import FieldTypes
    from .runtime import LoadedDefinition, Runtime


def check_form_rule(uow: UnitOfWork, rules: FormRules, name: str, values: dict[str, Any]) -> None:
    """Run the form rule ``name`` on the converted values; refusal is a ValidationFailed."""
    rule = rules.get(name)
    if rule is None:
        raise ModelError(f"the form names an unknown form rule {name!r}")
    try:
        rule(uow, values)
    except RuleRefused as exc:
        raise ValidationFailed(f"the form has 1 error(s): {exc.field} ({exc})", {exc.field: str(exc)},
                               {exc.field: {"code": "rule", "params": {"rule": name,
                                                                        "message": exc.msg.as_dict()}}}) from exc


def validated(uow: UnitOfWork, field_types: FieldTypes, fields: list[dict[str, Any]], data: object) -> dict[str, Any]:
    """The submission's values, converted; `data` is whatever the caller sent."""
    if not isinstance(data, dict):
        raise ValidationFailed("data must be a JSON object", {"data": "must be a JSON object"})
    try:
        return validate_submission(fields, data, field_types, context=uow)
    except FormValidationError as exc:
        raise ValidationFailed(
            f"the form has {len(exc.errors)} error(s): {exc}", exc.as_dict(),
            {k: {"code": e.code, "params": e.params} for k, e in exc.errors.items()},
        ) from exc
    except FormDefinitionError as exc:
        raise ModelError(f"the form definition is broken: {exc}") from exc


def check_rule(uow: UnitOfWork, runtime: Runtime, defn: LoadedDefinition, task: Task, values: dict[str, Any],
               decision_id: str) -> None:
    """Refuse the submission when the decision says it is not valid; nothing is changed."""
    try:
        verdict = runtime.evaluate_decision(defn, decision_id, task, values, uow.now)
    except StepError as exc:
        raise ModelError(f"the form rule {decision_id!r} failed: {exc.message}") from exc
    if verdict.get("valid", True) is not False:
        return
    field = verdict.get("error_field") or "form"
    message = verdict.get("error_message") or "is not valid"
    code = verdict.get("error_code") or decision_id
    raise ValidationFailed(f"the form has 1 error(s): {field} ({message})", {field: message},
                           {field: {"code": code, "params": {"decision": decision_id}}})
