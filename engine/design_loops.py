"""Loops that would run until SpiffWorkflow's depth limit stops the instance (engine.runtime's
MAX_TASK_DEPTH): found in a BPMN file before it is deployed (engine.design_checks calls these).

Each scope's sequence flows form a graph; its cycles are its strongly connected components (a
component of one element counts when a flow leads from it to itself). A cycle is bounded when
- an element of it waits for the outside world: a user, manual or receive task, an intermediate
  catch event (message, signal, timer), an event-based gateway, an element with a timer boundary
  event, a subprocess that holds such a wait, or a call activity to a process of the bundle that
  holds one (a call to a process outside the bundle may wait: Polku cannot tell, so its cycle is
  not reported); or
- it counts its rounds: a script task of the cycle changes a variable by itself (``n = n + 1``,
  ``n += 1``, ``n = n - 1``, ``n -= 1``) and a condition that decides whether to go round again
  reads it (on a flow that leaves the cycle, or on a flow out of one of the cycle's gateways).
Anything else is an automatic loop with no counter: an error.

An activity with ``bpmn:standardLoopCharacteristics`` repeats itself: with no ``loopMaximum`` and
nothing that waits or counts (as above, the script being the activity's own), a warning.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping

from .bpmn_xml import BPMN, SUPPORTED_FLOW_NODES, Element, local
from .errors import DeployProblem
from .fieldtypes import N_
from .pynames import counted_names, free_names

WAITING = {"userTask", "manualTask", "receiveTask", "intermediateCatchEvent", "eventBasedGateway"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway"}
NESTED = {"subProcess", "transaction"}
CALL_OR_WAIT = WAITING | {"callActivity"}

# design_checks._problem: (file name, element, message, hint, severity, **params) -> DeployProblem
MakeProblem = Callable[..., DeployProblem]


def loop_problems(name: str, scope: Element, problem: MakeProblem,
                  processes: Mapping[str, Element] | None = None) -> list[DeployProblem]:
    """The automatic loops of one scope (a process or subprocess; not the scopes inside it);
    `processes` are the bundle's processes by id, which its call activities may call."""
    called = processes or {}
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
        if any(_waits(el, called) or el.get("id") in timed for el in members):
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
        found += _standard_loop(name, el, el.get("id") in timed, problem, called)
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


def _waits(el: Element, processes: Mapping[str, Element], seen: frozenset[str] = frozenset()) -> bool:
    """Whether running `el` waits (or may wait) for a person, a message, a signal or a time: a call
    activity as the process it calls, which may wait when it is not among `processes`."""
    kind = local(el.tag)
    if kind in WAITING:
        return True
    if kind == "callActivity":
        target = el.get("calledElement") or ""
        if target not in processes:
            return True  # outside the bundle (or an expression): it may wait
        return target not in seen and _holds_wait(processes[target], processes, seen | {target})
    if kind in NESTED:
        return _holds_wait(el, processes, seen)
    return False


def _holds_wait(container: Element, processes: Mapping[str, Element], seen: frozenset[str]) -> bool:
    """Whether anything inside `container` (a subprocess, a called process) waits."""
    return any(_timer_boundary(inner) or (local(inner.tag) in CALL_OR_WAIT and _waits(inner, processes, seen))
               for inner in container.iter(f"{{{BPMN}}}*"))


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
    return any(counters & free_names(_text(f, "conditionExpression")) for f in deciding)


def _standard_loop(name: str, el: Element, timed: bool, problem: MakeProblem,
                   processes: Mapping[str, Element]) -> list[DeployProblem]:
    loop = el.find(f"{{{BPMN}}}standardLoopCharacteristics")
    if loop is None or (loop.get("loopMaximum") or "").strip() or timed or _waits(el, processes):
        return []
    counters = counted_names(_text(el, "script")) if local(el.tag) == "scriptTask" else set()
    if counters & free_names(_text(loop, "loopCondition")):
        return []
    return [problem(name, el, N_("'%(id)s' repeats itself (standard loop) with no loopMaximum and no counter: it "
                                 "could run until SpiffWorkflow's depth limit stops the instance"),
                    N_("set loopMaximum on its loop characteristics, or count the rounds in its script and read "
                       "the count in the loop condition"), "warning")]


def _text(el: Element, child: str) -> str:
    found = el.find(f"{{{BPMN}}}{child}")
    return "" if found is None else (found.text or "").strip()
