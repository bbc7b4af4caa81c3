"""referrals and definition labels

Referral submissions get a domain table of their own (the audit trail is evidence, not a
store), and every deployed version carries its labels and start event id, read off its XML
here once so that no reader parses XML.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:00:00
"""
from datetime import date

from alembic import op
from lxml import etree
import sqlalchemy as sa

from polku.engine import models as engine_models
from polku.engine.bundle import definition_labels, start_event_id

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_FIGURES = ("planned_days", "planned_end_limit", "min_period_days", "max_period_months", "max_periods",
            "history_active", "history_consecutive", "window_months", "window_days_max", "window_limit_days")


def upgrade() -> None:
    op.create_table('referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('identity_code', sa.String(length=20), nullable=False),
    sa.Column('temporary_code', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=True),
    sa.Column('municipality', sa.String(length=200), nullable=True),
    sa.Column('service_need', sa.Text(), nullable=True),
    sa.Column('other_services', sa.Text(), nullable=True),
    sa.Column('health_consent', sa.Boolean(), nullable=False),
    sa.Column('health_information', sa.Text(), nullable=True),
    sa.Column('planned_start', sa.Date(), nullable=False),
    sa.Column('planned_end', sa.Date(), nullable=False),
    sa.Column('provider_organisation_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('refusal_reason', sa.String(length=40), nullable=True),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('submitted_by', sa.String(length=100), nullable=False),
    sa.Column('submitted_at', engine_models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_referrals_client_id_clients')),
    sa.ForeignKeyConstraint(['provider_organisation_id'], ['organisations.id'],
                            name=op.f('fk_referrals_provider_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals')),
    sa.UniqueConstraint('instance_id', name=op.f('uq_referrals_instance_id'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_client_id'), ['client_id'], unique=False)

    with op.batch_alter_table('process_definitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('labels', sa.JSON(), nullable=True))
    _backfill_definitions()
    _backfill_referrals()
    with op.batch_alter_table('process_definitions', schema=None) as batch_op:
        batch_op.alter_column('labels', existing_type=sa.JSON(), nullable=False)


def _backfill_definitions() -> None:
    """Versions deployed before this revision: their labels and start event, from their XML."""
    conn = op.get_bind()
    table = sa.table('process_definitions', sa.column('id', sa.Integer), sa.column('key', sa.String),
                     sa.column('sources', sa.JSON), sa.column('extensions', sa.JSON), sa.column('labels', sa.JSON))
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    for row in conn.execute(sa.select(table.c.id, table.c.key, table.c.sources, table.c.extensions)).all():
        trees = []
        for name, text in sorted((row.sources or {}).items()):
            if name.endswith(".bpmn"):
                trees.append(etree.ElementTree(etree.fromstring(text.encode("utf-8"), parser)))
        extensions = dict(row.extensions or {})
        start = next((s for s in (start_event_id(t, row.key) for t in trees) if s), None)
        extensions[row.key] = {**extensions.get(row.key, {}), "start_event": start}
        conn.execute(table.update().where(table.c.id == row.id)
                     .values(labels=definition_labels(trees), extensions=extensions))


def _backfill_referrals() -> None:
    """Referrals made before this revision: what their start event recorded. This one-time
    copy is the last read of client data out of the audit trail."""
    conn = op.get_bind()
    audit = sa.table('audit_events', sa.column('instance_id', sa.Integer), sa.column('action', sa.String),
                     sa.column('actor', sa.String), sa.column('at', engine_models.UTCDateTime()),
                     sa.column('details', sa.JSON), sa.column('id', sa.Integer))
    decisions = sa.table('eligibility_decisions', sa.column('instance_id', sa.Integer),
                         sa.column('client_id', sa.Integer), sa.column('eligible', sa.Boolean),
                         sa.column('reason', sa.String), sa.column('details', sa.JSON), sa.column('id', sa.Integer))
    orgs = sa.table('organisations', sa.column('id', sa.Integer), sa.column('name', sa.String))
    referrals = sa.table('referrals', *[sa.column(c) for c in (
        'instance_id', 'client_id', 'identity_code', 'temporary_code', 'name', 'language', 'municipality',
        'service_need', 'other_services', 'health_consent', 'health_information',
        'provider_organisation_id', 'outcome', 'refusal_reason', 'submitted_by')],
        sa.column('planned_start', sa.Date), sa.column('planned_end', sa.Date),
        sa.column('figures', sa.JSON), sa.column('submitted_at', engine_models.UTCDateTime()))
    provider_ids = dict(conn.execute(sa.select(orgs.c.name, orgs.c.id)).all())
    seen: set[int] = set()
    for decision in conn.execute(sa.select(decisions).order_by(decisions.c.id)).all():
        if decision.instance_id in seen:
            continue
        seen.add(decision.instance_id)
        start = conn.execute(sa.select(audit).where(audit.c.instance_id == decision.instance_id,
                                                    audit.c.action == "start").order_by(audit.c.id).limit(1)).first()
        data = ((start.details or {}).get("data") or {}) if start is not None else {}
        if not data.get("client_hetu") or not data.get("planned_start") or not data.get("planned_end"):
            continue
        consent = bool(data.get("health_consent"))
        conn.execute(referrals.insert().values(
            instance_id=decision.instance_id, client_id=decision.client_id,
            identity_code=str(data["client_hetu"]).upper()[:20], temporary_code=False,
            name=data.get("client_name") or "", language=data.get("client_language"),
            municipality=data.get("municipality"), service_need=data.get("service_need"),
            other_services=data.get("other_services") or None, health_consent=consent,
            health_information=(data.get("health_information") or None) if consent else None,
            planned_start=date.fromisoformat(str(data["planned_start"])[:10]),
            planned_end=date.fromisoformat(str(data["planned_end"])[:10]),
            provider_organisation_id=provider_ids.get(data.get("provider")),
            outcome="accepted" if decision.eligible else "refused",
            refusal_reason=None if decision.eligible else decision.reason,
            figures={k: v for k, v in (decision.details or {}).items() if k in _FIGURES},
            submitted_by=start.actor, submitted_at=start.at))


def downgrade() -> None:
    with op.batch_alter_table('process_definitions', schema=None) as batch_op:
        batch_op.drop_column('labels')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_client_id'))
    op.drop_table('referrals')
