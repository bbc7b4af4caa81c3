"""The deploy command: a bundle becomes new process versions, or nothing at all."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree
from sqlalchemy import func, select

from . import audit, bpmn_xml
from .bundle import BundleFile, compile_bundle
from .errors import Forbidden
from .models import ProcessDefinition
from .users import load_actor

if TYPE_CHECKING:
    from .db import UnitOfWork
    from .runtime import Runtime


@dataclass(frozen=True)
class DeployResult:
    key: str
    version: int
    status: str  # new | unchanged
    name: str | None = None  # the process's name in the file (Finnish), for a reader


SOURCES = ("cli", "web", "modeler")  # where a version was deployed from


def deploy(uow: UnitOfWork, runtime: Runtime, actor: str, files: list[BundleFile],
           source: str = "cli") -> list[DeployResult]:
    """`files` as new versions of the processes they hold (those whose bytes changed), or
    DeployFailed and nothing; `source` (one of SOURCES) is kept with each new version."""
    assert source in SOURCES, source
    user = load_actor(uow, actor)
    if not user.has_role("designer", "admin", "system"):
        raise Forbidden("deploying processes needs the designer or admin role")
    compiled = compile_bundle(files, runtime)
    results: list[DeployResult] = []
    for proc in compiled:
        latest = uow.session.scalars(
            select(ProcessDefinition).where(ProcessDefinition.key == proc.key)
            .order_by(ProcessDefinition.version.desc()).limit(1)
        ).first()
        if latest is not None and latest.hash == proc.hash:
            results.append(DeployResult(proc.key, latest.version, "unchanged", proc.name))
            continue
        version = (latest.version if latest else 0) + 1
        uow.session.add(ProcessDefinition(
            key=proc.key, version=version, name=proc.name, hash=proc.hash, sources=proc.sources,
            spec=proc.spec, extensions=proc.extensions, labels=proc.labels,
            deployed_at=uow.now, deployed_by=user.username, source=source,
        ))
        results.append(DeployResult(proc.key, version, "new", proc.name))
    uow.session.flush()  # a concurrent deploy of the same version fails here on the unique key
    audit.record(uow, user, "deploy", details={
        "files": [f.name for f in files], "source": source,
        "processes": [{"key": r.key, "version": r.version, "status": r.status} for r in results]})
    return results


def latest_version(uow: UnitOfWork, key: str) -> int | None:
    return uow.session.scalar(select(func.max(ProcessDefinition.version)).where(ProcessDefinition.key == key))


def with_deployed_decisions(uow: UnitOfWork, files: list[BundleFile]) -> list[BundleFile]:
    """`files` with the DMN files of the decisions their diagrams reference but do not carry, as the
    newest deployed version that has each holds them: a modeler deploys the open diagram alone."""
    trees = {}
    for f in files:
        try:
            trees[f.name] = bpmn_xml.parse_xml(f.data)
        except (etree.XMLSyntaxError, bpmn_xml.RefusedXML):
            continue  # the deploy reports it
    carried = set().union(*(bpmn_xml.decision_ids(t) for t in trees.values() if bpmn_xml.is_dmn(t)))
    diagrams = [t for t in trees.values() if not bpmn_xml.is_dmn(t)]
    wanted = {ref for t in diagrams for _task, ref, _line in bpmn_xml.decision_refs(t) if ref}
    wanted |= {ref for t in diagrams for _element, _line, ref in bpmn_xml.validation_decisions(t)}
    wanted -= carried
    added: dict[str, BundleFile] = {}
    if wanted:
        rows = uow.session.scalars(select(ProcessDefinition.sources).order_by(ProcessDefinition.id.desc()))
        for sources in rows:
            for name, text in (sources or {}).items():
                if not wanted or not name.endswith(".dmn") or name in added or name in trees:
                    continue
                defines = bpmn_xml.decision_ids(bpmn_xml.parse_xml(text)) & wanted
                if defines:
                    added[name] = BundleFile(name, text.encode())
                    wanted -= defines
            if not wanted:
                break
    return [*files, *added.values()]

