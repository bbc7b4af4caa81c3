"""notice acknowledgement

Notices to an official or a manager are inbox items until acknowledged (domain.notices): each
records who acknowledged it and when. Existing notices stay open (nobody has acknowledged them).

Revision ID: 0007a
Revises: 0006b
"""
from alembic import op
import sqlalchemy as sa

from polku.engine.models import UTCDateTime

revision = '0007a'
down_revision = '0006b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acknowledged_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_by', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_column('acknowledged_by')
        batch_op.drop_column('acknowledged_at')
