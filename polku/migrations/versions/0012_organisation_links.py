"""organisation_links: the pairs of organisations that share an instance

The filters' choices (the providers of the case list, the providers, areas and responsible officials
of the instance list) start from the organisations the user's own works with, instead of probing
every provider and official of every area (304 providers and 152 officials at 100,000 cases: the case
list took 40 s). Filled here from the instances' links; engine.org_links keeps it up to date.

Revision ID: 0012b
Revises: 0012a
"""
import sqlalchemy as sa
from alembic import op

revision = '0012b'
down_revision = '0012a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('organisation_links',
                    sa.Column('organisation_id', sa.Integer(), nullable=False),
                    sa.Column('linked_id', sa.Integer(), nullable=False),
                    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                                            name=op.f('fk_organisation_links_organisation_id_organisations')),
                    sa.ForeignKeyConstraint(['linked_id'], ['organisations.id'],
                                            name=op.f('fk_organisation_links_linked_id_organisations')),
                    sa.PrimaryKeyConstraint('organisation_id', 'linked_id', name=op.f('pk_organisation_links')))
    op.execute("INSERT INTO organisation_links (organisation_id, linked_id) "
               "SELECT DISTINCT a.organisation_id, b.organisation_id FROM instance_organisations a "
               "JOIN instance_organisations b ON b.instance_id = a.instance_id AND b.organisation_id <> a.organisation_id")


def downgrade() -> None:
    op.drop_table('organisation_links')
