"""Form rules: cross-field checks that must read the database (e.g. "this identity code is on
record under another name"), which a DMN table cannot do. The composition root registers each
by name on ``FormRules``; a form names its rule in its `form_rule` property, and the engine runs
it after the fields are converted and before anything is written (instances.start,
tasks.complete), so every entry point (web, CLI, API) gets the same refusal. Like a validation
decision, a rule of a task's form sees the task's data with the submitted values over it (say
the record the task is about, ``period_id``); a start form's rule sees the values only.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .fieldtypes import Msg

if TYPE_CHECKING:
    from .db import UnitOfWork


class RuleRefused(Exception):
    """A form rule refuses the submission: ``field`` is the field the message is about."""

    def __init__(self, field: str, msgid: str, **params: Any):
        self.field, self.msg = field, Msg(msgid, params)
        super().__init__(str(self.msg))


FormRule = Callable[["UnitOfWork", dict[str, Any]], None]


class FormRules:
    """Form rules by name: ``rule(uow, values)`` returns None or raises ``RuleRefused``."""

    def __init__(self) -> None:
        self._rules: dict[str, FormRule] = {}

    def register(self, name: str, rule: FormRule) -> None:
        self._rules[name] = rule

    def get(self, name: str) -> FormRule | None:
        return self._rules.get(name)
