"""Who may see and act on what. Checked inside every command, not only in the UI.

Each rule is written once, as a small expression of clauses; the same expression gives both the
Python predicate a command checks on one loaded task (`rule.allows(actor, facts)`) and the SQL
condition a list query filters with (`rule.where(actor)`), so the inbox can never show a task that
`complete` would refuse, nor hide one it would accept. tests/integration/test_access_rule.py
checks that the twins agree over a matrix of actors and tasks on a real database.

The rules:
- `MAY_WORK`: the task's assignee, or, while it is unclaimed, a user who holds one of its
  candidate groups (role names) and belongs to one of the instance's organisations.
- `MAY_TAKE_OVER`: a user who could work on a task were it free (a candidate in one of the
  instance's organisations) may take it over from the colleague who holds it (`tasks.take_over`).
- `MAY_SEE_TASK`: those, a candidate even while a colleague holds the task, managers of the
  instance's organisations, and admins.
- `SEES_INSTANCE`: admins and users of one of the instance's organisations.
- `MANAGES_INSTANCE`: admins and managers of one of the instance's organisations.
- `READS_DATA`: the instance's data (client data) is for the roles that work on cases
  (`CASEWORK_ROLES`) in one of its organisations, and the CLI operator (`system`); designers and
  admins run the system, not cases, and are refused it (380/2023 §124: access as the task needs).
- `DATA_READER`: those roles in one of the instance's organisations; also who may learn what
  became of a task (handled, by whom): to anyone else, a designer posting to it included, the task
  does not exist.
"Admins" are the `admin` role and the internal `system` actor (timers, the CLI operator).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, bindparam, exists, false, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select

from .errors import Forbidden
from .models import HumanTask, InstanceOrganisation, TaskCandidateGroup
from .users import Actor


@dataclass(frozen=True)
class Facts:
    """What a rule looks at on one task (or instance: no assignee, no groups)."""

    assignee: str | None = None
    groups: frozenset[str] = frozenset()
    org_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Columns:
    """Where the SQL twin finds the task and instance a rule is about."""

    task_id: ColumnElement[str] = HumanTask.__table__.c.id
    assignee: ColumnElement[str | None] = HumanTask.__table__.c.assignee
    instance_id: ColumnElement[int] = HumanTask.__table__.c.instance_id


TASKS = Columns()


class Rule:
    """A clause or a combination of clauses: one definition, two readings."""

    def allows(self, actor: Actor, facts: Facts) -> bool:
        raise NotImplementedError

    def where(self, actor: Actor, cols: Columns = TASKS) -> ColumnElement[bool]:
        raise NotImplementedError

    def __and__(self, other: Rule) -> Rule:
        return All(self, other)

    def __or__(self, other: Rule) -> Rule:
        return Any(self, other)


class All(Rule):
    def __init__(self, *rules: Rule):
        self.rules = rules

    def allows(self, actor: Actor, facts: Facts) -> bool:
        return all(r.allows(actor, facts) for r in self.rules)

    def where(self, actor: Actor, cols: Columns = TASKS) -> ColumnElement[bool]:
        return and_(*(r.where(actor, cols) for r in self.rules))


class Any(Rule):
    def __init__(self, *rules: Rule):
        self.rules = rules

    def allows(self, actor: Actor, facts: Facts) -> bool:
        return any(r.allows(actor, facts) for r in self.rules)

    def where(self, actor: Actor, cols: Columns = TASKS) -> ColumnElement[bool]:
        return or_(*(r.where(actor, cols) for r in self.rules))


class HasRole(Rule):
    """A fact about the actor alone: in SQL a constant."""

    def __init__(self, *roles: str):
        self.roles = frozenset(roles)

    def allows(self, actor: Actor, facts: Facts) -> bool:
        return bool(actor.roles & self.roles)

    def where(self, actor: Actor, cols: Columns = TASKS) -> ColumnElement[bool]:
        return true() if actor.roles & self.roles else false()


class IsAssignee(Rule):
    def allows(self, actor: Actor, facts: Facts) -> bool:
        return facts.assignee == actor.username

    def where(self, actor: Actor, cols: Columns = TASKS) -> ColumnElement[bool]:
        return cols.assignee == actor.username


class Unclaimed(Rule):
    def allows(self, actor: Actor, facts: Facts) -> bool:
        return facts.assignee is None

    def where(self, actor: Actor, cols: Columns = TASKS) -> ColumnElement[bool]:
        return cols.assignee.is_(None)


class InCandidateGroup(Rule):
    def allows(self, actor: Actor, facts: Facts) -> bool:
        return bool(actor.roles & facts.groups)

    def where(self, actor: Actor, cols: Columns = TASKS) -> ColumnElement[bool]:
        if not actor.roles:
            return false()
        return exists().where(TaskCandidateGroup.task_id == cols.task_id,
                              TaskCandidateGroup.group_name.in_(sorted(actor.roles)))


class InOrganisation(Rule):
    """The actor belongs to one of the instance's organisations (a user without one to none)."""

    def allows(self, actor: Actor, facts: Facts) -> bool:
        return actor.organisation_id is not None and actor.organisation_id in facts.org_ids

    def where(self, actor: Actor, cols: Columns = TASKS) -> ColumnElement[bool]:
        if actor.organisation_id is None:
            return false()
        return exists().where(InstanceOrganisation.instance_id == cols.instance_id,
                              InstanceOrganisation.organisation_id == actor.organisation_id)


def organisation_instances(organisation_id: int) -> Select[int]:
    """The ids of the instances of an organisation (``ix_instance_organisations_org``, index only):
    a list to start a query from. An area holds an eighth of the cases; asked through the
    ``InOrganisation`` rule's EXISTS alone, SQLite (no statistics) read every instance to test each."""
    return select(InstanceOrganisation.instance_id).where(InstanceOrganisation.organisation_id == organisation_id)


ADMIN = HasRole("admin", "system")
ASSIGNEE = IsAssignee()
IN_ORGANISATION = InOrganisation()
CANDIDATE = InCandidateGroup() & IN_ORGANISATION  # could work on it, were it free (assign's target)
OPEN_TO_CANDIDATE = Unclaimed() & CANDIDATE
MAY_TAKE_OVER = CANDIDATE
MAY_WORK = ASSIGNEE | OPEN_TO_CANDIDATE
ORG_MANAGER = HasRole("manager") & IN_ORGANISATION
MAY_SEE_TASK = Any(ASSIGNEE, CANDIDATE, ORG_MANAGER, ADMIN)
SEES_INSTANCE = ADMIN | IN_ORGANISATION
MANAGES_INSTANCE = ADMIN | ORG_MANAGER
CASEWORK_ROLES = ("official", "coach", "manager")
DATA_READER = HasRole(*CASEWORK_ROLES) & IN_ORGANISATION
READS_DATA = HasRole("system") | DATA_READER


_ORGS = select(InstanceOrganisation.organisation_id).where(InstanceOrganisation.instance_id == bindparam("id"))


def instance_org_ids(session: Session, instance_id: int) -> frozenset[int]:
    return frozenset(session.connection().execute(_ORGS, {"id": instance_id}).scalars())


def instance_facts(session: Session, instance_id: int) -> Facts:
    return Facts(org_ids=instance_org_ids(session, instance_id))


def require(rule: Rule, actor: Actor, facts: Facts, message: str) -> None:
    """Raises Forbidden (one line, revealing nothing more) unless `rule` allows `actor`."""
    if not rule.allows(actor, facts):
        raise Forbidden(message)


def require_starter(actor: Actor, starter_groups: list[str]) -> None:
    if starter_groups and not actor.roles.intersection(starter_groups):
        raise Forbidden(f"starting this process needs one of the roles: {', '.join(starter_groups)}")
    if not actor.roles:
        raise Forbidden("a user without roles may not start processes")


# Instance-level checks as commands phrase them (both read the rules above).
def can_view_instance(actor: Actor, org_ids: frozenset[int] | set[int]) -> bool:
    return SEES_INSTANCE.allows(actor, Facts(org_ids=frozenset(org_ids)))


def require_instance_manager(actor: Actor, org_ids: frozenset[int] | set[int]) -> None:
    require(MANAGES_INSTANCE, actor, Facts(org_ids=frozenset(org_ids)),
            "only a manager of the instance's organisation (or an admin) may do this")


def require_admin(actor: Actor, message: str) -> None:
    """Acts on the system rather than on a case (passwords, the audit trail): admins and the
    operator (`system`) only."""
    require(ADMIN, actor, Facts(), message)
