"""indexes for the managers' instance list

The instance list (domain.instancelist) filters by the start time (started between dates) and
sorts by it, and filters by the referral's provider; neither column was indexed.

Revision ID: 0010a
Revises: 0009a
"""
from alembic import op

revision = '0010a'
down_revision = '0009a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instances_started_at'), ['started_at'], unique=False)
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_provider_organisation_id'), ['provider_organisation_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_provider_organisation_id'))
    with op.batch_alter_table('instances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_instances_started_at'))
