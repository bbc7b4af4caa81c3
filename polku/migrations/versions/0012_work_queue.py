"""work_queue: each organisation's and candidate group's ready, unclaimed tasks

The inbox read every ready task of the country and asked of each whether the user may work on it
(engine.access MAY_WORK): at 100,000 cases spread over eight areas a coach's are 1 in 300 of them,
and the inbox took 200 ms. It now starts from the user's own assigned tasks and the queues of their
organisation for their roles (engine.work_queue, which keeps the table up to date). Filled here from
the ready, unclaimed tasks.

Revision ID: 0012c
Revises: 0012b
"""
import sqlalchemy as sa
from alembic import op

revision = '0012c'
down_revision = '0012b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('work_queue',
                    sa.Column('organisation_id', sa.Integer(), nullable=False),
                    sa.Column('group_name', sa.String(length=100), nullable=False),
                    sa.Column('task_id', sa.String(length=36), nullable=False),
                    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                            name=op.f('fk_work_queue_organisation_id_organisations')),
                    sa.ForeignKeyConstraint(['task_id'], ['human_tasks.id'],
                                            name=op.f('fk_work_queue_task_id_human_tasks'), ondelete='CASCADE'),
                    sa.PrimaryKeyConstraint('organisation_id', 'group_name', 'task_id', name=op.f('pk_work_queue')))
    op.create_index('ix_work_queue_task_id', 'work_queue', ['task_id'])
    op.execute("INSERT INTO work_queue (organisation_id, group_name, task_id) "
               "SELECT o.organisation_id, g.group_name, t.id FROM human_tasks t "
               "JOIN task_candidate_groups g ON g.task_id = t.id "
               "JOIN instance_organisations o ON o.instance_id = t.instance_id "
               "WHERE t.state = 'ready' AND t.assignee IS NULL")


def downgrade() -> None:
    op.drop_index('ix_work_queue_task_id', table_name='work_queue')
    op.drop_table('work_queue')
