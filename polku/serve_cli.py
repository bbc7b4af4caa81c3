"""Long-running and setup commands: worker, serve, demo."""
from __future__ import annotations

import logging
import threading

import click
from sqlalchemy import select

from polku.engine import accounts, users
from polku.engine import deploy as deploy_mod
from polku.engine.bundle import read_bundle
from polku.engine.heartbeat import default_worker_name, record_round
from polku.engine.models import User
from polku.engine.worker import worker_round

from .cli import command, main
from .schema import upgrade
from .wiring import periodic_jobs, processes_dir

DEMO_USERS = [
    # username, display name, roles, organisation, kind
    ("virkailija1", "Virpi Virkailija", ["official"], "Helsingin työllisyysalue", "area"),
    ("virkailija2", "Ville Virkailija", ["official"], "Helsingin työllisyysalue", "area"),
    ("esihenkilo", "Essi Esihenkilö", ["manager"], "Helsingin työllisyysalue", "area"),
    ("suunnittelija", "Sanna Suunnittelija", ["designer"], "Helsingin työllisyysalue", "area"),
    ("valmentaja1", "Valtteri Valmentaja", ["coach"], "Valmennus Oy", "provider"),
    ("valmentaja2", "Veera Valmentaja", ["coach"], "Polku Coaching Ab", "provider"),
    ("admin", "Pääkäyttäjä", ["admin"], None, "area"),
]


@main.command()
@click.option("--once", is_flag=True, help="fire what is due now, then exit")
@click.option("--interval", default=5.0, show_default=True, help="seconds between polls")
@click.option("--name", "worker_name", default=None, help="name in the health report [default: the host name]")
@click.pass_obj
@command
def worker(env, once, interval, worker_name):
    """Fire due timers, retry failed service tasks and run the periodic jobs, such as the deadline
    watch (once, or in a loop)."""
    worker_name = worker_name or default_worker_name()
    if once:
        result = worker_round(env.engine, env.runtime, env.clock, periodic_jobs())
        record_round(env.engine, env.clock, worker_name, result.fired)
        click.echo(f"fired {result.fired} timer(s)")
        if result.retried:
            click.echo(f"service retries: {result.retried}")
        for name, count in result.jobs.items():
            if count:
                click.echo(f"{name}: {count}")
        return
    run_worker_loop(env, interval, threading.Event(), worker_name)


def run_worker_loop(env, interval: float, stop: threading.Event, worker_name: str | None = None) -> None:
    """Poll for due timers (and run the periodic jobs) until stopped. A failing round is logged and the next one tried:
    a database that is briefly away must not end the worker for good. Only a finished round is
    recorded, so /healthz shows a worker that keeps failing by the age of its last good round."""
    from polku.engine.clock import clock_from_env

    worker_name = worker_name or default_worker_name()
    jobs = periodic_jobs()
    while not stop.is_set():
        try:
            clock = clock_from_env()
            fired = worker_round(env.engine, env.runtime, clock, jobs).fired
            record_round(env.engine, clock, worker_name, fired)
        except Exception:  # noqa: BLE001  (logged with its traceback; the loop goes on)
            logging.getLogger("polku.worker").exception("timer round failed; trying again in %s s", interval)
        stop.wait(interval)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.pass_obj
@command
def serve(env, host, port):
    """Run the web app with a timer worker thread."""
    from .app import build_app, serving

    app = serving(build_app({"DATABASE_URL": env.url}))
    if app.config.get("SECRET_KEY_SOURCE"):
        click.echo("warning: no POLKU_SECRET_KEY: sessions are signed with a random key kept in the "
                   f"{'database' if app.config['SECRET_KEY_SOURCE'] == 'database' else 'process'}; "
                   "set POLKU_SECRET_KEY in production", err=True)
    stop = threading.Event()
    thread = threading.Thread(target=run_worker_loop, args=(env, 5.0, stop), daemon=True, name="polku-worker")
    thread.start()
    try:
        app.run(host=host, port=port, use_reloader=False)
    finally:
        stop.set()


DEMO_PROVIDERS = {
    "Valmennus Oy": {"methods": "Yksilövalmennus ja työnhakuryhmät", "municipalities": "Helsinki, Espoo, Vantaa",
                     "start_dates": "", "non_stop": True, "places_at_once": 25, "places_per_year": 80,
                     "target_group": "Pitkään työttömänä olleet"},
    "Polku Coaching Ab": {"methods": "Individuell coachning på svenska och finska", "municipalities": "Helsinki",
                          "start_dates": "1.2., 1.5., 1.9.", "non_stop": False, "places_at_once": 10,
                          "places_per_year": 30, "target_group": "Svenskspråkiga arbetssökande"},
}


def _register_demo_providers(env) -> None:
    """Each demo provider's register entry, through the provider follow-up process itself."""
    from polku.domain.models import Provider
    from polku.engine import instances
    from polku.engine.models import Organisation

    with env.uow() as uow:
        registered = set(uow.session.scalars(
            select(Organisation.name).join(Provider, Provider.organisation_id == Organisation.id)))
    for name, entry in DEMO_PROVIDERS.items():
        if name in registered:
            continue
        with env.uow() as uow:
            instances.start(uow, env.runtime, "esihenkilo", "provider_follow_up", {"provider": name, **entry})
            uow.commit()
        click.echo(f"provider {name} registered")


@main.command()
@click.pass_obj
@command
def demo(env):
    """Idempotent: schema, deploy processes/, demo organisations and users."""
    upgrade(env.engine)
    files = [p for p in processes_dir().glob("*") if p.suffix in (".bpmn", ".dmn")]
    with env.uow() as uow:
        if files:
            for r in deploy_mod.deploy(uow, env.runtime, "system", read_bundle([processes_dir()])):
                click.echo(f"{r.key}\t{r.version}\t{r.status}")
        else:
            click.echo("processes/ has no BPMN files yet: nothing deployed")
        existing = {u.username: u for u in uow.session.scalars(select(User))}
        for username, name, roles, org, kind in DEMO_USERS:
            if username not in existing:
                users.add_user(uow, "system", username, roles, org, kind, name,
                               accounts.hash_password(demo_password(username)))
            elif not existing[username].password_hash:
                accounts.set_password(uow, "system", username, demo_password(username))
        uow.commit()
    if files:
        _register_demo_providers(env)
    click.echo("demo users (log in at http://127.0.0.1:5000/):")
    click.echo(f"  {'username':<14} {'roles':<10} {'organisation':<26} password")
    for username, _name, roles, org, _kind in DEMO_USERS:
        click.echo(f"  {username:<14} {','.join(roles):<10} {org or '-':<26} {demo_password(username)}")


def demo_password(username: str) -> str:
    """Demo accounts only: a password a newcomer can read off the table."""
    return f"{username}-demo"
