"""indexes that let the dashboard's chosen range be counted live

The managers' dashboard (domain.kpis) reads the rows of a range through the range's own index and
asks row by row whether the row's case is one of the area's (``Scope.holds``), instead of going
through every case of the area. ``human_tasks (completed_at, due_at)``: the tasks open at the end of
a range and past due then (overdue tasks): those not completed, or completed after it, found
without reading the other tens of thousands (and their data) of a case load.
``redirections (created_at)``: the redirection notices of a range.

Revision ID: 0012a
Revises: 0011b
"""
from alembic import op

revision = '0012a'
down_revision = '0011b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_human_tasks_open_at', 'human_tasks', ['completed_at', 'due_at'])
    op.create_index('ix_redirections_created_at', 'redirections', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_redirections_created_at', table_name='redirections')
    op.drop_index('ix_human_tasks_open_at', table_name='human_tasks')
