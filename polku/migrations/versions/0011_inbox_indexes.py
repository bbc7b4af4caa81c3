"""indexes that let the inbox and the lists read one page without reading every matching row

engine.inbox reads the page in its sort's index order and stops at the page's end:
``(state, due_at IS NULL, due_at, created_at, id)`` is the default order's exact expressions
(tasks without a due date last on every database); ``(state, element_id)`` lets the step filter skip from one step to the next.
``(assignee, state, element_id)`` replaces ``(assignee)``: a user's open tasks are few, the ones
they completed over the years many (and the steps of their open tasks are a skip scan). ``(instance_id, element_id)``: a case's task of a given step (the
dashboard's start notifications join each referral to its ``accept_referral`` task; without it
every join scanned the table: 97 s at 10,000 cases). ``instances (process_key, started_at, id)``: the
case list's default order (newest first) within the job-coaching process, read from the index.
``notices (recipient_role, acknowledged_at)``: the open notices of a role (the count on every page;
without it the database started from every case of the process). ``instance_organisations
(organisation_id, instance_id)``: the cases of one organisation (PostgreSQL turns the access rule's
EXISTS into a hashed lookup of them, which read the whole table).

Revision ID: 0011a
Revises: 0010a
"""
import sqlalchemy as sa
from alembic import op

revision = '0011a'
down_revision = '0010a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_human_tasks_inbox_due', 'human_tasks',
                    ['state', sa.text('(due_at IS NULL)'), 'due_at', 'created_at', 'id'])
    op.create_index('ix_human_tasks_state_element', 'human_tasks', ['state', 'element_id'])
    op.create_index('ix_human_tasks_assignee_state', 'human_tasks', ['assignee', 'state', 'element_id'])
    op.drop_index('ix_human_tasks_assignee', table_name='human_tasks')
    op.create_index('ix_human_tasks_instance_element', 'human_tasks', ['instance_id', 'element_id'])
    op.create_index('ix_instances_process_started', 'instances', ['process_key', 'started_at', 'id'])
    op.create_index('ix_notices_open', 'notices', ['recipient_role', 'acknowledged_at'])
    op.create_index('ix_instance_organisations_org', 'instance_organisations', ['organisation_id', 'instance_id'])


def downgrade() -> None:
    op.drop_index('ix_instance_organisations_org', table_name='instance_organisations')
    op.drop_index('ix_notices_open', table_name='notices')
    op.drop_index('ix_instances_process_started', table_name='instances')
    op.drop_index('ix_human_tasks_instance_element', table_name='human_tasks')
    op.create_index('ix_human_tasks_assignee', 'human_tasks', ['assignee'])
    op.drop_index('ix_human_tasks_assignee_state', table_name='human_tasks')
    op.drop_index('ix_human_tasks_state_element', table_name='human_tasks')
    op.drop_index('ix_human_tasks_inbox_due', table_name='human_tasks')
