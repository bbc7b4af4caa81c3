"""Alembic environment: the connection comes from polku.schema.upgrade(), never from a file."""
from alembic import context

import polku.domain.models  # noqa: F401  (registers the domain tables on the shared metadata)
from polku.engine.models import Base

config = context.config
connection = config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
