"""deadline notices name their task

The deadline watch (domain.deadline_watch) raises a reminder and an escalation about a human task
once each: the notice names the task, and a unique (task_id, kind) keeps two workers from raising
the same one twice. Earlier notices name no task (NULLs never collide).

Revision ID: 0008d
Revises: 0007a
"""
from alembic import op
import sqlalchemy as sa

revision = '0008d'
down_revision = '0008e'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('task_id', sa.String(length=36), nullable=True))
        batch_op.create_unique_constraint('uq_notices_task_id_kind', ['task_id', 'kind'])


def downgrade() -> None:
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_constraint('uq_notices_task_id_kind', type_='unique')
        batch_op.drop_column('task_id')
