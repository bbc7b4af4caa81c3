"""second period dates and the statement's reason

A second period is proposed and decided with its dates: the proposal and the official's
decision (decisions rows of kind second_period_proposal / second_period) keep the period they
are about. A final statement that could not be reviewed with the client keeps the reason.
Existing rows have neither (their second periods were always the full length).

Revision ID: 0008c
Revises: 0007a
"""
from alembic import op
import sqlalchemy as sa

revision = '0008c'
down_revision = '0008d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('period_start', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('period_end', sa.Date(), nullable=True))
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('not_reviewed_reason', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.drop_column('not_reviewed_reason')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_column('period_end')
        batch_op.drop_column('period_start')
