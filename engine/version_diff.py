"""A process's deployed versions, and what changed between two of them, element by element, as a
designer reads it:
elements added, removed, and changed in what a person or the engine acts on: the type, the name,
the lane, the candidate groups, the form's fields, a flow's condition or ends, a timer.

Read from the versions' stored sources (``ProcessDefinition.sources``), so any two versions compare,
whoever deployed them and from where. Elements are matched by id: a designer who renames an element
in the modeler keeps its id, and the change shows as a new name.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from . import bpmn_xml
from .access import ADMIN, Facts, HasRole, require
from .bpmn_xml import BPMN, NS, SUPPORTED_FLOW_NODES, local
from .db import UnitOfWork
from .errors import NotFound
from .models import Instance, ProcessDefinition, User
from .users import load_actor

CAMUNDA_FORM = "{http://camunda.org/schema/1.0/bpmn}formField"
TIMERS = ("timeDate", "timeDuration", "timeCycle")


@dataclass(frozen=True)
class Change:
    element_id: str
    change: str  # added | removed | changed
    kind: str  # the element's BPMN type (the new one when it changed)
    name: str | None
    what: tuple[str, ...] = ()  # for "changed": which facts differ (FACTS' keys)


def element_facts(sources: dict[str, str]) -> dict[str, dict[str, Any]]:
    """{element id: {fact: value}} for the flow nodes and sequence flows of the BPMN sources."""
    found: dict[str, dict[str, Any]] = {}
    for text in sources.values():
        tree = bpmn_xml.parse_xml(text)
        if bpmn_xml.is_dmn(tree):
            continue
        lanes = {ref.text.strip(): lane.get("name") or lane.get("id")
                 for lane in tree.xpath("//bpmn:lane", namespaces=NS)
                 for ref in lane.xpath("./bpmn:flowNodeRef", namespaces=NS) if ref.text}
        for el in tree.iter(*(f"{{{BPMN}}}{k}" for k in (*SUPPORTED_FLOW_NODES, "sequenceFlow"))):
            cond = el.find(f"{{{BPMN}}}conditionExpression")
            found[el.get("id")] = {
                "type": local(el.tag), "name": el.get("name"), "lane": lanes.get(el.get("id")),
                "candidate groups": tuple(bpmn_xml.candidate_groups(el)),
                "form": tuple((f.get("id"), f.get("type"), f.get("label")) for f in el.iter(CAMUNDA_FORM)),
                "condition": (cond.text or "").strip() if cond is not None else None,
                "flow": (el.get("sourceRef"), el.get("targetRef")) if local(el.tag) == "sequenceFlow" else None,
                "timer": tuple((local(t.tag), (t.text or "").strip())
                               for t in el.iter(*(f"{{{BPMN}}}{k}" for k in TIMERS))),
            }
    return found


def diff(old: dict[str, str], new: dict[str, str]) -> list[Change]:
    """The changes from the `old` sources to the `new`, in the new file's order (removed ones last)."""
    before, after = element_facts(old), element_facts(new)
    changes = []
    for eid, facts in after.items():
        if eid not in before:
            changes.append(Change(eid, "added", facts["type"], facts["name"]))
            continue
        what = tuple(k for k, v in facts.items() if before[eid][k] != v)
        if what:
            changes.append(Change(eid, "changed", facts["type"], facts["name"], what))
    changes += [Change(eid, "removed", facts["type"], facts["name"]) for eid, facts in before.items()
                if eid not in after]
    return changes


def version_diff(uow: UnitOfWork, key: str, version: int | None = None) -> tuple[int | None, int, list[Change]]:
    """(previous version, version, its changes) of `key`'s `version` (default: the latest) against the
    version before it; with no version before, every element is added."""
    rows = {r.version: r.sources for r in uow.session.execute(
        select(ProcessDefinition.version, ProcessDefinition.sources).where(ProcessDefinition.key == key))}
    wanted = version if version is not None else max(rows, default=None)
    if wanted is None or wanted not in rows:
        raise NotFound(f"no deployed version {version} of {key!r}" if version else f"no deployed process {key!r}")
    earlier = max((v for v in rows if v < wanted), default=None)
    return earlier, wanted, diff(rows[earlier] if earlier is not None else {}, rows[wanted])


DESIGN_READERS = ADMIN | HasRole("designer")
RUNNING = ("running", "suspended", "error")  # an instance still on its version


def process_versions(uow: UnitOfWork, actor: str, key: str | None = None) -> list[dict[str, Any]]:
    """The deployed versions (of `key`, or of every process), newest first within each key: when,
    by whom, from where, the content hash and how many instances still run on each. For designers
    and admins (the process files, no client data); anyone else: Forbidden."""
    require(DESIGN_READERS, load_actor(uow, actor), Facts(), "process versions are for designers and admins")
    running = (select(Instance.definition_id, func.count().label("n")).where(Instance.status.in_(RUNNING))
               .group_by(Instance.definition_id).subquery())
    query = (select(ProcessDefinition.id, ProcessDefinition.key, ProcessDefinition.version, ProcessDefinition.name,
                    ProcessDefinition.hash, ProcessDefinition.deployed_at, ProcessDefinition.deployed_by,
                    ProcessDefinition.source, User.display_name, func.coalesce(running.c.n, 0).label("running"))
             .outerjoin(running, running.c.definition_id == ProcessDefinition.id)
             .outerjoin(User, User.username == ProcessDefinition.deployed_by)
             .order_by(ProcessDefinition.key, ProcessDefinition.version.desc()))
    if key is not None:
        query = query.where(ProcessDefinition.key == key)
    return [{"id": r.id, "key": r.key, "version": r.version, "name": r.name, "hash": r.hash,
             "deployed_at": r.deployed_at, "deployed_by": r.display_name or r.deployed_by, "source": r.source,
             "running": r.running} for r in uow.session.execute(query)]


def version_sources(uow: UnitOfWork, actor: str, key: str, version: int) -> dict[str, str]:
    require(DESIGN_READERS, load_actor(uow, actor), Facts(), "process versions are for designers and admins")
    sources = uow.session.scalar(select(ProcessDefinition.sources).where(ProcessDefinition.key == key,
                                                                         ProcessDefinition.version == version))
    if sources is None:
        raise NotFound(f"no deployed version {version} of {key!r}")
    return dict(sources)


def main_file(sources: dict[str, str], key: str) -> str | None:
    """The BPMN text among a version's sources that holds the process `key` (its diagram)."""
    for text in sources.values():
        tree = bpmn_xml.parse_xml(text)
        if not bpmn_xml.is_dmn(tree) and tree.xpath("//bpmn:process[@id=$key]", namespaces=NS, key=key):
            return text
    return None
