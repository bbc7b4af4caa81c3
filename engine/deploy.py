"""The deploy command: a bundle becomes new process versions, or nothing at all."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from . import audit
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


def deploy(uow: UnitOfWork, runtime: Runtime, actor: str, files: list[BundleFile]) -> list[DeployResult]:
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
            results.append(DeployResult(proc.key, latest.version, "unchanged"))
            continue
        version = (latest.version if latest else 0) + 1
        uow.session.add(ProcessDefinition(
            key=proc.key, version=version, name=proc.name, hash=proc.hash, sources=proc.sources,
            spec=proc.spec, extensions=proc.extensions, labels=proc.labels,
            deployed_at=uow.now, deployed_by=user.username,
        ))
        results.append(DeployResult(proc.key, version, "new"))
    uow.session.flush()  # a concurrent deploy of the same version fails here on the unique key
    audit.record(uow, user, "deploy", details={
        "files": [f.name for f in files], "processes": [r.__dict__ for r in results]})
    return results
