"""audit rows say who, role, organisation and from where; hash-chained and append-only

Issue 9: every audit row carries the actor's roles and organisation then and where the command
came from; rows form hash chains (one per case, one per actor for the rest) whose heads live in
audit_heads; the database refuses UPDATE and DELETE on audit_events (a trigger on both engines).
Existing rows are chained in id order; their new columns stay empty (not known then).

Revision ID: 0009d
Revises: 0008c
"""
from alembic import op
import sqlalchemy as sa

from polku.engine.audit import GENESIS, chain_of, row_hash
from polku.engine.models import UTCDateTime

revision = '0009d'
down_revision = '0008c'
branch_labels = None
depends_on = None

REFUSE = "audit_events is append-only"


def upgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('organisation', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('origin', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('chain', sa.String(length=110), nullable=True))
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    heads = op.create_table('audit_heads',
        sa.Column('chain', sa.String(length=110), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('chain', name=op.f('pk_audit_heads')))
    _chain_existing_rows(heads)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        for name in ('chain', 'seq', 'prev_hash', 'hash'):
            batch_op.alter_column(name, nullable=False)
        batch_op.create_unique_constraint('uq_audit_events_chain_seq', ['chain', 'seq'])
    _create_triggers()


def _chain_existing_rows(heads) -> None:
    conn = op.get_bind()
    audit = sa.table('audit_events', sa.column('id', sa.Integer), sa.column('at', UTCDateTime()),
                     sa.column('actor', sa.String), sa.column('role', sa.String),
                     sa.column('organisation', sa.String), sa.column('origin', sa.String),
                     sa.column('action', sa.String), sa.column('instance_id', sa.Integer),
                     sa.column('task_id', sa.String), sa.column('details', sa.JSON),
                     sa.column('chain', sa.String), sa.column('seq', sa.Integer),
                     sa.column('prev_hash', sa.String), sa.column('hash', sa.String))
    last: dict[str, tuple[int, str]] = {}
    for row in conn.execute(sa.select(audit).order_by(audit.c.id)).mappings().all():
        values = dict(row)
        chain = chain_of(values['actor'], values['instance_id'])
        seq, prev = last.get(chain, (0, GENESIS))
        values.update(chain=chain, seq=seq + 1, prev_hash=prev)
        values['hash'] = row_hash(values)
        conn.execute(audit.update().where(audit.c.id == values['id']).values(
            chain=chain, seq=seq + 1, prev_hash=prev, hash=values['hash']))
        last[chain] = (seq + 1, values['hash'])
    if last:
        op.bulk_insert(heads, [{'chain': c, 'seq': s, 'hash': h} for c, (s, h) in last.items()])


def _create_triggers() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for verb in ('UPDATE', 'DELETE'):
            op.execute(f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                       f"BEGIN SELECT RAISE(ABORT, '{REFUSE}'); END")
        return
    op.execute("CREATE FUNCTION audit_events_refuse() RETURNS trigger LANGUAGE plpgsql AS "
               f"$$ BEGIN RAISE EXCEPTION '{REFUSE}'; END $$")
    op.execute("CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
               "FOR EACH ROW EXECUTE FUNCTION audit_events_refuse()")
    op.execute("CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
               "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse()")


def _drop_triggers() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events")
    op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
    op.execute("DROP FUNCTION IF EXISTS audit_events_refuse()")


def downgrade() -> None:
    _drop_triggers()
    op.drop_table('audit_heads')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint('uq_audit_events_chain_seq', type_='unique')
        for name in ('hash', 'prev_hash', 'seq', 'chain', 'origin', 'organisation', 'role'):
            batch_op.drop_column(name)
