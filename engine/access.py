"""Who may see and act on what. Checked inside every command, not only in the UI.

A task is for its assignee, or for a user who holds one of its candidate groups (role names)
and belongs to one of the instance's organisations.
"""
from __future__ import annotations

from sqlalchemy import bindparam, select

from .errors import Forbidden
from .models import InstanceOrganisation, TaskCandidateGroup
from .users import Actor


_ORGS = select(InstanceOrganisation.organisation_id).where(InstanceOrganisation.instance_id == bindparam("id"))
_GROUPS = select(TaskCandidateGroup.group_name).where(TaskCandidateGroup.task_id == bindparam("id"))


def instance_org_ids(session, instance_id: int) -> set[int]:
    return set(session.connection().execute(_ORGS, {"id": instance_id}).scalars())


def task_groups(session, task_id: str) -> set[str]:
    return set(session.connection().execute(_GROUPS, {"id": task_id}).scalars())


def is_candidate(actor: Actor, groups: set[str], org_ids: set[int]) -> bool:
    return bool(actor.roles & groups) and actor.organisation_id in org_ids


def can_view_instance(actor: Actor, org_ids: set[int]) -> bool:
    return "admin" in actor.roles or "system" in actor.roles or actor.organisation_id in org_ids


def require_task_actor(actor: Actor, assignee: str | None, groups: set[str], org_ids: set[int]) -> None:
    """May `actor` complete (or claim) the task? Raises Forbidden without revealing more."""
    if assignee == actor.username:
        return
    if not is_candidate(actor, groups, org_ids):
        raise Forbidden("you may not act on this task")


def require_instance_manager(actor: Actor, org_ids: set[int]) -> None:
    if "admin" in actor.roles or "system" in actor.roles:
        return
    if "manager" in actor.roles and actor.organisation_id in org_ids:
        return
    raise Forbidden("only a manager of the instance's organisation (or an admin) may do this")


def require_starter(actor: Actor, starter_groups: list[str]) -> None:
    if starter_groups and not actor.roles.intersection(starter_groups):
        raise Forbidden(f"starting this process needs one of the roles: {', '.join(starter_groups)}")
    if not actor.roles:
        raise Forbidden("a user without roles may not start processes")
