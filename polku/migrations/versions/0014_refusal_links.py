"""organisation_links also pair a refused referral's area with the provider it named

The dashboard's provider columns start from the organisations an area works with (engine.org_links)
instead of collecting them from the area's 12,500 cases. A refused referral's provider is never
among the case's organisations (it is not shown the case), so the refusal's handler now links the
pair (domain.handlers.refusal_links); this links those of the refusals there are.

Revision ID: 0014a
Revises: 0013a
"""
from alembic import op

revision = '0014a'
down_revision = '0013a'
branch_labels = None
depends_on = None

# Both ways round, each pair once, and none already there.
_PAIRS = """
SELECT DISTINCT {a}, {b} FROM referrals r
JOIN instance_organisations o ON o.instance_id = r.instance_id
WHERE r.outcome = 'refused' AND r.provider_organisation_id IS NOT NULL
  AND o.organisation_id <> r.provider_organisation_id
  AND NOT EXISTS (SELECT 1 FROM organisation_links l WHERE l.organisation_id = {a} AND l.linked_id = {b})
"""


def upgrade() -> None:
    for a, b in (("o.organisation_id", "r.provider_organisation_id"), ("r.provider_organisation_id", "o.organisation_id")):
        op.execute("INSERT INTO organisation_links (organisation_id, linked_id)" + _PAIRS.format(a=a, b=b))


def downgrade() -> None:
    """The pairs stay: which of them only a refusal made cannot be told apart, and an extra pair only
    offers a provider among the choices."""
