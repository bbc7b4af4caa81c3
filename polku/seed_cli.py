"""`polku seed --cases N`: a database of realistic synthetic job-coaching cases, for trying and
measuring the app at scale (bench/queries.py).

What is real and what is copied: for each template path (polku.seed_paths.PATHS: referred, goals
being set, weekly reviews under way, at closure, end notice with the official, completed, refused,
terminated) and each demo provider, `--real` cases run through the engine's own commands (start,
complete, terminate), writing their audit rows like any user's steps. The other cases are copies
of those (polku.seed_clone): new ids, new clients, dates moved by whole weeks (running cases up to
two weeks back, finished ones up to two years), written in bulk and without audit rows.
"""
from __future__ import annotations

import random
import time

import click
from sqlalchemy import func, select

from polku.domain.models import Client, Provider, Referral
from polku.engine import accounts, instances, users
from polku.engine.models import HumanTask, Instance, Organisation, User

from . import seed_clone
from .cli import command, main
from .seed_paths import PATHS, PROCESS, Driver, person, run_path

BATCH = 500  # copies a transaction


def _coaches(env, providers: int) -> list[tuple[str, str]]:
    """(username, provider) of a coach of each provider: the demo's two, then providers of the
    seed's own (made here when missing: the organisation, a coach `valmentajaK` with the demo's
    password scheme, and the register entry through the provider follow-up process, like `demo`)."""
    from .serve_cli import DEMO_PROVIDERS, DEMO_USERS, demo_password  # serve_cli imports cli, which imports this

    coaches = [(u, org) for u, _n, roles, org, kind in DEMO_USERS if "coach" in roles and org][:providers]
    for k in range(len(coaches) + 1, providers + 1):
        username, org = f"valmentaja{k}", f"Valmennuspolku {k} Oy"
        with env.uow() as uow:
            if uow.session.scalar(select(User.id).where(User.username == username)) is None:
                users.add_user(uow, "system", username, ["coach"], org, "provider", f"Valmentaja {k}",
                               accounts.hash_password(demo_password(username)))
            if uow.session.scalar(select(Provider.id).join(Organisation, Organisation.id == Provider.organisation_id)
                                  .where(Organisation.name == org)) is None:
                instances.start(uow, env.runtime, "esihenkilo", "provider_follow_up",
                                {"provider": org, **DEMO_PROVIDERS["Valmennus Oy"]})
            uow.commit()
        coaches.append((username, org))
    return coaches


def _plan(cases: int, real: int, providers: int) -> list[tuple[int, int, int]]:
    """(path index, provider index, cases) for every cell with cases, by the paths' weights."""
    total = sum(p.weight for p in PATHS)
    cells = [(i, j, p.weight) for i, p in enumerate(PATHS) for j in range(providers)]
    floor = 1 if cases >= len(cells) else 0  # every path and provider once, when there are enough cases
    rest = cases - floor * len(cells)
    counts = [floor + rest * w // (total * providers) for _i, _j, w in cells]
    for k in sorted(range(len(cells)), key=lambda k: -cells[k][2])[:cases - sum(counts)]:
        counts[k] += 1
    return [(i, j, n) for (i, j, _w), n in zip(cells, counts, strict=True) if n]


@main.command()
@click.option("--cases", type=click.IntRange(1), required=True, help="how many job-coaching cases to add")
@click.option("--seed", "rng_seed", type=int, default=1, show_default=True, help="random seed (same seed, same spread)")
@click.option("--providers", type=click.IntRange(1), default=2, show_default=True,
              help="providers to spread the cases over: the demo's two, then ones the seed adds")
@click.option("--real", type=click.IntRange(1), default=1, show_default=True,
              help="cases run through the engine per path and provider; the rest are copies of them")
@click.pass_context
@command
def seed(ctx, cases, rng_seed, providers, real):
    """Add N synthetic job-coaching cases over the steps, periods and providers (runs `demo` first)."""
    from .serve_cli import demo

    env = ctx.obj
    ctx.invoke(demo)
    rng = random.Random(rng_seed)
    started = time.monotonic()
    today = env.clock.now().date()
    coaches = _coaches(env, providers)
    with env.engine.connect() as conn:
        taken = set(conn.scalars(select(Referral.identity_code)))
        n = conn.scalar(select(func.count()).select_from(Referral)) or 0
    people = _people(taken, n)
    made_real = made_copies = 0
    with click.progressbar(length=cases, label="seeding cases") as bar:
        for i, j, count in _plan(cases, real, len(coaches)):
            coach, provider = coaches[j]
            templates = []
            for _ in range(min(real, count)):
                templates.append(run_path(PATHS[i], Driver(env.engine, env.runtime, coach, provider, next(people)),
                                          today))
                made_real += 1
                bar.update(1)
            made_copies += _copy(env.engine, templates, count - len(templates), PATHS[i].running, people, rng, bar)
    click.echo(f"seeded {cases} cases: {made_real} through the engine, {made_copies} copies, "
               f"in {time.monotonic() - started:.1f} s")
    _summary(env)


def _people(taken: set[str], n: int):
    while True:
        name, hetu = person(n)
        n += 1
        if hetu not in taken:
            yield n, name, hetu


def _copy(engine, template_ids: list[int], count: int, running: bool, people, rng: random.Random, bar) -> int:
    if not count:
        return 0
    with engine.begin() as conn:
        templates = [seed_clone.Template(conn, t) for t in template_ids]
    done = 0
    while done < count:
        with engine.begin() as conn:
            ids = seed_clone.Ids(conn)
            batch = []
            for k in range(done, min(count, done + BATCH)):
                _n, name, hetu = next(people)
                weeks = -rng.randint(0, 2) if running else -rng.randint(0, 104)
                batch.append(seed_clone.Copier(templates[k % len(templates)], ids, name, hetu, weeks).rows())
            seed_clone.insert_batch(conn, batch)
            ids.fix_sequences(conn)
        bar.update(len(batch))
        done += len(batch)
    return done


def summary_counts(session) -> dict[str, dict[str, int]]:
    """Job-coaching cases by status, open step and provider: what the summary prints."""
    case = Instance.process_key == PROCESS
    status = session.execute(select(Instance.status, func.count()).where(case).group_by(Instance.status))
    step = session.execute(
        select(HumanTask.element_id, func.count()).join(Instance, Instance.id == HumanTask.instance_id)
        .where(case, HumanTask.state == "ready").group_by(HumanTask.element_id))
    provider = session.execute(
        select(Organisation.name, func.count()).join(Referral, Referral.provider_organisation_id == Organisation.id)
        .group_by(Organisation.name))
    clients = session.scalar(select(func.count()).select_from(Client))
    return {"status": dict(status.all()), "step": dict(step.all()), "provider": dict(provider.all()),
            "clients": {"clients": clients or 0}}


def _summary(env) -> None:
    with env.uow(write=False) as uow:
        counts = summary_counts(uow.session)
    for title, rows in counts.items():
        click.echo(f"{title}:")
        for key, value in sorted(rows.items(), key=lambda kv: (-kv[1], kv[0])):
            click.echo(f"  {key:<32} {value:>8}")
