"""Restricted execution of BPMN scripts, conditions, timer expressions and DMN cells.

SpiffWorkflow's default `TaskDataEnvironment` runs model code with plain `eval`/`exec`,
so anyone who can deploy a diagram can run arbitrary Python on the server. Here every
source string is compiled with RestrictedPython (which rewrites attribute access,
subscripts, iteration and writes into calls to guard functions and rejects names that
start with "_") and run with a small whitelist of builtins.

Every call runs under the environment's Budget (engine/budget.py: time and memory, with a
watchdog) and sandbox_limits.py's guards refuse single operations that would blow the
budget before they start.
"""
from __future__ import annotations

import ast
import copy
import functools
import operator
import re
import types
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from RestrictedPython.compile import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safe_builtins,
    safer_getattr_raise,
)
from RestrictedPython.PrintCollector import PrintCollector
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.exceptions import SpiffWorkflowException

from .budget import Budget
from .sandbox_limits import BudgetPolicy, Limits


class SandboxViolation(Exception):
    """Model code tried something the sandbox forbids; `str()` says what."""


# RestrictedPython's safe_builtins, minus setattr/delattr/__build_class__ (scripts have no
# business defining classes or setting attributes) and the exceptions outside Exception (which
# would catch the budget's interrupt), plus harmless helpers model authors use.
# safe_builtins leaves out sorted/tuple/zip/etc. only because they iterate in C past
# `_getiter_`; our `_getiter_` is plain `iter`, so they lose nothing.
_WITHHELD = frozenset({"setattr", "delattr", "__build_class__", "BaseException", "GeneratorExit",
                       "KeyboardInterrupt", "SystemExit"})
SAFE_BUILTINS: dict[str, Any] = {
    **{k: v for k, v in safe_builtins.items() if k not in _WITHHELD},
    "min": min, "max": max, "sum": sum, "sorted": sorted, "reversed": reversed,
    "any": any, "all": all, "map": map, "filter": filter,
    "list": list, "dict": dict, "set": set, "frozenset": frozenset, "tuple": tuple,
    "enumerate": enumerate, "zip": zip,
    # No `date`/`datetime` classes: their today()/now() would bypass the injected clock;
    # engine.script_functions offers clock-bound today() and now() instead.
    "timedelta": timedelta,
}

# Builtins that exist in normal Python but are deliberately withheld: a NameError for one
# of these is reported as a violation rather than as a typo.
FORBIDDEN_NAMES = frozenset({
    "__import__", "open", "eval", "exec", "compile", "getattr", "setattr", "delattr",
    "hasattr", "type", "vars", "globals", "locals", "dir", "input", "breakpoint", "help",
    "object", "super", "memoryview", "exit", "quit", "classmethod", "staticmethod", "property",
    "BaseException", "GeneratorExit", "KeyboardInterrupt", "SystemExit",
})

# `a += b` on a plain name is compiled to `_inplacevar_("+=", a, b)`.
INPLACE_OPERATORS: types.MappingProxyType[str, Callable[[Any, Any], Any]] = types.MappingProxyType({
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow,
    "<<=": operator.ilshift, ">>=": operator.irshift, "&=": operator.iand,
    "^=": operator.ixor, "|=": operator.ior, "@=": operator.imatmul,
})

# RestrictedPython reports violations as "Line N: <text>"; turn the common ones into
# messages a model author can act on.
_MESSAGES = (
    (re.compile(r'"(\w+)" is an invalid variable name because it starts with "_"'),
     "forbidden: name '{0}' is not available (names starting with '_' are not allowed)"),
    (re.compile(r'"(__\w+)" is an invalid attribute name'),
     "forbidden: access to '{0}' (dunder attributes are not allowed)"),
    (re.compile(r'"(\w+)" is an invalid attribute name'),
     "forbidden: access to '{0}' (attributes starting with '_' are not allowed)"),
    (re.compile(r'"(\w+)" is a restricted name'),
     "forbidden: access to '{0}' (introspection attributes are not allowed)"),
    (re.compile(r"Eval calls are not allowed"), "forbidden: 'eval' is not available"),
    (re.compile(r"Exec calls are not allowed"), "forbidden: 'exec' is not available"),
)
_LINE = re.compile(r"^Line (\d+|None): (.*)$", re.S)


def _explain(error: str) -> str:
    match = _LINE.match(error)
    line, text = (match.group(1), match.group(2)) if match else (None, error)
    for pattern, template in _MESSAGES:
        found = pattern.search(text)
        if found:
            text = template.format(*found.groups())
            break
    else:
        text = f"forbidden: {text.rstrip('.')}"
    return f"{text} (line {line})" if line not in (None, "None") else text


@functools.lru_cache(maxsize=2048)
def compile_sandboxed(source: str, mode: str = "exec") -> types.CodeType:
    """Compile `source` ("exec" or "eval") under RestrictedPython's policy.

    Cached because the same gateway condition or DMN cell is evaluated over and over.
    Failures are not cached (lru_cache does not store exceptions), which is fine: they stop
    the deploy. A syntax error stays a plain SyntaxError with line and offset; DMN relies on
    that (it retries a cell like "< 50" as "v < 50" when validate raises SyntaxError).
    """
    tree = ast.parse(source, "<string>", mode)
    # Imports compile fine under RestrictedPython and only fail at run time ("__import__
    # not found"); reject them here so the deploy check catches them too.
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            raise SandboxViolation(f"forbidden: import statements are not allowed (line {node.lineno})")
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    # Filename "<string>" lets PythonScriptEngine find the failing line in tracebacks.
    result = compiler(tree, "<string>", policy=BudgetPolicy)  # type: ignore[arg-type]  # it takes an AST too
    if result.errors or result.code is None:
        raise SandboxViolation("; ".join(dict.fromkeys(_explain(e) for e in result.errors)))
    return result.code


def _guarded_getattr(obj: object, name: str) -> Any:
    # The compiler already refuses literal "_x" attributes; this also covers odd call paths.
    # safer_getattr_raise, not safer_getattr: the latter returns None for missing attributes.
    if isinstance(name, str) and name.startswith("_"):
        raise SandboxViolation(f"forbidden: access to '{name}' (attributes starting with '_' are not allowed)")
    return safer_getattr_raise(obj, name)  # type: ignore[no-untyped-call]


# Calls with *args / **kwargs go through _apply_.
def _apply(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


# Guard functions RestrictedPython's rewritten code calls. Applied last when building the
# globals so task data (which may hold any key) can never replace them. The environment adds
# the budget-bound ones (`_inplacevar_`, `_binop_`, `_fmtspec_`, sized `_getattr_`).
GUARDS = types.MappingProxyType({
    "__builtins__": SAFE_BUILTINS,
    "_getattr_": _guarded_getattr,
    "_getitem_": operator.getitem,
    "_getiter_": iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,  # item writes only to dict/list, e.g. ones the script built
    "_apply_": _apply,
    "_print_": PrintCollector,  # print() collects output and discards it instead of failing
})


def _reraise_forbidden_name(err: NameError) -> None:
    if err.name in FORBIDDEN_NAMES:
        raise SandboxViolation(f"forbidden: '{err.name}' is not available") from err


class SandboxedEnvironment(BasePythonScriptEngineEnvironment):
    """Runs expressions and scripts on task data under RestrictedPython."""

    def __init__(self, functions: dict[str, Callable[..., Any]] | None = None, budget: Budget | None = None):
        super().__init__(dict(functions or {}))
        self.budget = budget or Budget()
        limits = Limits(self.budget.memory_bytes)
        self.guards: dict[str, Any] = {
            **GUARDS, **limits.guards(),
            "__builtins__": {**SAFE_BUILTINS, "range": limits.range, "pow": limits.pow},
            "_getattr_": lambda obj, name: limits.sized(obj, name, _guarded_getattr(obj, name)),
            "_inplacevar_": lambda op, target, value: limits.inplace(op, target, value, INPLACE_OPERATORS[op]),
        }

    def _globals(self, context: dict[str, Any], external_context: dict[str, Any] | None) -> dict[str, Any]:
        # Same precedence as TaskDataEnvironment (functions < external < task data), then guards.
        return {**self.globals, **(external_context or {}), **context, **self.guards}

    def evaluate(self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> Any:
        code = compile_sandboxed(expression, "eval")
        # A shallow copy is enough to keep name bindings out of task data; no deep copy
        # here because conditions and DMN cells run often and should not mutate anything.
        try:
            return self.budget.run(eval, code, self._globals(context, external_context))
        except NameError as err:
            _reraise_forbidden_name(err)
            raise

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> bool:
        external_context = external_context or {}
        clash = (set(self.globals) | set(external_context)) & set(context)
        if clash:  # same fail-fast check as TaskDataEnvironment.check_for_overwrite
            raise ValueError(f"Task data overwrites predefined function(s), rename: {sorted(clash)}")
        code = compile_sandboxed(script, "exec")
        # SpiffWorkflow 3.2 shares nested dicts between tasks' data: run on a deep copy so
        # `d["k"] = 1` or `items.append(x)` cannot leak into other tasks, then replace values.
        scope = self._globals(copy.deepcopy(context), external_context)
        try:
            self.budget.run(exec, code, scope)
        except NameError as err:
            _reraise_forbidden_name(err)
            raise
        for key in [k for k in context if k not in scope]:  # `del x` in the script
            del context[key]
        for key, value in scope.items():
            if self._is_task_data(key, value, external_context):
                context[key] = value
        return True

    def _is_task_data(self, key: str, value: object, external_context: dict[str, Any]) -> bool:
        # Like TaskDataEnvironment: functions, modules, globals and external names are not data.
        return not (key.startswith("_") or key in self.globals or key in external_context
                    or callable(value) or isinstance(value, types.ModuleType))

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise NotImplementedError("service tasks are not run by the script sandbox")


class SandboxedScriptEngine(PythonScriptEngine):
    """PythonScriptEngine whose environment is the sandbox; `functions` are exposed to models."""

    def __init__(self, functions: dict[str, Callable[..., Any]] | None = None, budget: Budget | None = None):
        sandbox = SandboxedEnvironment(functions, budget)
        super().__init__(environment=sandbox)
        self.budget = sandbox.budget
        # Names a script gets from its environment, not from task data (engine.retrydata).
        self.provided_names = frozenset(sandbox.globals) | frozenset(sandbox.guards["__builtins__"])

    def validate(self, expression: str, mode: str = "exec") -> None:
        """Compile without running: raises SyntaxError or SandboxViolation.

        "exec" accepts scripts and bare expressions (what SpiffWorkflow's DMN engine
        expects); pass mode="eval" to insist on a single expression, e.g. a condition.
        """
        compile_sandboxed(expression, mode)

    def evaluate(self, task: Any, expression: str, external_context: dict[str, Any] | None = None) -> Any:
        # Same wrapping as PythonScriptEngine.evaluate, but the base class drops the
        # underlying message from str(); include it and chain the cause.
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except SpiffWorkflowException as se:
            se.add_note(f"Error evaluating expression '{expression}'")
            raise
        except Exception as err:
            raise WorkflowTaskException(
                f"Error evaluating expression '{expression}': {type(err).__name__}: {err}",
                task=task, exception=err) from err

    def create_task_exec_exception(self, task: Any, script: str, err: Exception) -> Exception:
        wrapped: Exception = super().create_task_exec_exception(task, script, err)
        if wrapped is not err:
            wrapped.__cause__ = err
        return wrapped

    def call_service(self, task: Any, **kwargs: Any) -> Any:
        # The base method refers to an undefined `script` in its error path (NameError).
        try:
            return self.environment.call_service(task.data, **kwargs)
        except Exception as err:
            raise WorkflowTaskException(f"{type(err).__name__}: {err}", task=task, exception=err) from err
