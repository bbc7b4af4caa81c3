"""Domain errors every entry point maps to an exit code or an HTTP status.

All of them mean "refused, nothing changed": the unit of work rolls back before they
leave a command.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .fieldtypes import Msg


class PolkuError(Exception):
    """Base class: a command was refused. `str()` is one readable line."""

    code = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.message, "code": self.code}


class NotFound(PolkuError):
    code = "not_found"


class Hidden(NotFound):
    """Refused by an access rule, answered as "not found" so that whether the object exists is
    not revealed; the refusal's own audit row (engine.refusals) says "forbidden"."""


class Forbidden(PolkuError):
    code = "forbidden"


class Conflict(PolkuError):
    """Someone else changed the object first (optimistic locking), or its state forbids the command.

    `reason` is a stable code a UI can word in its own language (e.g. "already_yours")."""

    code = "conflict"

    def __init__(self, message: str, reason: str = "changed"):
        super().__init__(message)
        self.reason = reason


class ModelError(PolkuError):
    """The deployed model itself is wrong in a way deploy could not see (e.g. a form rule
    that fails to evaluate). Nothing was changed; a designer must fix the process."""

    code = "model"


class ValidationFailed(PolkuError):
    """Submitted values were rejected; `fields` maps each field id to its message."""

    code = "validation"

    def __init__(self, message: str, fields: dict[str, str] | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.fields = fields or {}
        # Machine-readable per-field details (code and params) for translated UIs.
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.message, "code": self.code, "fields": self.fields}


class DeployProblem:
    """One thing wrong with a bundle: where it is and what is wrong.

    The problem and its fix are each an English msgid marked ``N_`` with its parameters (a
    ``Msg``), so that the web shows them in the designer's language; a text from a third party
    (lxml's, SpiffWorkflow's, Python's) is a parameter, quoted as is. ``message`` and ``hint`` are
    the English texts the CLI and the REST API give."""

    __slots__ = ("file", "element_id", "line", "msg", "severity", "hint_msg")

    def __init__(self, file: str, message: str | Msg, element_id: str | None = None, line: int | None = None,
                 severity: str = "error", hint: str | Msg | None = None, *,
                 params: Mapping[str, Any] | None = None, hint_params: Mapping[str, Any] | None = None):
        self.file, self.element_id, self.line = file, element_id, line
        self.msg = message if isinstance(message, Msg) else Msg(message, dict(params or {}))
        self.hint_msg = hint if isinstance(hint, Msg) or hint is None else Msg(hint, dict(hint_params or {}))
        self.severity = severity  # "error" refuses a deploy, "warning" does not

    @property
    def message(self) -> str:
        return str(self.msg)

    @property
    def hint(self) -> str | None:
        return None if self.hint_msg is None else str(self.hint_msg)

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}"
        if self.element_id:
            where += f" [{self.element_id}]"
        return f"{where}: {self.message}"

    def reported(self, before_fix: str) -> str:
        """The problem as a report lists it: where, what, its severity, then its fix after `before_fix`."""
        return f"{self} ({self.severity})" + (f"{before_fix}fix: {self.hint}" if self.hint else "")

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "element_id": self.element_id, "line": self.line, "message": self.message,
                "severity": self.severity, "hint": self.hint}


class DeployFailed(PolkuError):
    code = "deploy"

    def __init__(self, problems: list[DeployProblem]):
        self.problems = problems
        first = str(problems[0]) if problems else "invalid bundle"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{first}{more}; nothing was deployed")

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.message, "code": self.code, "problems": [p.to_dict() for p in self.problems]}
