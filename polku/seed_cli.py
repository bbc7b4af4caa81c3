"""`polku seed --cases N`: a database of realistic synthetic job-coaching cases, for trying and
measuring the app at scale (bench/queries.py).

What is real and what is copied: for each template path (polku.seed_paths.PATHS: referred, goals
being set, weekly reviews under way, at closure, end notice with the official, completed, refused,
terminated) and each demo provider, `--real` cases run through the engine's own commands (start,
complete, terminate) in the demo's area, writing their audit rows like any user's steps. The other
cases are copies of those (polku.seed_clone): new ids, new clients, dates moved by whole weeks
(running cases up to two weeks back, finished ones up to two years), written in bulk and without
audit rows, each moved to the home it is dealt (polku.seed_layout: `--areas` employment areas,
staffed and with providers for the cases they have running). `--concentrated` keeps every case in
the demo's area, on its two providers, their coaches and its first official: the worst case.
"""
from __future__ import annotations

import random
import time
from collections import Counter

import click
from sqlalchemy import func, select

from polku.domain.models import Client, Referral
from polku.engine.models import (
    HumanTask,
    Instance,
    InstanceOrganisation,
    Organisation,
    TaskCandidateGroup,
    User,
    UserRole,
)

from . import seed_clone, seed_layout
from .cli import command, main
from .seed_paths import PATHS, PROCESS, Driver, person, run_path

BATCH = 500  # copies a transaction


def _plan(cases: int, providers: int) -> list[tuple[int, int, int]]:
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
@click.option("--areas", type=click.IntRange(1), default=8, show_default=True,
              help="employment areas to share the cases: the demo's, then `Työllisyysalue K`, each with the "
                   "officials, providers and coaches its running cases need")
@click.option("--concentrated", is_flag=True,
              help="every case in the demo's area, on its two providers, coaches and first official (worst case)")
@click.option("--real", type=click.IntRange(1), default=1, show_default=True,
              help="cases run through the engine per path and demo provider; the rest are copies of them")
@click.pass_context
@command
def seed(ctx, cases, rng_seed, areas, concentrated, real):
    """Add N synthetic job-coaching cases over the steps, periods, areas and providers (runs `demo` first)."""
    from .serve_cli import DEMO_PROVIDERS, demo

    env = ctx.obj
    ctx.invoke(demo)
    rng = random.Random(rng_seed)
    started = time.monotonic()
    today = env.clock.now().date()
    providers = list(DEMO_PROVIDERS)  # the templates' providers, in the order of area 1's
    cells = _plan(cases, len(providers))
    turns = seed_layout.Turns(random.Random(rng.random()))
    dealt = seed_layout.deal_areas([(PATHS[i].running, min(real, n), n) for i, _j, n in cells],
                                   1 if concentrated else areas, turns)
    dealer = None
    if not concentrated:
        running = Counter(a for (i, _j, _n), homes in zip(cells, dealt, strict=True) if PATHS[i].running
                          for a in homes)
        layout = seed_layout.plan([running[k] for k in range(areas)])
        seed_layout.establish(env, layout)
        dealer = seed_layout.Dealer(layout, turns)
    with env.uow(write=False) as uow:
        ids = seed_layout.organisation_ids(uow.session)
        taken = set(uow.session.scalars(select(Referral.identity_code)))
        n = uow.session.scalar(select(func.count()).select_from(Referral)) or 0
    people = _people(taken, n)
    made_real = made_copies = 0
    with click.progressbar(length=cases, label="seeding cases") as bar:
        for (i, j, count), homes in zip(cells, dealt, strict=True):
            path, home = PATHS[i], seed_layout.demo_home(providers[j], ids)
            templates = []
            for _ in range(min(real, count)):
                who = next(people)
                templates.append(run_path(path, Driver(env.engine, env.runtime, home.coach, home.provider, who), today))
                if dealer:
                    dealer.template(j, path.running)
                made_real += 1
                bar.update(1)
            moves = (dealer.home(a, path.running) if dealer else None for a in homes[len(templates):])
            made_copies += _copy(env.engine, templates, home, moves, count - len(templates), path.running,
                                 people, rng, bar)
    click.echo(f"seeded {cases} cases: {made_real} through the engine, {made_copies} copies, "
               f"in {time.monotonic() - started:.1f} s")
    if env.engine.dialect.name == "postgresql":
        # After a bulk load, as PostgreSQL's manual advises, rather than when autovacuum gets round
        # to it: ANALYZE, or the planner takes the tables for as small as they were; VACUUM, or
        # index-only scans still read every row's page to learn whether it is visible (the
        # instance list's overdue filter: 53 ms, 30 ms after it).
        with env.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    _summary(env)


def _people(taken: set[str], n: int):
    while True:
        name, hetu = person(n)
        n += 1
        if hetu not in taken:
            yield n, name, hetu


def _copy(engine, template_ids: list[int], home: seed_clone.Home, homes, count: int, running: bool, people,
          rng: random.Random, bar) -> int:
    """`count` copies of the templates (all run in `home`), the k-th moved to the k-th of `homes`."""
    if not count:
        return 0
    with engine.begin() as conn:
        templates = [seed_clone.Template(conn, t, home) for t in template_ids]
    done = 0
    while done < count:
        with engine.begin() as conn:
            ids = seed_clone.Ids(conn)
            batch = []
            for k in range(done, min(count, done + BATCH)):
                _n, name, hetu = next(people)
                weeks = -rng.randint(0, 2) if running else -rng.randint(0, 104)
                batch.append(seed_clone.Copier(templates[k % len(templates)], ids, name, hetu, weeks,
                                               next(homes)).rows())
            seed_clone.insert_batch(conn, batch)
            ids.fix_sequences(conn)
        bar.update(len(batch))
        done += len(batch)
    return done


def summary_counts(session) -> dict[str, dict[str, int]]:
    """What the summary prints: job-coaching cases by status, open step and area; how many areas,
    providers and staff share them; the load of the busiest user of each role; the clients."""
    case = Instance.process_key == PROCESS
    status = session.execute(select(Instance.status, func.count()).where(case).group_by(Instance.status))
    step = session.execute(
        select(HumanTask.element_id, func.count()).join(Instance, Instance.id == HumanTask.instance_id)
        .where(case, HumanTask.state == "ready").group_by(HumanTask.element_id))
    area = session.execute(
        select(Organisation.name, func.count()).join(InstanceOrganisation, InstanceOrganisation.organisation_id
                                                     == Organisation.id)
        .join(Instance, Instance.id == InstanceOrganisation.instance_id)
        .where(case, Organisation.kind == "area").group_by(Organisation.name))
    per_provider = select(Referral.provider_organisation_id, func.count().label("n")).join(
        Instance, Instance.id == Referral.instance_id).group_by(Referral.provider_organisation_id)
    running = per_provider.where(Instance.status == "running")
    roles = dict(session.execute(select(UserRole.role, func.count()).group_by(UserRole.role)).all())
    spread = {"areas": 0, "providers": session.scalar(select(func.count()).select_from(per_provider.subquery())),
              "officials": roles.get("official", 0), "coaches": roles.get("coach", 0),
              "cases, busiest provider": session.scalar(select(func.max(per_provider.subquery().c.n))),
              "running, busiest provider": session.scalar(select(func.max(running.subquery().c.n)))}
    clients = session.scalar(select(func.count()).select_from(Client))
    counts = {"status": dict(status.all()), "step": dict(step.all()), "area": dict(area.all()), "spread": spread,
              "open tasks, busiest user": _open_tasks(session), "clients": {"clients": clients or 0}}
    spread["areas"] = len(counts["area"])
    return {title: {k: v or 0 for k, v in rows.items()} for title, rows in counts.items()}


def _open_tasks(session) -> dict[str, int]:
    """By role, the most ready tasks one user of it may work on (engine.access.MAY_WORK): those
    assigned to them, and the unclaimed ones of the role in their organisation's instances."""
    ready = HumanTask.state == "ready"
    mine = dict(session.execute(select(HumanTask.assignee, func.count())
                                .where(ready, HumanTask.assignee.is_not(None)).group_by(HumanTask.assignee)).all())
    free = {(org, group): n for org, group, n in session.execute(
        select(InstanceOrganisation.organisation_id, TaskCandidateGroup.group_name, func.count())
        .join(HumanTask, HumanTask.id == TaskCandidateGroup.task_id)
        .join(InstanceOrganisation, InstanceOrganisation.instance_id == HumanTask.instance_id)
        .where(ready, HumanTask.assignee.is_(None))
        .group_by(InstanceOrganisation.organisation_id, TaskCandidateGroup.group_name))}
    most: Counter[str] = Counter()
    for username, org, role in session.execute(select(User.username, User.organisation_id, UserRole.role)
                                               .join(UserRole, UserRole.user_id == User.id)
                                               .where(UserRole.role.in_(("coach", "official", "manager")))):
        most[role] = max(most[role], mine.get(username, 0) + free.get((org, role), 0))
    return dict(most)


def _summary(env) -> None:
    with env.uow(write=False) as uow:
        counts = summary_counts(uow.session)
    for title, rows in counts.items():
        click.echo(f"{title}:")
        ordered = rows.items() if title in ("spread", "open tasks, busiest user") else \
            sorted(rows.items(), key=lambda kv: (-kv[1], kv[0]))
        for key, value in ordered:
            click.echo(f"  {key:<32} {value:>8}")
