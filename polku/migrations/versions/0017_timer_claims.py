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
    # Plain ALTERs (SQLite has ADD COLUMN): no copy of the timers table.
    op.add_column('timers', sa.Column('claimed_by', sa.String(length=64), nullable=True))
    op.add_column('timers', sa.Column('claimed_until', UTCDateTime(), nullable=True))
    op.drop_index('ix_timers_due_at', table_name='timers')
    op.create_index('ix_timers_due_at_id', 'timers', ['due_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_timers_due_at_id', table_name='timers')
    op.create_index('ix_timers_due_at', 'timers', ['due_at'], unique=False)
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('claimed_by')
