"""Template databases for the tests: each state a fixture builds by running `polku` commands (the
schema, a deployed package and its cast of users) is built once per session, then handed to every
test that asks for it as a fresh, isolated copy in a few milliseconds.

SQLite: every template is a file; a test gets a copy of it (on tmpfs when the machine has one,
where fsync costs nothing). PostgreSQL: the tests share the one database they are given (dropping
a database per test costs a checkpoint, a second or more); a template is a snapshot of its
tables in a schema of its own, and a test starts by deleting every row and copying the snapshot
back, sequences included, in one transaction: the same rows with the same ids as building it.
"""
from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import make_url

from polku.engine.db import make_engine
from polku.schema import upgrade

SCHEMA = "schema"  # the root template: the migrated schema, no rows
SNAPSHOT_PREFIX = "polku_tpl_"  # PostgreSQL schemas holding the templates' rows
KEEP = ("alembic_version",)  # never emptied: every template has the same schema revision

Recipe = Callable[[str], None]  # builds a template's state on the database at the given URL


class Templates:
    """The recipes the conftests register (name -> parent, recipe), and the states built from them."""

    def __init__(self):
        self.recipes: dict[str, tuple[str, Recipe]] = {}
        self.sources: dict[str, str] = {}
        self.backend = None

    def register(self, name: str, parent: str, recipe: Recipe, source: str) -> None:
        """`source` names where the recipe is defined: a conftest imported again under another
        module name registers the same recipe again, two different recipes may not share a name."""
        if name in self.sources and self.sources[name] != source:
            raise ValueError(f"template {name!r} is defined both in {self.sources[name]} and in {source}")
        self.recipes[name], self.sources[name] = (parent, recipe), source

    def chain(self, name: str) -> list[str]:
        """The template's ancestors, root first, ending with the template itself."""
        names = [name]
        while names[-1] != SCHEMA:
            names.append(self.recipes[names[-1]][0])
        return names[::-1]

    def deepest(self, fixturenames) -> str:
        """The template a test starts from: the deepest one among the fixtures it uses."""
        wanted = [n for n in fixturenames if n in self.recipes]
        return max(wanted, key=lambda n: len(self.chain(n)), default=SCHEMA)

    def fresh(self, name: str) -> str:
        """The URL of a database in the template's state, ready for one test."""
        for step in self.chain(name)[1:]:
            if not self.backend.has(step):
                parent, recipe = self.recipes[step]
                self.backend.build(step, parent, recipe)
        return self.backend.fresh(name)


class SqliteTemplates:
    def __init__(self, fallback_dir: Path):
        # tmpfs: fsync is free there, and the suite writes thousands of small transactions.
        shm = Path("/dev/shm")
        base = shm if shm.is_dir() and os.access(shm, os.W_OK) else fallback_dir
        self.dir = Path(tempfile.mkdtemp(prefix="polku-tests-", dir=base))
        self.files: dict[str, Path] = {}
        self._numbers = itertools.count(1)
        path = self.dir / f"{SCHEMA}.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
        self.files[SCHEMA] = self._settled(path)

    def has(self, name: str) -> bool:
        return name in self.files

    def build(self, name: str, parent: str, recipe: Recipe) -> None:
        path = self.dir / f"template-{name}.db"
        shutil.copyfile(self.files[parent], path)
        recipe(f"sqlite:///{path}")
        self.files[name] = self._settled(path)

    @staticmethod
    def _settled(path: Path) -> Path:
        # Fold the write-ahead log into the file, so that copying the one file copies everything.
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        leftovers = [p for p in (Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]
        assert not leftovers, f"template {path} still open elsewhere: {leftovers}"
        return path

    def fresh(self, name: str) -> str:
        path = self.dir / f"test-{next(self._numbers)}.db"
        shutil.copyfile(self.files[name], path)
        return f"sqlite:///{path}"

    def release(self, url: str) -> None:
        path = url.split("///", 1)[1]
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


class PostgresTemplates:
    def __init__(self, url: str):
        import psycopg

        self.url = url
        conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.conn = psycopg.connect(conninfo, autocommit=True)
        database = make_url(url).database
        stale = [r[0] for r in self.conn.execute(
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)", (SNAPSHOT_PREFIX,))]
        for schema in stale:
            self.conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        self.conn.execute("DROP SCHEMA public CASCADE")
        self.conn.execute("CREATE SCHEMA public")
        # A test database needs no durability: commits do not wait for the WAL to reach the disk.
        self.conn.execute(f'ALTER DATABASE "{database}" SET synchronous_commit = off')
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        self.tables = [r[0] for r in self.conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
            if r[0] not in KEEP]
        self.sequences = [r[0] for r in self.conn.execute(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' ORDER BY sequencename")]
        self.restores: dict[str, str] = {}
        self._snapshot(SCHEMA)

    def has(self, name: str) -> bool:
        return name in self.restores

    def build(self, name: str, parent: str, recipe: Recipe) -> None:
        self.conn.execute(self.restores[parent])
        recipe(self.url)
        self._snapshot(name)

    def _snapshot(self, name: str) -> None:
        """Copies the rows and sequence positions of `public` into a schema of the template's own,
        and prepares the one statement batch that puts them back."""
        schema = f"{SNAPSHOT_PREFIX}{name}"
        self.conn.execute(f'CREATE SCHEMA "{schema}"')
        inserts = []
        for table in self.tables:
            self.conn.execute(f'CREATE TABLE "{schema}"."{table}" AS SELECT * FROM public."{table}"')
            if self.conn.execute(f'SELECT EXISTS (SELECT FROM "{schema}"."{table}")').fetchone()[0]:
                inserts.append(f'INSERT INTO public."{table}" SELECT * FROM "{schema}"."{table}";')
        positions = []
        for seq in self.sequences:
            value, called = self.conn.execute(f'SELECT last_value, is_called FROM public."{seq}"').fetchone()
            positions.append(f"SELECT setval('public.\"{seq}\"', {int(value)}, {'true' if called else 'false'});")
        # Replica mode: foreign keys and triggers stay quiet while the tables are emptied and refilled
        # in any order; the rows put back are a consistent state.
        self.restores[name] = "\n".join([
            "BEGIN;",
            "SET LOCAL session_replication_role = replica;",
            *(f'DELETE FROM public."{table}";' for table in self.tables),
            *inserts,
            *positions,
            "COMMIT;",
        ])

    def fresh(self, name: str) -> str:
        self.conn.execute(self.restores[name])
        return self.url

    def release(self, url: str) -> None:
        """Nothing to drop: the next test empties the tables first."""

    def close(self) -> None:
        for name in self.restores:
            self.conn.execute(f'DROP SCHEMA IF EXISTS "{SNAPSHOT_PREFIX}{name}" CASCADE')
        self.conn.close()
