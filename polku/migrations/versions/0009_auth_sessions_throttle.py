"""server-side login sessions, per-address login throttle, the development secret

A login is a row in login_sessions (only the token's hash is kept) that logout, a password
change or an administrator's end-sessions delete; login_throttle counts failed logins per
client address; app_secrets keeps the random session key a development server made for this
database. Sessions from before this revision (signed cookies) are no longer accepted.

Revision ID: 0009a
Revises: 0008c
"""
from alembic import op
import sqlalchemy as sa

from polku.engine.models import UTCDateTime

revision = '0009a'
down_revision = '0009d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'login_sessions',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('last_seen_at', UTCDateTime(), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_login_sessions_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_login_sessions')),
    )
    op.create_index(op.f('ix_login_sessions_user_id'), 'login_sessions', ['user_id'], unique=False)
    op.create_table(
        'login_throttle',
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failure_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('address', name=op.f('pk_login_throttle')),
    )
    op.create_table(
        'app_secrets',
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('value', sa.String(length=200), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_app_secrets')),
    )


def downgrade() -> None:
    op.drop_table('app_secrets')
    op.drop_table('login_throttle')
    op.drop_index(op.f('ix_login_sessions_user_id'), table_name='login_sessions')
    op.drop_table('login_sessions')
