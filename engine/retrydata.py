"""What a manager may put into a failed instance with `retry --data` (issue 9, finding 9).

Only the variables the failed step reads: the names its script, its gateway conditions, its timer
or conditional expression, or its DMN table's inputs and cells load. A service handler's reads
are not visible, so a failed service task accepts no corrected data (fix the records, then retry
without data). Never a variable the engine sets (the instance's organisations and title, the
start event's initiator): those decide who may see the case. Each value is validated like a
form: by the form field that defines the variable anywhere in the process (its type, options and
constraints, and that form's validation decision and form rule over the failed task's data), or,
when no form defines it, as a plain JSON scalar with a bounded text.

``editable(runtime, defn, wf)`` says what a page needs to offer the correction: each variable the
failed step reads that a retry may set (not the engine's, not a function or builtin the scripts
call), its value in the failed task and the form field that defines it. Refusals carry a code in
``ValidationFailed.details`` (``REFUSALS``) so that a UI can word them in its own language.
"""
from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.util.task import TaskState

from .errors import ValidationFailed
from .formcheck import check_form_rule, check_rule, validated
from .forms import field_definitions
from .runtime import ORGANISATIONS_VARIABLE, TITLE_VARIABLE

if TYPE_CHECKING:
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.task import Task

    from .db import UnitOfWork
    from .runtime import LoadedDefinition, Runtime

ENGINE_VARIABLES = frozenset({ORGANISATIONS_VARIABLE, TITLE_VARIABLE})
# details codes of the refusals that are retry's own (the form checks bring theirs: "type", "max"...)
REFUSALS = ("engine_variable", "not_read", "out_of_range", "not_a_number", "maxlength", "not_a_scalar")
MAX_TEXT = 2000  # a variable no form defines: text as long as the process's longest free-text field
_LONG = (-(2**63), 2**63 - 1)


def _names(code: Any) -> set[str]:
    """Names an expression or a script loads (a syntax error reads nothing)."""
    if not isinstance(code, str) or not code.strip():
        return set()
    try:
        tree = ast.parse(code.strip(), mode="exec")
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _expressions(spec: Any) -> Iterator[Any]:
    yield getattr(spec, "script", None)
    for condition, _target in getattr(spec, "cond_task_specs", None) or []:
        yield condition
    definition = getattr(spec, "event_definition", None)
    yield getattr(definition, "expression", None)
    for sub in getattr(definition, "event_definitions", None) or []:
        yield getattr(sub, "expression", None)
    decision = getattr(getattr(spec, "dmnEngine", None), "decision_table", None)
    for item in getattr(decision, "inputs", None) or []:
        yield item.expression
    for rule in getattr(decision, "rules", None) or []:
        for entry in rule.inputEntries:
            yield from getattr(entry, "lhs", None) or []
        for entry in rule.outputEntries:
            yield getattr(entry, "text", None)


def failed_tasks(wf: BpmnWorkflow) -> list[Task]:
    return [t for t in wf.tasks.values() if t.state == TaskState.ERROR]


def step_reads(tasks: list[Task]) -> set[str]:
    return {name for task in tasks for code in _expressions(task.task_spec) for name in _names(code)}


def _forms(defn: LoadedDefinition) -> Iterator[tuple[str, list[dict[str, Any]], dict[str, Any]]]:
    """(element id, fields, properties) of every form of the process: start forms, then user task forms."""
    for key, ext in defn.extensions.items():
        if isinstance(ext, dict) and ext.get("start_form"):
            yield ext.get("start_event") or key, ext["start_form"], ext.get("start_properties") or {}
    for proc in [defn.spec, *defn.subprocess_specs.values()]:
        for spec in getattr(proc, "task_specs", {}).values():
            form = getattr(spec, "form", None)
            if form is not None:
                yield (spec.bpmn_id, field_definitions(form),
                       (defn.extensions.get(spec.bpmn_id) or {}).get("properties") or {})


def _reserved(defn: LoadedDefinition) -> set[str]:
    """The variables the engine sets: they decide who may see the case."""
    return set(ENGINE_VARIABLES) | {ext["initiator"] for ext in defn.extensions.values()
                                    if isinstance(ext, dict) and ext.get("initiator")}


def editable(runtime: Runtime, defn: LoadedDefinition, wf: BpmnWorkflow) -> list[dict[str, Any]]:
    """What a retry may correct, by name: [{"name", "set" (the failed task has a value), "value"
    (that value), "field" (the first form field that defines the variable, as ``checked`` types
    it, or None), "element_id" (where that form is)}]. A name the scripts get from their
    environment (a function, a builtin) is left out unless the task's data holds it."""
    tasks = failed_tasks(wf)
    provided = runtime.script_engine.provided_names
    data: dict[str, Any] = {}
    for task in reversed(tasks):  # the first failed task's value wins, as the page shows one
        data.update(task.data)
    reserved = _reserved(defn)
    names = sorted(n for n in step_reads(tasks)
                   if n not in reserved and not n.startswith("_") and (n in data or n not in provided))
    defined: dict[str, tuple[str, dict[str, Any]]] = {}
    for element_id, fields, _properties in _forms(defn):
        for f in fields:
            defined.setdefault(f["id"], (element_id, f))
    return [{"name": n, "set": n in data, "value": data.get(n), "field": defined.get(n, (None, None))[1],
             "element_id": defined.get(n, (None, None))[0]} for n in names]


def _scalar(value: Any) -> tuple[str, str] | None:
    """(code, message) of what is wrong with a value no form defines, or None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return None if _LONG[0] <= value <= _LONG[1] else ("out_of_range", "is out of range")
    if isinstance(value, float):
        return None if value == value and abs(value) != float("inf") else ("not_a_number", "must be a number")
    if isinstance(value, str):
        return None if len(value) <= MAX_TEXT else ("maxlength", f"must be at most {MAX_TEXT} characters")
    return "not_a_scalar", "must be text, a number, true, false or null"


def checked(uow: UnitOfWork, runtime: Runtime, defn: LoadedDefinition, wf: BpmnWorkflow,
            data: dict[str, Any]) -> dict[str, Any]:
    """The corrected data, converted; ValidationFailed (nothing changed) for anything else."""
    tasks = failed_tasks(wf)
    reads = step_reads(tasks)
    reserved = _reserved(defn)
    errors: dict[str, str] = {}
    codes: dict[str, dict[str, Any]] = {}
    for key in data:
        if key in reserved or str(key).startswith("_"):
            errors[str(key)] = "is set by the engine and cannot be changed by a retry"
            codes[str(key)] = {"code": "engine_variable", "params": {}}
        elif key not in reads:
            errors[str(key)] = "is not read by the failed step" + (
                f" (it reads: {', '.join(sorted(reads))})" if reads else "")
            codes[str(key)] = {"code": "not_read", "params": {"reads": sorted(reads)}}
    if errors:
        raise ValidationFailed(f"retry data refused: {'; '.join(f'{k} {m}' for k, m in errors.items())}", errors,
                               codes)
    values: dict[str, Any] = {}
    rules: list[dict[str, Any]] = []
    for _element_id, fields, properties in _forms(defn):
        mine = [f for f in fields if f["id"] in data and f["id"] not in values]
        if mine:  # the first form that defines a variable decides its type
            part = validated(uow, runtime.field_types, mine, {f["id"]: data[f["id"]] for f in mine})
            values.update(part)
            rules.append(properties)
    for key, value in data.items():
        if key not in values:
            if (problem := _scalar(value)) is not None:
                code, message = problem
                params = {"maxlength": MAX_TEXT} if code == "maxlength" else {}
                raise ValidationFailed(f"retry data refused: {key} {message}", {key: message},
                                       {key: {"code": code, "params": params}})
            values[key] = value
    for properties in rules:  # the form's own rules, over the failed task's data
        for task in tasks:
            if properties.get("validation_decision"):
                check_rule(uow, runtime, defn, task, values, properties["validation_decision"])
            if properties.get("form_rule"):
                check_form_rule(uow, runtime.form_rules, properties["form_rule"], {**task.data, **values})
    return values
