"""instances carry their open tasks' count and next due time

The managers' instance list and the case list filter on whether an instance has an open human task
and whether one is overdue, and sort by the earliest due time among them: each was a correlated
subquery over human_tasks for every instance of an area. The two values are kept on the instance
row with the tasks (engine.task_summary); this fills them for the instances there are, and indexes
them for the filters that start from them. The index of a step's open tasks gains the instance id:
the lists' step filter then reads the index alone (on PostgreSQL it read a task row per instance of
the area, 40 ms at 100,000 cases).

Revision ID: 0013a
Revises: 0012d
"""
import sqlalchemy as sa
from alembic import op

from polku.engine.models import UTCDateTime

revision = '0013a'
down_revision = '0012d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('instances', sa.Column('open_tasks', sa.Integer(), server_default='0', nullable=False))
    op.add_column('instances', sa.Column('next_due_at', UTCDateTime(), nullable=True))
    # Only instances with a ready task have anything but the defaults (a minority: closed cases
    # are most of a service's history).
    op.execute("""
        UPDATE instances SET
          open_tasks = (SELECT count(*) FROM human_tasks t WHERE t.instance_id = instances.id AND t.state = 'ready'),
          next_due_at = (SELECT min(t.due_at) FROM human_tasks t WHERE t.instance_id = instances.id AND t.state = 'ready')
        WHERE id IN (SELECT instance_id FROM human_tasks WHERE state = 'ready')
    """)
    op.create_index('ix_instances_status_due', 'instances', ['status', 'next_due_at'])
    op.drop_index('ix_human_tasks_state_element', table_name='human_tasks')
    op.create_index('ix_human_tasks_state_element', 'human_tasks', ['state', 'element_id', 'instance_id'])


def downgrade() -> None:
    op.drop_index('ix_human_tasks_state_element', table_name='human_tasks')
    op.create_index('ix_human_tasks_state_element', 'human_tasks', ['state', 'element_id'])
    op.drop_index('ix_instances_status_due', table_name='instances')
    # Plain DROP COLUMN (SQLite has it since 3.35): a batch copy of the table would trip the foreign keys.
    op.drop_column('instances', 'next_due_at')
    op.drop_column('instances', 'open_tasks')
