"""The migrations make the schema the models describe: every table, column, index and constraint a
model declares (an index added to a model without its migration would be missing on every database
made by `polku init-db`, and nothing else would notice)."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from polku import wiring  # noqa: F401  (imports the domain's models beside the engine's)
from polku.engine.models import Base

# The inbox's index on an expression is made by its migration alone (engine.models says so): SQLite's
# reflection skips it with a warning, PostgreSQL's finds it where no model declares it.
EXPRESSION_INDEXES = {"ix_human_tasks_inbox_due"}


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_the_migrated_database_is_what_the_models_declare(db_engine):
    with db_engine.connect() as conn:
        found = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert [d for d in found if not (d[0] == "remove_index" and d[1].name in EXPRESSION_INDEXES)] == []
