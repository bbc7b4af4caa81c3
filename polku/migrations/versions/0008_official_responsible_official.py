"""the responsible official of a referral

The official who makes the referral is the case's responsible official (issue 8): the case's
official tasks are assigned to them and "My cases" lists the cases they are responsible for.
Existing referrals: the official who submitted them.

Revision ID: 0008e
Revises: 0007a
"""
from alembic import op
import sqlalchemy as sa

revision = '0008e'
down_revision = '0007a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('responsible_official', sa.String(length=100), nullable=True))
    op.execute("UPDATE referrals SET responsible_official = submitted_by")
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.alter_column('responsible_official', existing_type=sa.String(length=100), nullable=False)
        batch_op.create_index(batch_op.f('ix_referrals_responsible_official'), ['responsible_official'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_responsible_official'))
        batch_op.drop_column('responsible_official')
