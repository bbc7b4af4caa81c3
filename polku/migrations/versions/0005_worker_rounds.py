"""worker rounds: when each timer worker last finished a round (read by /healthz)

Revision ID: 0005
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

from polku.engine import models as engine_models

revision = '0005'
# Written beside another branch's 0004; the merge re-chains this to '0004'.
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('worker_rounds',
    sa.Column('worker', sa.String(length=200), nullable=False),
    sa.Column('finished_at', engine_models.UTCDateTime(), nullable=False),
    sa.Column('fired', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('worker', name=op.f('pk_worker_rounds'))
    )


def downgrade() -> None:
    op.drop_table('worker_rounds')
