"""referrals are indexed by their submission time

The dashboard reads the referrals of an area submitted in a range. PostgreSQL read all 100,000
referral rows to find a range's (16 ms of the read at 100,000 cases); by this index it reads the
range's. SQLite goes on reading them through the area's cases, which it has no statistics to weigh.

Revision ID: 0014b
Revises: 0014a
"""
from alembic import op

revision = '0014b'
down_revision = '0014a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_referrals_submitted_at', 'referrals', ['submitted_at'])


def downgrade() -> None:
    op.drop_index('ix_referrals_submitted_at', table_name='referrals')
