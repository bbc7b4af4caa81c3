"""The job-coaching domain's tables, on the engine's ``Base`` so that one metadata (and
so one Alembic history) holds the whole schema.

Instants are ``UTCDateTime`` (aware UTC in, aware UTC out); calendar days are ``Date``.
``instance_id`` columns are plain indexed integers like the engine's audit and outbox
tables: these rows are the service record (R12, the customer information system's
source) and must outlive any clean-up of engine instance rows.
Free-text and code columns are sized generously; the forms enforce the real limits.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, validates

from polku.engine.models import Base, UTCDateTime

from .names import search_key


class Client(Base):
    __tablename__ = "clients"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Normalised (upper case) so one person is one row; unique constraint indexes it.
    identity_code: Mapped[str] = mapped_column(String(11), unique=True)
    temporary_code: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(String(200))
    # The name as search finds it (domain.names), set on every write of `name`: the case list
    # matches a prefix of any part, case- and accent-insensitively, with portable SQL.
    name_search: Mapped[str] = mapped_column(String(400), default="")
    language: Mapped[str] = mapped_column(String(2))  # 'fi' | 'sv' (R11)
    municipality: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @validates("name")
    def _fill_name_search(self, key: str, value: str) -> str:
        self.name_search = search_key(value)
        return value


class Provider(Base):
    """What a contracted provider declares about itself (card: contract partner practices)."""

    __tablename__ = "providers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), unique=True)
    methods: Mapped[str] = mapped_column(Text)
    municipalities: Mapped[str] = mapped_column(Text)
    start_dates: Mapped[str | None] = mapped_column(Text)
    non_stop: Mapped[bool] = mapped_column(Boolean, default=False)
    places_at_once: Mapped[int | None] = mapped_column(Integer)
    places_per_year: Mapped[int | None] = mapped_column(Integer)
    target_group: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Period(Base):
    """One coaching period (jakso). Planned dates come with the referral, actual ones
    with the start notification and the end; R1, R3 and R4 read them."""

    __tablename__ = "periods"
    __table_args__ = (
        UniqueConstraint("instance_id", "number", name="uq_periods_instance_id_number"),
        Index("ix_periods_provider_status", "provider_organisation_id", "status"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    provider_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    instance_id: Mapped[int] = mapped_column(Integer, index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1 or 2 within the instance
    planned_start: Mapped[date] = mapped_column(Date)
    planned_end: Mapped[date] = mapped_column(Date)
    actual_start: Mapped[date | None] = mapped_column(Date)
    actual_end: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="referred", index=True)
    end_reason: Mapped[str | None] = mapped_column(String(100))
    coaching_mode: Mapped[str | None] = mapped_column(String(20))
    coaching_format: Mapped[str | None] = mapped_column(String(20))
    meetings_per_week: Mapped[int | None] = mapped_column(Integer)
    second_period_decision: Mapped[str | None] = mapped_column(String(20))
    second_period_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EligibilityDecision(Base):
    """Every referral check, refused ones included (a refused referral has no client row
    yet, hence client_id may be null)."""

    __tablename__ = "eligibility_decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer, index=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    eligible: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(String(40))  # R1_short, R4_window, ...
    details: Mapped[dict] = mapped_column(JSON, default=dict)


class Goal(Base):
    """A personal goal (R6): verification fixed at the start, result with evidence at closure."""

    __tablename__ = "goals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # index in the goal_list, 0-based
    category: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    verification: Mapped[str] = mapped_column(Text)
    reached: Mapped[bool | None] = mapped_column(Boolean)
    evidence: Mapped[str | None] = mapped_column(Text)
    revised: Mapped[bool] = mapped_column(Boolean, default=False)


class Meeting(Base):
    __tablename__ = "meetings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))  # individual | group
    week_number: Mapped[int] = mapped_column(Integer)  # review number within the period


class WeeklyReview(Base):
    __tablename__ = "weekly_reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"), index=True)
    week_number: Mapped[int] = mapped_column(Integer)
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    absence_days: Mapped[int] = mapped_column(Integer, default=0)
    absence_streak: Mapped[int] = mapped_column(Integer, default=0)
    other_service_need: Mapped[bool] = mapped_column(Boolean, default=False)
    goals_unrealistic: Mapped[bool] = mapped_column(Boolean, default=False)
    interruption_justified: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str | None] = mapped_column(Text)


class Notice(Base):
    """A notice raised to the official (R8) or the manager (R2, R7 escalations), or about a human
    task's deadline (domain.deadline_watch: a reminder to the task's role, an escalation to the manager)."""

    __tablename__ = "notices"
    # A deadline notice names its task; one of each kind per task, even with two workers at once.
    __table_args__ = (UniqueConstraint("task_id", "kind", name="uq_notices_task_id_kind"),
                      Index("ix_notices_open", "recipient_role", "acknowledged_at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer, index=True)
    period_id: Mapped[int | None] = mapped_column(ForeignKey("periods.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient_role: Mapped[str] = mapped_column(String(20))  # coach | official | manager
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    task_id: Mapped[str | None] = mapped_column(String(36))  # the human task a deadline notice is about
    # Who acknowledged the notice and when (domain.notices): until then it is in their list.
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))


class Decision(Base):
    """An official's decision: second period, redirection, goals, interruption (R3, R9)."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer, index=True)
    period_id: Mapped[int | None] = mapped_column(ForeignKey("periods.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    decision: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    # The dates a second-period proposal or decision is about (None for other kinds).
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Notification(Base):
    """Start and end notifications to the employment authority (R7)."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer, index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # start | end
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    details: Mapped[dict] = mapped_column(JSON, default=dict)


class Statement(Base):
    """The provider's final statement (ARVI or written) to the client and the official."""

    __tablename__ = "statements"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer, index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # arvi | written
    text: Mapped[str] = mapped_column(Text)
    reviewed_with_client: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why it could not be reviewed with the client (say the client has gone): given instead of the tick.
    not_reviewed_reason: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Closure(Base):
    """The end of the service (R5): outcome areas reached and/or next steps."""

    __tablename__ = "closures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer, index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"), index=True)
    employment_status: Mapped[str] = mapped_column(String(20))
    outcome_areas: Mapped[list] = mapped_column(JSON, default=list)
    next_steps: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Redirection(Base):
    """The client directed to another service (card: other service needs)."""

    __tablename__ = "redirections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer, index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("periods.id"), index=True)
    target_service: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class FollowUpMeeting(Base):
    """A follow-up meeting (seurantapalaveri) with a contract partner."""

    __tablename__ = "follow_up_meetings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    instance_id: Mapped[int] = mapped_column(Integer, index=True)
    held_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text)
    actions: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Referral(Base):
    """What the official submitted when referring a client, and what became of it: the
    service record of a referral, refused ones included (those make no client row).
    Written by the referral's service handlers in the step's transaction; the case file
    reads a refused referral's client from here (never from the audit trail)."""

    __tablename__ = "referrals"
    # The case list's drivers (domain.caselist): an official's and a provider's case ids off the index alone.
    __table_args__ = (Index("ix_referrals_official_instance", "responsible_official", "instance_id"),
                      Index("ix_referrals_provider_instance", "provider_organisation_id", "instance_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer, unique=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True)  # set when accepted
    identity_code: Mapped[str] = mapped_column(String(20), index=True)  # normalised when valid (R13)
    temporary_code: Mapped[bool] = mapped_column(Boolean, default=False)
    name: Mapped[str] = mapped_column(String(200))
    name_search: Mapped[str] = mapped_column(String(400), default="")  # as on Client: a refused one has none
    language: Mapped[str | None] = mapped_column(String(2))
    municipality: Mapped[str | None] = mapped_column(String(200))
    service_need: Mapped[str | None] = mapped_column(Text)
    other_services: Mapped[str | None] = mapped_column(Text)
    health_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    health_information: Mapped[str | None] = mapped_column(Text)  # only with written consent (R10)
    planned_start: Mapped[date] = mapped_column(Date)
    planned_end: Mapped[date] = mapped_column(Date)
    provider_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    outcome: Mapped[str] = mapped_column(String(20))  # 'accepted' | 'refused'
    refusal_reason: Mapped[str | None] = mapped_column(String(40))  # R1_short, R4_window, ...
    # The figures the eligibility decision was based on (planned days, limits, history).
    figures: Mapped[dict] = mapped_column(JSON, default=dict)
    submitted_by: Mapped[str] = mapped_column(String(100))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # the dashboard's referrals of a range
    # The case's responsible official: the official who made the referral (the process's
    # `responsible_official`, its camunda:initiator). "My cases" of an official are these.
    responsible_official: Mapped[str] = mapped_column(String(100))

    @validates("name")
    def _fill_name_search(self, key: str, value: str) -> str:
        self.name_search = search_key(value)
        return value


class KpiSnapshot(Base):
    """The dashboard of an area's default range as the worker last counted it (domain.kpis.snapshots).
    ``area_key`` is the area organisation's id, 0 for every area (the admins' view): never NULL, so
    the unique constraint holds on PostgreSQL, where NULLs are all distinct."""

    __tablename__ = "kpi_snapshots"
    __table_args__ = (UniqueConstraint("area_key", "range_start", "range_end", name="uq_kpi_snapshots_area_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_key: Mapped[int] = mapped_column(Integer)
    range_start: Mapped[date] = mapped_column(Date)
    range_end: Mapped[date] = mapped_column(Date)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    figures: Mapped[dict] = mapped_column(JSON)
