"""What a DMN file must be for SpiffWorkflow 3.2 to decide with it as its designer meant: one
decision table per file, a hit policy it evaluates, and cells that are Python (not FEEL, which the
Camunda Modeler's editor suggests) and that can match.

SpiffWorkflow tries an input cell as an expression compared with the input (``input == (cell)``),
else as the rest of a comparison (``input < 50``); ``?`` stands for the input (``1 <= ? <= 2``). Two
FEEL forms are Python too and then never match, silently: a list of values (``"a","b"``, a tuple
compared with the input) and a negation (``not("a")``, a boolean compared with it).

Hit policies: SpiffWorkflow stops at the first matching rule (UNIQUE, without checking that no
other matches; FIRST, as it says) or collects every match (COLLECT, without an aggregation). The
others would be evaluated as one of those, not as their name says.
"""
from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

from . import bpmn_xml
from .bpmn_xml import Tree
from .errors import DeployProblem
from .fieldtypes import N_, Msg

if TYPE_CHECKING:
    from .sandbox import SandboxedScriptEngine

HIT_POLICIES = ("UNIQUE", "FIRST", "COLLECT")
# A `?` outside quotes (SpiffWorkflow's own pattern, DMNEngine.evaluate).
INPUT_MARK = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")


def dmn_problems(name: str, tree: Tree, script_engine: SandboxedScriptEngine) -> list[DeployProblem]:
    problems: list[DeployProblem] = []
    decisions = [el for el in tree.iter() if bpmn_xml.local(el.tag) == "decision"]
    if len(decisions) != 1:
        # SpiffWorkflow 3.2 reads exactly one decision (table) per DMN file.
        element = decisions[1].get("id") if len(decisions) > 1 else None
        line = decisions[1].sourceline if len(decisions) > 1 else None
        problems.append(DeployProblem(name, N_("a DMN file must hold exactly one decision, not %(count)s"),
                                      element, line, hint=N_("put each decision table in a file of its own"),
                                      params={"count": len(decisions)}))
    for table in (el for el in tree.iter() if bpmn_xml.local(el.tag) == "decisionTable"):
        policy, aggregation = table.get("hitPolicy") or "UNIQUE", table.get("aggregation")
        if policy not in HIT_POLICIES or aggregation:
            shown = f"{policy} {aggregation}" if aggregation else policy
            problems.append(DeployProblem(
                name, N_("hit policy %(policy)s is not one SpiffWorkflow evaluates"), table.get("id"), table.sourceline,
                hint=N_("use UNIQUE or FIRST (the first matching rule decides) or COLLECT without an aggregation"),
                params={"policy": shown}))
    for element, line, kind, text in bpmn_xml.dmn_cells(tree):
        if not text or text == "-":
            continue
        message = cell_problem(script_engine, kind, text)
        if message:
            problems.append(DeployProblem(name, message[0], element, line, hint=message[1]))
    return problems


def cell_problem(script_engine: SandboxedScriptEngine, kind: str, text: str) -> tuple[Msg, Msg] | None:
    """(what is wrong, how to fix it) for a cell SpiffWorkflow would refuse or never match, or None."""
    if kind == "inputEntry" and INPUT_MARK.search(text):  # `?` is the input: one expression
        candidates = [INPUT_MARK.sub("dmninputexpr", text)]
    else:
        candidates = [text] if kind != "inputEntry" else [text, f"value {text}"]
    errors: list[str] = []
    for candidate in candidates:
        try:
            script_engine.validate(candidate, mode="eval")
        except SyntaxError as exc:
            errors.append(exc.msg)
            continue
        except Exception as exc:
            return (Msg(N_("DMN %(kind)s is not allowed: %(detail)s"), {"kind": kind, "detail": exc}),
                    Msg(N_("use only the names and functions the sandbox offers")))
        return _never_matches(text) if kind == "inputEntry" and candidate == text else None
    hint = Msg(N_("a FEEL range such as [1..2] is written 1 <= ? <= 2") if ".." in text else
               N_("cells are Python: a text in quotes, a number, or a comparison such as < 50"))
    return Msg(N_("DMN %(kind)s %(text)s is not a Python expression (cells are Python, not FEEL): %(detail)s"),
               {"kind": kind, "text": repr(text), "detail": errors[0]}), hint


def _never_matches(text: str) -> tuple[Msg, Msg] | None:
    body = ast.parse(text, mode="eval").body
    if isinstance(body, ast.Tuple):
        return (Msg(N_("DMN inputEntry %(text)s is a FEEL list of values: in Python it is one tuple, which the "
                       "input never equals"), {"text": repr(text)}),
                Msg(N_("write %(fix)s to match any of them"), {"fix": f"? in ({text})"}))
    if isinstance(body, ast.UnaryOp) and isinstance(body.op, ast.Not):
        return (Msg(N_("DMN inputEntry %(text)s is a FEEL negation: in Python it is a true or false value compared "
                       "with the input"), {"text": repr(text)}),
                Msg(N_('write ? != "a" for one value, or ? not in ("a", "b") for several')))
    return None
