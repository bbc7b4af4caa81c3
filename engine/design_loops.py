"""Loops that would run until SpiffWorkflow's depth limit stops the instance (engine.runtime's
MAX_TASK_DEPTH): found in a BPMN file before it is deployed (engine.design_checks calls these).

Each scope's sequence flows form a graph; its cycles are its strongly connected components (a
component of one element counts when a flow leads from it to itself). A cycle is bounded when
- an element of it waits for the outside world: a user, manual or receive task, an intermediate
  catch event (message, signal, timer), an event-based gateway, an element with a timer boundary
  event, or a subprocess that holds such a wait; or
- it counts its rounds: a script task of the cycle changes a variable by itself (``n = n + 1``,
  ``n += 1``, ``n = n - 1``, ``n -= 1``) and a condition that decides whether to go round again
  reads it (on a flow that leaves the cycle, or on a flow out of one of the cycle's gateways).
Anything else is an automatic loop with no counter: an error.

An activity with ``bpmn:standardLoopCharacteristics`` repeats itself: with no ``loopMaximum`` and
nothing that waits or counts (as above, the script being the activity's own), a warning.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Callable

from .bpmn_xml import BPMN, SUPPORTED_FLOW_NODES, Element, local
from .errors import DeployProblem
from .fieldtypes import N_

WAITING = {"userTask", "manualTask", "receiveTask", "intermediateCatchEvent", "eventBasedGateway"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway"}
NESTED = {"subProcess", "transaction"}

# design_checks._problem: (file name, element, message, hint, severity, **params) -> DeployProblem
MakeProblem = Callable[..., DeployProblem]


def loop_problems(name: str, scope: Element, problem: MakeProblem) -> list[DeployProblem]:
    """The automatic loops of one scope (a process or subprocess; not the scopes inside it)."""
    nodes = {el.get("id"): el for el in _own(scope, SUPPORTED_FLOW_NODES) if el.get("id")}
    flows = [f for f in _own(scope, {"sequenceFlow"})
             if f.get("sourceRef") in nodes and f.get("targetRef") in nodes]
    after: dict[str, list[str]] = defaultdict(list)
    for flow in flows:
        after[flow.get("sourceRef")].append(flow.get("targetRef"))
    timed = {b.get("attachedToRef") for b in _own(scope, {"boundaryEvent"}) if _timer_boundary(b)}
    found = []
    for cycle in _cycles(list(nodes), after):
        members = [nodes[i] for i in cycle]
        if any(_waits(el) or el.get("id") in timed for el in members):
            continue
        if _counted(members, [f for f in flows if f.get("sourceRef") in cycle], cycle):
            continue
        gateways = [el for el in members if local(el.tag) in GATEWAYS]
        at = (gateways or members)[0]
        found.append(problem(
            name, at, N_("an automatic loop with no counter through %(elements)s: it would run until "
                         "SpiffWorkflow's depth limit stops the instance"),
            N_("add a script task to the loop that counts the rounds (e.g. rounds = rounds + 1) and a condition "
               "on the way out that reads it (e.g. rounds >= 10), or a user task or timer that waits in the loop"),
            elements=", ".join(cycle)))
    for el in nodes.values():
        found += _standard_loop(name, el, el.get("id") in timed, problem)
    return found


def _own(scope: Element, kinds: set[str]) -> list[Element]:
    return [el for el in scope if isinstance(el.tag, str) and el.tag.startswith(f"{{{BPMN}}}")
            and local(el.tag) in kinds]


def _cycles(order: list[str], after: dict[str, list[str]]) -> list[list[str]]:
    """The strongly connected components that are cycles, each in document order (Tarjan's
    algorithm, iterative: a long process must not reach Python's recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in order:
        if root in index:
            continue
        work = [(root, iter(after.get(root, ())))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            nxt = next(successors, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(after.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in after.get(node, ()):
                    position = {n: i for i, n in enumerate(order)}
                    found.append(sorted(component, key=position.__getitem__))
    return found


def _waits(el: Element) -> bool:
    """Whether running `el` waits for a person, a message, a signal or a time."""
    kind = local(el.tag)
    if kind in WAITING:
        return True
    if kind in NESTED:
        return any(local(inner.tag) in WAITING or _timer_boundary(inner) for inner in el.iter(f"{{{BPMN}}}*"))
    return False


def _timer_boundary(el: Element) -> bool:
    return local(el.tag) == "boundaryEvent" and el.find(f"{{{BPMN}}}timerEventDefinition") is not None


def _counted(members: list[Element], leaving: list[Element], cycle: list[str]) -> bool:
    """Whether a script of the cycle counts a variable that a condition deciding about the next
    round reads: on a flow out of the cycle, or on any flow out of one of its gateways."""
    counters: set[str] = set()
    for el in members:
        if local(el.tag) == "scriptTask":
            counters |= counted_names(_text(el, "script"))
    if not counters:
        return False
    gateways = {el.get("id") for el in members if local(el.tag) in GATEWAYS}
    deciding = [f for f in leaving if f.get("targetRef") not in cycle or f.get("sourceRef") in gateways]
    return any(counters & _read_names(_text(f, "conditionExpression")) for f in deciding)


def _standard_loop(name: str, el: Element, timed: bool, problem: MakeProblem) -> list[DeployProblem]:
    loop = el.find(f"{{{BPMN}}}standardLoopCharacteristics")
    if loop is None or (loop.get("loopMaximum") or "").strip() or timed or _waits(el):
        return []
    counters = counted_names(_text(el, "script")) if local(el.tag) == "scriptTask" else set()
    if counters & _read_names(_text(loop, "loopCondition")):
        return []
    return [problem(name, el, N_("'%(id)s' repeats itself (standard loop) with no loopMaximum and no counter: it "
                                 "could run until SpiffWorkflow's depth limit stops the instance"),
                    N_("set loopMaximum on its loop characteristics, or count the rounds in its script and read "
                       "the count in the loop condition"), "warning")]


def _text(el: Element, child: str) -> str:
    found = el.find(f"{{{BPMN}}}{child}")
    return "" if found is None else (found.text or "").strip()


def _parse(text: str, mode: str) -> ast.AST | None:
    try:
        return ast.parse(text, mode=mode)
    except (SyntaxError, ValueError):
        return None  # refused on its own (bundle.check_expression)


def counted_names(script: str) -> set[str]:
    """The variables a script steps up or down by itself: ``n = n + 1``, ``n = 1 + n``,
    ``n += 1``, ``n = n - 1``, ``n -= 1``."""
    tree = _parse(script, "exec")
    names: set[str] = set()
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.AugAssign) and isinstance(node.op, (ast.Add, ast.Sub)):
            if isinstance(node.target, ast.Name):
                names.add(node.target.id)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.BinOp) \
                and isinstance(node.value.op, (ast.Add, ast.Sub)):
            operands = [node.value.left] + ([node.value.right] if isinstance(node.value.op, ast.Add) else [])
            for target in node.targets:
                if isinstance(target, ast.Name) and any(isinstance(o, ast.Name) and o.id == target.id
                                                        for o in operands):
                    names.add(target.id)
    return names


def _read_names(condition: str) -> set[str]:
    tree = _parse(condition, "eval")
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} if tree is not None else set()
