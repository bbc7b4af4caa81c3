"""bench/throughput.py's database: made (a throwaway PostgreSQL database, or a SQLite file), filled
with job-coaching cases at their weekly review, and counted afterwards (the lost-update check)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from throughput_bare import PERIOD_WEEKS, START, STEP

ROOT = Path(__file__).resolve().parent.parent


# --- preparation -------------------------------------------------------------------------------
def _make_database(url: str, workdir: Path) -> str:
    if url in ("sqlite", "sqlite:"):
        return f"sqlite:///{workdir / 'throughput.db'}"
    if url.startswith("sqlite"):
        return url
    import psycopg

    name = url.rpartition("/")[2]
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    admin = url.replace("postgresql+psycopg://", "postgresql://").rpartition("/")[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url


def prepare(url: str, cases: int, workdir: Path) -> list[tuple[int, str]]:
    """The database made and filled; returns (instance id, coach) of every case."""
    from sqlalchemy import text

    from polku import seed_clone, seed_layout
    from polku.engine.db import make_engine
    from polku.seed_paths import Driver, person
    from polku.serve_cli import DEMO_PROVIDERS
    from polku.wiring import build_runtime

    url = _make_database(url, workdir)
    env = dict(os.environ, POLKU_DATABASE_URL=url)
    done = subprocess.run([str(Path(sys.executable).parent / "polku"), "demo"], env=env, cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"polku demo failed: {done.stderr.strip()[-800:]}")
    engine, runtime = make_engine(url), build_runtime()
    with engine.begin() as conn:
        from sqlalchemy.orm import Session

        ids = seed_layout.organisation_ids(Session(bind=conn))
    homes = [seed_layout.demo_home(p, ids) for p in DEMO_PROVIDERS]
    templates = []
    for n, home in enumerate(homes):
        name, hetu = person(n)
        d = Driver(engine, runtime, home.coach, home.provider, (n, name, hetu))
        d.refer(START, weeks=PERIOD_WEEKS)
        d.accept(START)
        d.goals(START)
        templates.append(d.id)
    out = [(t, h.coach) for t, h in zip(templates, homes, strict=True)]
    with engine.begin() as conn:
        loaded = [seed_clone.Template(conn, t, h) for t, h in zip(templates, homes, strict=True)]
    n = len(homes)
    while len(out) < cases:
        with engine.begin() as conn:
            ids_ = seed_clone.Ids(conn)
            batch = []
            for _ in range(min(500, cases - len(out))):
                k = n % len(loaded)
                name, hetu = person(n)
                n += 1
                rows = seed_clone.Copier(loaded[k], ids_, name, hetu, 0).rows()
                batch.append(rows)
                out.append((rows["instances"][0]["id"], homes[k].coach))
            seed_clone.insert_batch(conn, batch)
            ids_.fix_sequences(conn)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return out


def stored_counts(url: str) -> tuple[int, int, int]:
    """(complete audit rows, completed weekly_review task rows, weekly_reviews rows)."""
    from sqlalchemy import func, select

    from polku.domain.models import WeeklyReview
    from polku.engine.db import make_engine
    from polku.engine.models import AuditEvent, HumanTask

    engine = make_engine(url)
    with engine.connect() as conn:
        audit = conn.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "complete"))
        done = conn.scalar(select(func.count()).select_from(HumanTask).where(
            HumanTask.element_id == STEP, HumanTask.state == "completed"))
        reviews = conn.scalar(select(func.count()).select_from(WeeklyReview))
    engine.dispose()
    return audit or 0, done or 0, reviews or 0
