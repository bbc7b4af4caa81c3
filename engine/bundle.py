"""Compiling a bundle of BPMN + DMN files into deployable processes, or a list of problems.

Everything is checked before anything is stored: XML syntax, the BPMN XSD, structure
(start events, flows that lead somewhere, supported elements), DMN references, service
handlers, form definitions, and every Python text the engine will run (conditions, scripts,
timer expressions, DMN cells) compiled in the sandbox.
"""
from __future__ import annotations

import ast
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from . import bpmn_xml
from .bpmn_xml import Tree
from .design_checks import ERROR, bundle_processes, design_problems
from .dmn_checks import dmn_problems
from .dmn_inputs import dmn_input_problems
from .errors import DeployFailed, DeployProblem
from .fieldtypes import N_, Msg
from .form_definitions import check_form_definition
from .forms import field_definitions
from .parser import PolkuParser
from .users import ROLES

if TYPE_CHECKING:
    from .runtime import Runtime
    from .sandbox import SandboxedScriptEngine


@dataclass(frozen=True)
class BundleFile:
    name: str
    data: bytes
    catalogs: Path | None = None  # the label translations beside a file read from disk (design_labels)


@dataclass(frozen=True)
class CompiledProcess:
    key: str
    name: str | None
    hash: str
    sources: dict[str, str]
    spec: str
    extensions: dict[str, dict[str, Any]]
    labels: dict[str, str]  # the Finnish labels readers show, keyed as `definition_labels` keys them


def read_bundle(paths: list[str | Path]) -> list[BundleFile]:
    """Files from paths; a folder contributes its *.bpmn and *.dmn files (sorted)."""
    files: list[BundleFile] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            members = sorted(p for p in path.iterdir() if p.suffix in (".bpmn", ".dmn") and p.is_file())
        elif path.is_file():
            members = [path]
        else:
            raise DeployFailed([DeployProblem(str(path), N_("no such file or folder"))])
        files.extend(BundleFile(p.name, p.read_bytes(), p.parent / "translations") for p in members)
    if not files:
        raise DeployFailed([DeployProblem(", ".join(map(str, paths)) or "(none)", N_("no .bpmn or .dmn files found"))])
    return files


def compile_bundle(files: list[BundleFile], runtime: Runtime,
                   warnings: list[DeployProblem] | None = None) -> list[CompiledProcess]:
    """The bundle's processes, or DeployFailed with every error found; `warnings` (when given)
    collects what a designer should see but does not refuse the bundle (design_checks)."""
    problems: list[DeployProblem] = []
    trees: dict[str, etree._ElementTree] = {}
    for f in files:
        try:
            trees[f.name] = bpmn_xml.parse_xml(f.data)
        except etree.XMLSyntaxError as exc:
            problems.append(DeployProblem(f.name, N_("malformed XML: %(detail)s"), line=exc.lineno,
                                          params={"detail": exc.msg}))
        except bpmn_xml.RefusedXML as exc:
            problems.append(DeployProblem(f.name, str(exc)))
    if problems:
        raise DeployFailed(problems)

    dmn_files = {n: t for n, t in trees.items() if bpmn_xml.is_dmn(t)}
    bpmn_files = {n: t for n, t in trees.items() if n not in dmn_files}
    decisions = set().union(*(bpmn_xml.decision_ids(t) for t in dmn_files.values())) if dmn_files else set()

    parser = PolkuParser()
    callable_processes = bundle_processes(bpmn_files.values())
    for name, tree in bpmn_files.items():
        try:
            parser.add_bpmn_xml(tree, filename=name)
        except ValidationException as exc:
            problems.append(_from_validation(name, tree, exc))
            continue
        problems.extend(_static_problems(name, tree, decisions, runtime))
        catalogs = next(f.catalogs for f in files if f.name == name)
        for found in design_problems(name, tree, ROLES, catalogs, callable_processes):
            if found.severity == ERROR:
                problems.append(found)
            elif warnings is not None:
                warnings.append(found)
    for name, tree in dmn_files.items():
        own = dmn_problems(name, tree, runtime.script_engine)
        problems.extend(own)
        if own:
            continue
        try:
            parser.add_dmn_xml(tree.getroot(), filename=name)
            for decision_id in bpmn_xml.decision_ids(tree):
                parser.dmn_parsers[decision_id].parse()  # lazily parsed otherwise: surface errors now
        except ValidationException as exc:
            problems.append(_from_validation(name, tree, exc))
        except Exception as exc:  # the DMN parser raises bare errors on odd tables
            problems.append(DeployProblem(name, N_("invalid DMN: %(detail)s"), params={"detail": exc}))
    problems.extend(dmn_input_problems(bpmn_files, dmn_files, runtime))  # inputs no caller provides
    if problems:
        raise DeployFailed(problems)

    compiled: list[CompiledProcess] = []
    by_name = {f.name: f for f in files}
    decision_file = {d: n for n, t in dmn_files.items() for d in bpmn_xml.decision_ids(t)}
    for name, tree in bpmn_files.items():
        extensions = bpmn_xml.read_extensions(tree)
        for proc in tree.xpath("//bpmn:process[@isExecutable='true']", namespaces=bpmn_xml.NS):
            key = proc.get("id")
            try:
                spec = parser.get_spec(key)
                subs = parser.get_subprocess_specs(key)
            except ValidationException as exc:
                problems.append(_from_validation(name, tree, exc))
                continue
            problems.extend(_form_problems(name, tree, spec, subs, runtime))
            # The version follows the bytes of every file this process uses: its own, those of
            # the processes it calls, and the DMN files of the decisions any of them reference.
            used_files = {name} | {Path(getattr(s, "file", "") or "").name for s in subs.values()}
            used_files &= by_name.keys()
            for bpmn_name in list(used_files):
                for _task, ref, _line in bpmn_xml.decision_refs(trees[bpmn_name]):
                    assert ref is not None  # a task without a decisionRef was refused above
                    used_files.add(decision_file[ref])
                for _element, _line, ref in bpmn_xml.validation_decisions(trees[bpmn_name]):
                    used_files.add(decision_file[ref])
            sources = {n: by_name[n].data.decode() for n in sorted(used_files)}
            digest = hashlib.sha256()
            for n in sorted(used_files):
                digest.update(n.encode() + b"\0" + by_name[n].data + b"\0")
            for sub in subs.values():  # call activities: their extensions travel with the caller
                extensions.update(bpmn_xml.read_extensions(trees.get(Path(getattr(sub, "file", "")).name, tree)))
            # Stored with the version so that no reader parses XML: the start event (its id
            # prefixes the start form's label keys) and the labels of every element.
            extensions[key] = {**extensions.get(key, {}), "start_event": start_event_id(tree, key)}
            compiled.append(
                CompiledProcess(
                    key=key,
                    name=proc.get("name"),
                    hash=digest.hexdigest(),
                    sources=sources,
                    spec=runtime.codec.dump_spec(spec, subs),
                    extensions=extensions,
                    labels=definition_labels(trees[n] for n in sorted(used_files) if n in bpmn_files),
                )
            )
    if problems:
        raise DeployFailed(problems)
    if not compiled:
        raise DeployFailed([DeployProblem(", ".join(bpmn_files) or "bundle",
                                          N_("no executable process in the bundle"))])
    return compiled


def check_bundle(files: list[BundleFile], runtime: Runtime) -> list[DeployProblem]:
    """Everything a deploy of `files` would refuse (errors) and what a designer should see beside
    it (warnings), by file and line; nothing is stored."""
    found: list[DeployProblem] = []
    try:
        compile_bundle(files, runtime, warnings=found)
    except DeployFailed as exc:
        found += exc.problems
    return sorted(found, key=lambda p: (p.file, p.line or 0, p.severity != ERROR, p.element_id or ""))


def start_event_id(tree: Tree, key: str) -> str | None:
    found = tree.xpath("//bpmn:process[@id=$key]/bpmn:startEvent/@id", namespaces=bpmn_xml.NS, key=key)
    return str(found[0]) if found else None


def definition_labels(trees: Iterable[Tree]) -> dict[str, str]:
    """The Finnish labels of BPMN trees, keyed the way translations key them: ``element`` →
    name (tasks, events, gateways, lanes), ``element.field`` → form field label,
    ``element.field.option`` → option name. The first file that names a key wins."""
    labels: dict[str, str] = {}
    for root in trees:
        for el in root.iter(f"{{{bpmn_xml.BPMN}}}*"):
            if el.get("id") and el.get("name"):
                labels.setdefault(el.get("id"), el.get("name"))
        for field in root.iter(f"{{{bpmn_xml.CAMUNDA}}}formField"):
            owner = field.xpath("ancestor::*[@id][1]")
            if not owner or not field.get("id"):
                continue
            key = f"{owner[0].get('id')}.{field.get('id')}"
            if field.get("label"):
                labels.setdefault(key, field.get("label"))
            for value in field.iter(f"{{{bpmn_xml.CAMUNDA}}}value"):
                if value.get("id") and value.get("name"):
                    labels.setdefault(f"{key}.{value.get('id')}", value.get("name"))
    return labels


def _from_validation(name: str, tree: Tree, exc: ValidationException) -> DeployProblem:
    element = getattr(exc, "id", None) or None
    line = exc.line_number if isinstance(getattr(exc, "line_number", None), int) else None
    # SpiffWorkflow leaves line_number empty for element errors: find the element ourselves.
    line = line or bpmn_xml.line_of(tree, element)
    detail = (exc.args[0] if exc.args else str(exc)).strip()
    return DeployProblem(name, N_("SpiffWorkflow's parser refused it: %(detail)s"), element_id=element, line=line,
                         params={"detail": detail})


def _static_problems(name: str, tree: Tree, decisions: set[str], runtime: Runtime) -> list[DeployProblem]:
    problems = [DeployProblem(name, msg, el, line) for el, line, msg in bpmn_xml.structural_problems(tree)]
    for element, line, decision in bpmn_xml.validation_decisions(tree):
        if decision not in decisions:
            problems.append(DeployProblem(name, N_("validation decision '%(decision)s' is not in the bundle"),
                                          element, line, params={"decision": decision}))
    for proc_id, ext in bpmn_xml.read_extensions(tree).items():
        for form_problem in check_form_definition(ext.get("start_form") or [], runtime.field_types):
            problems.append(DeployProblem(name, N_("start form: %(detail)s"), proc_id,
                                          bpmn_xml.line_of(tree, proc_id), params={"detail": form_problem}))
    for task_id, ref, line in bpmn_xml.decision_refs(tree):
        if not ref:
            problems.append(DeployProblem(name, N_("business rule task has no camunda:decisionRef"), task_id, line))
        elif ref not in decisions:
            problems.append(DeployProblem(name, N_("decision '%(decision)s' is not in the bundle"), task_id, line,
                                          params={"decision": ref}))
    for element, ext in bpmn_xml.read_extensions(tree).items():
        if "handler" in ext:
            handler = ext["handler"]
            if not handler:
                msg = N_("service task names no handler"
                         " (camunda:type=\"external\" with camunda:topic, or a 'handler' property)")
                problems.append(DeployProblem(name, msg, element, bpmn_xml.line_of(tree, element)))
            elif handler not in runtime.handlers:
                known = ", ".join(runtime.handlers.names()) or Msg(N_("none"))
                msg = N_("unknown service handler '%(handler)s' (registered: %(known)s)")
                problems.append(DeployProblem(name, msg, element, bpmn_xml.line_of(tree, element),
                                              params={"handler": handler, "known": known}))
            else:
                problems.extend(_property_problems(name, tree, element, handler, ext.get("properties") or {}, runtime))
    for element, line, kind, text in bpmn_xml.expressions(tree):
        message = check_expression(runtime.script_engine, kind, text)
        if message:
            problems.append(DeployProblem(name, message, element, line, hint=_expression_hint(kind, text)))
    return problems


def _property_problems(name: str, tree: Tree, element: str, handler: str, properties: dict[str, str | None],
                       runtime: Runtime) -> list[DeployProblem]:
    """The camunda:properties the handler declared it needs: present, and one of its values."""
    problems = []
    for prop, allowed in sorted(runtime.handlers.requirements(handler).items()):
        value = properties.get(prop)
        params = {"handler": handler, "property": prop, "value": value, "allowed": ", ".join(allowed or ())}
        if value is None or not value.strip():
            msg = (N_("service handler '%(handler)s' needs the camunda:property '%(property)s' (one of: %(allowed)s)")
                   if allowed else N_("service handler '%(handler)s' needs the camunda:property '%(property)s'"))
        elif allowed and value not in allowed:
            msg = N_("service handler '%(handler)s': property '%(property)s' is '%(value)s', not one of: %(allowed)s")
        else:
            continue
        problems.append(DeployProblem(name, msg, element, bpmn_xml.line_of(tree, element), params=params))
    return problems


def check_expression(script_engine: SandboxedScriptEngine, kind: str, text: str) -> Msg | None:
    """Why `text` cannot run as a `kind` (condition, script, timeDate, ...), or None."""
    if not text:
        return Msg(N_("empty %(kind)s"), {"kind": kind})
    mode = "exec" if kind == "script" else "eval"
    try:
        script_engine.validate(text, mode=mode)
    except SyntaxError as exc:
        return Msg(N_("%(kind)s is not valid Python: %(detail)s (%(text)s)"),
                   {"kind": kind, "detail": exc.msg, "text": repr(text)})
    except Exception as exc:  # SandboxViolation and friends
        return Msg(N_("%(kind)s is not allowed: %(detail)s"), {"kind": kind, "detail": exc})
    if kind.startswith("time"):
        return _timer_problem(kind, text)
    return None


def _expression_hint(kind: str, text: str) -> Msg:
    """How to write a `kind` as Python, naming the other languages a modeler suggests."""
    stripped = text.strip()
    if stripped.startswith(("${", "#{")):
        return Msg(N_("this is JUEL (Camunda 7): expressions here are Python, e.g. %(example)s"),
                   {"example": stripped[2:-1].strip() or "x > 1"})
    if stripped.startswith("="):
        return Msg(N_("this is FEEL (Camunda 8): expressions here are Python, e.g. %(example)s"),
                   {"example": stripped[1:].strip() or "x > 1"})
    if kind.startswith("time"):
        return Msg(N_('a quoted ISO 8601 text: "P14D" (a duration), "2026-01-01T09:00:00+02:00" (a date), '
                      '"R3/P1D" (a cycle)'))
    return Msg(N_("write it as a Python expression over the process data"))


# What an unquoted ISO 8601 value looks like (P14D, PT1H, R3/P1D, 2026-01-01T…), as opposed
# to a variable name such as `period_end_at`.
_ISO_LIKE = re.compile(r"(R\d*/.*|P(\d|T\d).*|\d{4}-\d{2}-\d{2}.*)", re.IGNORECASE)


def _timer_problem(kind: str, text: str) -> Msg | None:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        if _ISO_LIKE.fullmatch(text.strip()):
            return Msg(N_('%(kind)s %(text)s must be a quoted Python string, e.g. "%(bare)s" (expressions are Python, '
                          'not FEEL)'), {"kind": kind, "text": repr(text), "bare": text})
        return None  # an expression over process data (e.g. a variable): checked when it runs
    if not isinstance(value, str):
        return Msg(N_("%(kind)s must give an ISO 8601 text, not %(type)s"),
                   {"kind": kind, "type": type(value).__name__})
    from .clock import Clock
    from .timers import parse_cycle

    try:
        if kind == "timeCycle":
            parse_cycle(value, Clock().now())
        elif kind == "timeDuration":
            from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

            TimerEventDefinition.parse_iso_duration(value)
        else:
            from .expressions import to_due_time

            to_due_time(value, Clock().now())
    except Exception:
        return Msg(N_("%(kind)s %(value)s is not a valid ISO 8601 value"), {"kind": kind, "value": repr(value)})
    return None


# spec and subs are SpiffWorkflow process specs (untyped): the main one and those it calls, by id.
def _form_problems(name: str, tree: Tree, spec: Any, subs: dict[str, Any], runtime: Runtime) -> list[DeployProblem]:
    problems: list[DeployProblem] = []
    for proc in [spec, *subs.values()]:
        for task_spec in proc.task_specs.values():
            form = getattr(task_spec, "form", None)
            if form is None:
                continue
            for message in check_form_definition(field_definitions(form), runtime.field_types):
                element = task_spec.bpmn_id
                problems.append(DeployProblem(name, N_("form: %(detail)s"), element, bpmn_xml.line_of(tree, element),
                                              params={"detail": message}))
    return problems
