"""client names for search

Clients and referrals get `name_search`: the name case-folded with its accents stripped, each
part preceded by a space (polku.domain.names), so that the case list finds a prefix of any part
of a name with the same SQL on SQLite and PostgreSQL. Existing rows are filled here; new ones
are filled whenever a name is written (domain.models).

Revision ID: 0006b
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

from polku.domain.names import search_key

revision = '0006b'
down_revision = '0005'
branch_labels = None
depends_on = None

_TABLES = ('clients', 'referrals')


def upgrade() -> None:
    conn = op.get_bind()
    for name in _TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column('name_search', sa.String(length=400), nullable=False, server_default=''))
        table = sa.table(name, sa.column('id', sa.Integer), sa.column('name', sa.String),
                         sa.column('name_search', sa.String))
        for row in conn.execute(sa.select(table.c.id, table.c.name)).all():
            conn.execute(table.update().where(table.c.id == row.id).values(name_search=search_key(row.name)))
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.alter_column('name_search', existing_type=sa.String(length=400), server_default=None)


def downgrade() -> None:
    for name in _TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_column('name_search')
