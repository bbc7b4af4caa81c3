"""Creating and upgrading the schema: Alembic owns it from the first table."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(connection=None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine) -> None:
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")


def head_revision() -> str | None:
    """The newest migration this code ships; a database at any other revision is behind it."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
