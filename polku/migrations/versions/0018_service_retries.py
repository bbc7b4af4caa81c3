"""service_retries: a failing service task waiting to be run again, with its count and last error

A service handler that fails for a passing reason (engine.services.HandlerFailed.transient) leaves
its instance running with one row here: how many attempts failed, the last error and when the
worker runs it next (engine.service_retries); the worker claims due rows under a lease as it does
timers. After the last attempt the instance goes to error and the row stays without a next attempt.
Issue 12.

Revision ID: 0018a
Revises: 0017a
"""
import sqlalchemy as sa
from alembic import op

from polku.engine.models import UTCDateTime

revision = '0018a'
down_revision = '0017a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'service_retries',
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('element_id', sa.String(length=200), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.Column('failed_at', UTCDateTime(), nullable=False),
        sa.Column('next_attempt_at', UTCDateTime(), nullable=True),
        sa.Column('claimed_by', sa.String(length=64), nullable=True),
        sa.Column('claimed_until', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['instance_id'], ['instances.id'],
                                name=op.f('fk_service_retries_instance_id_instances'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('instance_id', name=op.f('pk_service_retries')),
    )
    op.create_index('ix_service_retries_next', 'service_retries', ['next_attempt_at', 'instance_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_service_retries_next', table_name='service_retries')
    op.drop_table('service_retries')
