"""process versions keep where they were deployed from (the CLI, the web, Camunda Modeler)

The designers' versions list shows it (issue 11). Versions deployed before keep NULL: not known.

Revision ID: 0015a
Revises: 0014b
"""
import sqlalchemy as sa
from alembic import op

revision = '0015a'
down_revision = '0014b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('process_definitions', sa.Column('source', sa.String(length=20), nullable=True))


def downgrade() -> None:
    op.drop_column('process_definitions', 'source')
