"""timers: a lease for the worker's batch claim, and the index that serves the claim

The worker claims due timers in batches (engine.timer_claims): `claimed_by`/`claimed_until` mark
a claimed row so other workers pass it by, and an index on (due_at, id) gives the claim's order
without sorting every due row (ix_timers_due_at, on due_at alone, is replaced by it). Issue 12.

Revision ID: 0017a
Revises: 0016a
"""
import sqlalchemy as sa
from alembic import op

from polku.engine.models import UTCDateTime

revision = '0017a'
down_revision = '0016a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('claimed_until', UTCDateTime(), nullable=True))
        batch_op.drop_index(batch_op.f('ix_timers_due_at'))
        batch_op.create_index('ix_timers_due_at_id', ['due_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.drop_index('ix_timers_due_at_id')
        batch_op.create_index(batch_op.f('ix_timers_due_at'), ['due_at'], unique=False)
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('claimed_by')
