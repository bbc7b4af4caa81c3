"""The engine's tables. Alembic owns the schema (polku/migrations); these models are its source.

Human tasks, their candidate groups and timers are materialised rows so that inboxes,
lists and the timer worker are plain SQL, never a walk over deserialised workflows.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: SQLite keeps no zone, PostgreSQL does; this makes both alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Organisation(Base):
    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # 'area' | 'provider'


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    password_hash: Mapped[str | None] = mapped_column(String(300))
    locale: Mapped[str | None] = mapped_column(String(5))
    # Lockout after repeated failed logins; kept in the database so every web process agrees.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When an /engine-rest request last had its password login audited (engine.api_tokens.AUDIT_EVERY):
    # the API's successful logins are audit rows once per user and quarter hour, not once per request.
    rest_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginSession(Base):
    """A logged-in browser (server-side session). The cookie carries a random token; only its
    SHA-256 is stored, so a copy of this table opens no sessions. Deleting the row ends the session."""

    __tablename__ = "login_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    address: Mapped[str | None] = mapped_column(String(64))


class LoginThrottle(Base):
    """Failed logins per client address (progressive delay; see engine/throttle.py)."""

    __tablename__ = "login_throttle"
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AppSecret(Base):
    """Secrets the installation makes for itself (the development server's session key)."""

    __tablename__ = "app_secrets"
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SavedFilter(Base):
    """An inbox filter a user saved under a name (server-side, per user)."""

    __tablename__ = "saved_filters"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_filters_user_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A bearer token for /engine-rest (Camunda Modeler's Deploy dialog), made by `polku token
    create`. Only the SHA-256 of the secret is stored (the secret is random, 256 bits: no salt or
    slow hash needed), so a copy of this table authenticates nobody. Revoked rows stay, for the
    audit trail's sake; deleting the user deletes their tokens."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # to within AUDIT_EVERY
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserRole(Base):
    __tablename__ = "user_roles"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)


class ProcessDefinition(Base):
    """One deployed version of one process key; XML and parsed spec stored once here."""

    __tablename__ = "process_definitions"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_process_definitions_key_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(300))
    hash: Mapped[str] = mapped_column(String(64))
    # {file name: XML text} of every file of the bundle the process was deployed from.
    sources: Mapped[dict[str, Any]] = mapped_column(JSON)
    # SpiffWorkflow's serialized spec and subprocess specs, so no instance carries them.
    spec: Mapped[str] = mapped_column(Text)
    # What CamundaParser does not read: candidate groups, assignee, due date, priority,
    # service handlers, starter groups; keyed by element id. A process's own entry also
    # names its start event (`start_event`), read off at deploy time.
    extensions: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The Finnish labels of the version ({element id | element.field | element.field.option:
    # text}), read off at deploy time so that readers never parse XML.
    labels: Mapped[dict[str, Any]] = mapped_column(JSON)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deployed_by: Mapped[str] = mapped_column(String(100))
    # Where the designer deployed it from (engine.deploy.SOURCES); NULL: before this was kept.
    source: Mapped[str | None] = mapped_column(String(20))


class Instance(Base):
    __tablename__ = "instances"
    __table_args__ = (Index("ix_instances_process_started", "process_key", "started_at", "id"),
                      Index("ix_instances_status_due", "status", "next_due_at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"))
    process_key: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer)
    business_key: Mapped[str | None] = mapped_column(String(200), index=True)
    # What lists show for the case (the process sets `case_title`, e.g. the client's name).
    title: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), index=True)
    # Optimistic lock: every write is UPDATE ... WHERE lock_version = <what was read>.
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[bytes] = mapped_column(LargeBinary)
    error_element: Mapped[str | None] = mapped_column(String(200))
    error_message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # the instance list filters and sorts
    started_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Derived from the ready human tasks, in the same transaction (engine.task_summary): the lists
    # filter and sort on them.
    open_tasks: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InstanceOrganisation(Base):
    __tablename__ = "instance_organisations"
    __table_args__ = (Index("ix_instance_organisations_org", "organisation_id", "instance_id"),)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)


class OrganisationLink(Base):
    """Two organisations that share an instance, both ways round (written with the instance's links,
    never removed: after a purge a pair may share none). Whom an organisation works with, without
    reading its cases: the filters' choices of providers and officials start from it."""
    __tablename__ = "organisation_links"
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    linked_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)


class HumanTask(Base):
    __tablename__ = "human_tasks"
    # The inbox's (engine.inbox) are made by migration 0011a: one is on an expression.
    __table_args__ = (Index("ix_human_tasks_state_instance", "state", "instance_id"),
                      # a step's open tasks, and with the instance id the step filter of the lists
                      # reads no task row (migration 0013a)
                      Index("ix_human_tasks_state_element", "state", "element_id", "instance_id"),
                      Index("ix_human_tasks_assignee_state", "assignee", "state", "element_id"),
                      Index("ix_human_tasks_instance_element", "instance_id", "element_id"),
                      # the dashboard's overdue tasks: open at a range's end (migration 0012a)
                      Index("ix_human_tasks_open_at", "completed_at", "due_at"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # SpiffWorkflow task UUID
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    element_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(200))
    assignee: Mapped[str | None] = mapped_column(String(100))
    # Also rowed in task_candidate_groups for inbox queries; kept here so a step reads one row.
    candidate_groups: Mapped[list[str]] = mapped_column(JSON)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[int | None] = mapped_column(Integer)
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20))  # ready | completed | cancelled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(100))


class TaskCandidateGroup(Base):
    __tablename__ = "task_candidate_groups"
    task_id: Mapped[str] = mapped_column(ForeignKey("human_tasks.id", ondelete="CASCADE"), primary_key=True)
    group_name: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)


class WorkQueueEntry(Base):
    """A task waiting in an organisation's queue for one of its candidate groups: one row for each
    organisation of the task's instance and each candidate group of the task, while the task is ready
    and unclaimed (engine.work_queue keeps it so). The inbox starts from these rather than from every
    ready task: a user's organisation holds 1/8 (an area) to 1/300 (a provider) of them."""

    __tablename__ = "work_queue"
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    group_name: Mapped[str] = mapped_column(String(100), primary_key=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("human_tasks.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)


class Timer(Base):
    __tablename__ = "timers"
    # The worker's claim reads due rows in (due_at, id) order (engine.timer_claims).
    __table_args__ = (Index("ix_timers_due_at_id", "due_at", "id"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the waiting event's task UUID
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), index=True)
    element_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # date | duration | cycle
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A worker's lease on a claimed row: the others leave it alone until it runs out (a worker
    # that died holding it); the firing deletes the row, an unfired one is let go.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ServiceRetry(Base):
    """A service task whose handler failed for a passing reason, waiting to be run again
    (engine.service_retries): one row per instance, written with its step. The worker claims due
    rows under a lease as it does timers; after the last attempt the row stays, without a next
    attempt, beside the instance's error (its count and last error stay visible)."""

    __tablename__ = "service_retries"
    # The worker's claim reads due rows in (next_attempt_at, instance_id) order.
    __table_args__ = (Index("ix_service_retries_next", "next_attempt_at", "instance_id"),)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"), primary_key=True)
    element_id: Mapped[str] = mapped_column(String(200))
    attempts: Mapped[int] = mapped_column(Integer)  # failed attempts so far
    last_error: Mapped[str] = mapped_column(Text)  # one line
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when the last attempt failed
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: no more attempts
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEvent(Base):
    """Append-only, enforced by the database (triggers refuse UPDATE and DELETE) and provable:
    each row carries the hash of the previous row of its chain (engine.audit, docs/security.md)."""

    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("chain", "seq", name="uq_audit_events_chain_seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(100))  # the actor's roles then, comma-separated
    organisation: Mapped[str | None] = mapped_column(String(200))  # the actor's organisation then
    origin: Mapped[str | None] = mapped_column(String(64))  # client address, or "cli"
    action: Mapped[str] = mapped_column(String(40))
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    chain: Mapped[str] = mapped_column(String(110))
    seq: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The newest row of each audit chain: its row lock orders one chain's writers (only)."""

    __tablename__ = "audit_heads"
    chain: Mapped[str] = mapped_column(String(110), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class OutboxMessage(Base):
    """Messages for external systems, written in the same transaction as the step that made them."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer, index=True)
    topic: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WorkerRound(Base):
    """When each timer worker last finished a round, one row per worker name (updated in place):
    /healthz reports the age of the newest, so a worker that stopped or keeps failing shows."""

    __tablename__ = "worker_rounds"
    worker: Mapped[str] = mapped_column(String(200), primary_key=True)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fired: Mapped[int] = mapped_column(Integer)
