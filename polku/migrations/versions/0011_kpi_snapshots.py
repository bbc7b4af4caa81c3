"""kpi snapshots

The managers' dashboard of the default range (the last full month, all providers) per employment
area, kept by the worker (domain.kpis.snapshots): at 100,000 cases counting it live takes seconds.
``area_key`` 0 is every area (the admins' view), not NULL, so that the unique key holds on PostgreSQL.

Revision ID: 0011b
Revises: 0011a
"""
import sqlalchemy as sa
from alembic import op

from polku.engine.models import UTCDateTime

revision = '0011b'
down_revision = '0011a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('kpi_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_key', sa.Integer(), nullable=False),
    sa.Column('range_start', sa.Date(), nullable=False),
    sa.Column('range_end', sa.Date(), nullable=False),
    sa.Column('computed_at', UTCDateTime(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_snapshots')),
    sa.UniqueConstraint('area_key', 'range_start', 'range_end', name=op.f('uq_kpi_snapshots_area_key'))
    )


def downgrade() -> None:
    op.drop_table('kpi_snapshots')
