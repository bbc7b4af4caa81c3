"""indexes the case list is driven from

The case list (domain.caselist) reads the ids of its most selective condition first: an official's
own cases, a provider's cases, one identity code. Those of the responsible official and of the
provider now carry the instance id, so the few hundred ids are read off the index alone (before,
each was a look-up of a wide referral row); the referral's identity code (a refused referral's,
which has no client row) gets one, so a search by code no longer reads every referral.

Revision ID: 0012d
Revises: 0012c
"""
from alembic import op

revision = '0012d'
down_revision = '0012c'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_referrals_responsible_official', table_name='referrals')
    op.drop_index('ix_referrals_provider_organisation_id', table_name='referrals')
    op.create_index('ix_referrals_official_instance', 'referrals', ['responsible_official', 'instance_id'])
    op.create_index('ix_referrals_provider_instance', 'referrals', ['provider_organisation_id', 'instance_id'])
    op.create_index('ix_referrals_identity_code', 'referrals', ['identity_code'])


def downgrade() -> None:
    op.drop_index('ix_referrals_identity_code', table_name='referrals')
    op.drop_index('ix_referrals_provider_instance', table_name='referrals')
    op.drop_index('ix_referrals_official_instance', table_name='referrals')
    op.create_index('ix_referrals_provider_organisation_id', 'referrals', ['provider_organisation_id'])
    op.create_index('ix_referrals_responsible_official', 'referrals', ['responsible_official'])
