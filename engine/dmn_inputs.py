"""DMN inputs no caller provides: a decision table's input expression reads a variable that nothing
in the process calling the decision ever sets, so it would fail only at run time (a NameError in the
sandbox).

What sets a variable in a process (anywhere in it: the order of the steps is not followed):
- the start form's fields (the start refuses any other name) and the start event's
  ``camunda:initiator``;
- every ``camunda:formField`` (user tasks' forms);
- the names a script task assigns at its top level (``x = ...``, ``x += ...``, ``for x in ...``,
  ``with ... as x``, ``(x := ...)``);
- the outputs of the decisions its business rule tasks run;
- what its service tasks' handlers declare they return (``ServiceRegistry.register(provides=...)``,
  enforced when they run);
- what SpiffWorkflow itself writes: multi-instance element variables and other ``camunda:...Variable``
  attributes, message payloads, data objects and data inputs/outputs.

A process is checked with the processes it calls and that call it (call activities share the data).
It cannot be checked, and is skipped, when a variable may come from where Polku cannot see: a start
without a start form (the caller's variables), a handler that declares no ``provides``, or a call
activity to a process outside the bundle. A DMN that no BPMN of the bundle references is skipped too
(it may serve a process deployed earlier). The sandbox's builtins and functions are never variables.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .bpmn_xml import BPMN, CAMUNDA, NS, Tree, form_fields, local, read_extensions
from .errors import DeployProblem
from .fieldtypes import N_
from .pynames import assigned_names, free_names
from .services import undeclared

if TYPE_CHECKING:
    from .bpmn_xml import Element
    from .runtime import Runtime

def dmn_input_problems(bpmn_trees: dict[str, Tree], dmn_trees: dict[str, Tree],
                       runtime: Runtime) -> list[DeployProblem]:
    """An error for every DMN input expression reading a name that no source in a calling process sets."""
    decisions = {d.get("id"): (name, d) for name, tree in dmn_trees.items()
                 for d in tree.iter() if local(d.tag) == "decision"}
    processes = {p.get("id"): (name, tree, p) for name, tree in bpmn_trees.items()
                 for p in tree.xpath("/bpmn:definitions/bpmn:process[@isExecutable='true']", namespaces=NS)}
    called = {p: set(el.xpath(".//bpmn:callActivity/@calledElement", namespaces=NS))
              for p, (_n, _t, el) in processes.items()}
    problems: dict[tuple[str, str, str], DeployProblem] = {}
    for group in _groups(called):
        provided = _provided(group, processes, called, decisions, runtime)
        if provided is None:
            continue  # a variable may come from where Polku cannot see
        refs = sorted({ref for p in group for ref in _decision_refs(processes[p][2])})
        for ref in refs:
            if ref not in decisions:
                continue  # refused on its own: the decision is not in the bundle
            dmn_name, decision = decisions[ref]
            for element_id, line, text in _inputs(decision):
                unknown = free_names(text) - runtime.script_engine.provided_names
                for name in undeclared(tuple(provided), unknown):  # provided: names and "prefix_*"
                    problems.setdefault((dmn_name, element_id, name), DeployProblem(
                        dmn_name, N_("input '%(input)s' reads %(name)s, which nothing in process %(process)s sets"),
                        element_id, line, hint=N_("set it in a form field, a script or a service task before the "
                                                  "decision, or fix the name"),
                        params={"input": element_id, "name": name, "process": ", ".join(sorted(group))}))
    return list(problems.values())


def _groups(called: dict[str, set[str]]) -> list[list[str]]:
    """The processes joined by call activities (either way), each group sorted."""
    parent = {p: p for p in called}

    def root(p: str) -> str:
        while parent[p] != p:
            p = parent[p]
        return p

    for p, targets in called.items():
        for t in targets & parent.keys():
            parent[root(t)] = root(p)
    groups: dict[str, list[str]] = {}
    for p in sorted(called):
        groups.setdefault(root(p), []).append(p)
    return list(groups.values())


def _provided(group: list[str], processes: dict[str, tuple[str, Tree, Element]], called: dict[str, set[str]],
              decisions: dict[str, tuple[str, Element]], runtime: Runtime) -> set[str] | None:
    """Every name something in the group sets, or None when that cannot be known."""
    callees = set().union(*(called[p] for p in group))
    if callees - processes.keys():
        return None  # a call into a process outside the bundle returns its data
    names: set[str] = set()
    for pid in group:
        _file, tree, proc = processes[pid]
        starts = proc.xpath("./bpmn:startEvent", namespaces=NS)
        if pid not in callees and not any(form_fields(s) for s in starts):
            return None  # started with whatever variables its caller sends
        names |= set(proc.xpath(".//camunda:formField/@id", namespaces=NS))
        for script in proc.xpath(".//bpmn:scriptTask/bpmn:script", namespaces=NS):
            names |= assigned_names(script.text or "")
        for ref in proc.xpath(".//bpmn:businessRuleTask/@camunda:decisionRef", namespaces=NS):
            if ref in decisions:
                names |= {o.get("name").split(".")[0] for o in decisions[ref][1].iter()
                          if local(o.tag) == "output" and o.get("name")}
        extensions = read_extensions(tree)
        for el in proc.xpath(".//bpmn:serviceTask | .//bpmn:sendTask", namespaces=NS):
            handler = str((extensions.get(el.get("id")) or {}).get("handler"))
            provides = runtime.handlers.provides(handler) if handler in runtime.handlers else None
            if provides is None:
                return None
            names |= set(provides)
        names |= _spiff_names(tree, proc)
    return names


def _spiff_names(tree: Tree, proc: Element) -> set[str]:
    """What SpiffWorkflow and Camunda attributes write into the data: camunda:initiator,
    camunda:...Variable (elementVariable, resultVariable, errorCodeVariable...), message
    payloads (by message name), data objects and data inputs/outputs."""
    names: set[str] = set()
    for el in proc.iter():
        for attr, value in el.attrib.items():
            if attr.startswith(f"{{{CAMUNDA}}}") and (attr.endswith("Variable") or attr.endswith("}initiator")):
                names.add(value)
        kind = local(el.tag)
        if kind in ("dataObject", "dataObjectReference", "dataInput", "dataOutput") and el.tag.startswith(f"{{{BPMN}"):
            names |= {v for v in (el.get("id"), el.get("name")) if v}
        if kind == "messageEventDefinition" and el.get("messageRef"):
            found = tree.xpath("//bpmn:message[@id=$id]/@name", namespaces=NS, id=el.get("messageRef"))
            names |= set(found)
    return names


def _decision_refs(proc: Element) -> set[str]:
    refs = set(proc.xpath(".//bpmn:businessRuleTask/@camunda:decisionRef", namespaces=NS))
    for el in proc.xpath(".//bpmn:userTask | .//bpmn:startEvent", namespaces=NS):
        refs |= set(el.xpath("./bpmn:extensionElements/camunda:properties/camunda:property"
                             "[@name='validation_decision']/@value", namespaces=NS))
    return refs


def _inputs(decision: Element) -> list[tuple[str, int, str]]:
    """(input id, line of its inputExpression, expression text) of a decision's table."""
    found = []
    for expr in (el for el in decision.iter() if local(el.tag) == "inputExpression"):
        text = "".join(t.text or "" for t in expr if local(t.tag) == "text")
        found.append((expr.getparent().get("id") or expr.get("id"), expr.sourceline, text))
    return found
