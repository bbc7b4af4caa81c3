"""Commands on whole instances: start, suspend, resume, terminate, retry.

Each takes the unit of work, the acting user's name and plain values; loads, checks access,
works, writes one audit event and commits once.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, insert, select, update

from . import audit, retrydata, service_retries
from .access import can_view_instance, instance_org_ids, require_instance_manager, require_starter
from .errors import Conflict, NotFound, ValidationFailed
from .formcheck import check_form_rule, check_rule, validated
from .models import Instance, InstanceOrganisation, Organisation, ProcessDefinition
from .persist import advance, load_instance, load_workflow, materialised, save
from .rows import InstanceRow
from .services import ServiceCall
from .users import Actor, load_actor

if TYPE_CHECKING:
    from .db import UnitOfWork
    from .runtime import Runtime


def start(uow: UnitOfWork, runtime: Runtime, actor: str, key: str, data: object = None,
          business_key: str | None = None) -> InstanceRow:
    """`data` is whatever the caller sent: checked here to be a JSON object (or absent)."""
    user = load_actor(uow, actor)
    if data is not None and not isinstance(data, dict):
        raise ValidationFailed("initial data must be a JSON object", {"data": "must be a JSON object"})
    row = uow.session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc()).limit(1)
    ).first()
    if row is None:
        raise NotFound(f"no deployed process with key {key!r}")
    process = row.extensions.get(key, {})
    require_starter(user, process.get("candidate_starter_groups", []))
    defn = runtime.definition(row)
    start_form = process.get("start_form") or []
    if start_form:
        data = validated(uow, runtime.field_types, start_form, data or {})
    if process.get("initiator"):  # set after validation: never taken from what the caller sent
        data = {**(data or {}), process["initiator"]: user.username}
    wf = runtime.new_workflow(defn, data or {})
    properties = process.get("start_properties") or {}
    if properties.get("validation_decision"):
        check_rule(uow, runtime, defn, runtime.start_task(wf), data or {}, properties["validation_decision"])
    if properties.get("form_rule"):  # one that reads the database, before anything is written
        check_form_rule(uow, runtime.form_rules, properties["form_rule"], data or {})
    created = Instance(
        definition_id=row.id, process_key=row.key, version=row.version, business_key=business_key,
        status="running", lock_version=1, state=b"", started_at=uow.now, started_by=user.username,
        updated_at=uow.now, title=None, error_element=None, error_message=None, ended_at=None,
    )
    uow.session.add(created)
    uow.session.flush()  # the id is needed by service handlers during the first steps
    inst = InstanceRow.of(created)  # from here on written by explicit statements only
    uow.session.expunge(created)
    if user.organisation_id is not None:
        uow.session.execute(insert(InstanceOrganisation),
                            [{"instance_id": inst.id, "organisation_id": user.organisation_id}])
    before = runtime.snapshot(wf, defn, uow.now)
    before.human_tasks, before.timers = {}, {}
    if user.organisation:
        before.organisations = {user.organisation}
    after = advance(uow, runtime, inst, defn, wf, before, actor=user.username)
    audit.record(uow, user, "start", instance_id=inst.id,
                 details={"process_key": key, "version": row.version, "business_key": business_key,
                          "fields": audit.changed_fields(data), "status": after.status})
    return inst


def _managed_instance(uow: UnitOfWork, actor: str, instance_id: int) -> tuple[Actor, InstanceRow]:
    user = load_actor(uow, actor)
    inst = load_instance(uow, instance_id, lock=True)  # suspend, resume, terminate and retry move it
    orgs = instance_org_ids(uow.session, instance_id)
    if not can_view_instance(user, orgs):
        raise NotFound(f"no instance {instance_id}")  # outside the user's organisations: not even its existence
    require_instance_manager(user, orgs)
    return user, inst


def suspend(uow: UnitOfWork, actor: str, instance_id: int, reason: str | None = None) -> InstanceRow:
    user, inst = _managed_instance(uow, actor, instance_id)
    if inst.status not in ("running", "error"):
        raise Conflict(f"instance {instance_id} is {inst.status}; only a running instance can be suspended")
    _set_status(uow, inst, "suspended")
    audit.record(uow, user, "suspend", instance_id=inst.id, details={"reason": reason})
    return inst


def resume(uow: UnitOfWork, actor: str, instance_id: int, reason: str | None = None) -> InstanceRow:
    user, inst = _managed_instance(uow, actor, instance_id)
    if inst.status != "suspended":
        raise Conflict(f"instance {instance_id} is {inst.status}, not suspended")
    target = "error" if inst.error_message else "running"
    _set_status(uow, inst, target)
    audit.record(uow, user, "resume", instance_id=inst.id, details={"reason": reason, "status": target})
    return inst


def terminate(uow: UnitOfWork, runtime: Runtime, actor: str, instance_id: int,
              reason: str | None = None) -> InstanceRow:
    user, inst = _managed_instance(uow, actor, instance_id)
    if inst.status in ("completed", "terminated"):
        raise Conflict(f"instance {instance_id} is already {inst.status}")
    if not (reason or "").strip():
        raise ValidationFailed("a reason is required to terminate an instance", {"reason": "is required"})
    defn, wf, before = load_workflow(uow, runtime, inst)
    wf.cancel()
    after = runtime.snapshot(wf, defn, uow.now)
    save(uow, runtime, inst, wf, defn, before, after, status="terminated")
    service_retries.clear(uow, inst.id)
    runtime.handlers.terminated(ServiceCall(instance_id=inst.id, element_id="", handler="terminate",
                                            data=dict(wf.data), now=uow.now, session=uow.session,
                                            actor=user.username))
    audit.record(uow, user, "terminate", instance_id=inst.id, details={"reason": reason})
    return inst


def retry(uow: UnitOfWork, runtime: Runtime, actor: str, instance_id: int, reason: str | None = None,
          data: object = None) -> InstanceRow:
    """Re-run what failed, optionally with corrected data merged into the failed tasks (`data`,
    whatever the caller sent, must be a JSON object of variables the failed step reads, checked
    like a form by engine/retrydata.py)."""
    user, inst = _managed_instance(uow, actor, instance_id)
    # A running instance whose failed service task waits for its next attempt is retried now.
    if inst.status != "error" and not (inst.status == "running" and service_retries.pending(uow, inst.id)):
        raise Conflict(f"instance {instance_id} is {inst.status}, not in error")
    if data is not None and not isinstance(data, dict):
        raise ValidationFailed("data must be a JSON object", {"data": "must be a JSON object"})
    defn, wf, loaded = load_workflow(uow, runtime, inst)
    if data:
        data = retrydata.checked(uow, runtime, defn, wf, data)
    names = set(uow.session.scalars(
        select(Organisation.name).join(InstanceOrganisation, InstanceOrganisation.organisation_id == Organisation.id)
        .where(InstanceOrganisation.instance_id == inst.id)))
    before = materialised(uow, inst.id, names)
    failed = runtime.retry_failed(wf, data)
    service_retries.clear(uow, inst.id)  # a fresh start: a transient failure now counts from one
    after = advance(uow, runtime, inst, defn, wf, before, actor=user.username)
    audit.record(uow, user, "retry", instance_id=inst.id,
                 details={"reason": reason, "fields": audit.changed_fields(data), "rerun": failed,
                          "status": after.status, "error": after.error_message})
    return inst


def _set_status(uow: UnitOfWork, inst: InstanceRow, status: str) -> None:
    # Session.execute is typed as returning any Result; an UPDATE's is a CursorResult.
    result = cast(CursorResult[Any], uow.session.execute(
        update(Instance)
        .where(Instance.id == inst.id, Instance.lock_version == inst.lock_version)
        .values(status=status, lock_version=inst.lock_version + 1, updated_at=uow.now)
        .execution_options(synchronize_session=False)
    ))
    if result.rowcount != 1:
        raise Conflict(f"instance {inst.id} was changed by someone else meanwhile; nothing was saved")
    inst.status, inst.lock_version = status, inst.lock_version + 1
