"""Long-running and setup commands: worker, serve, demo."""
from __future__ import annotations

import threading
import time

import click
from sqlalchemy import select

from engine import deploy as deploy_mod
from engine import users
from engine.bundle import read_bundle
from engine.models import User
from .schema import upgrade
from engine.worker import fire_due_timers

from .cli import command, main
from .wiring import PROCESSES_DIR

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
@click.pass_obj
@command
def worker(env, once, interval):
    """Fire due timers (once, or in a loop)."""
    if once:
        click.echo(f"fired {fire_due_timers(env.engine, env.runtime, env.clock)} timer(s)")
        return
    run_worker_loop(env, interval, threading.Event())


def run_worker_loop(env, interval: float, stop: threading.Event) -> None:
    from engine.clock import clock_from_env

    while not stop.is_set():
        fire_due_timers(env.engine, env.runtime, clock_from_env())
        stop.wait(interval)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.pass_obj
@command
def serve(env, host, port):
    """Run the web app with a timer worker thread."""
    from web import create_app

    app = create_app({"DATABASE_URL": env.url})
    stop = threading.Event()
    thread = threading.Thread(target=run_worker_loop, args=(env, 5.0, stop), daemon=True, name="polku-worker")
    thread.start()
    try:
        app.run(host=host, port=port, use_reloader=False)
    finally:
        stop.set()
        time.sleep(0)


@main.command()
@click.pass_obj
@command
def demo(env):
    """Idempotent: schema, deploy processes/, demo organisations and users."""
    upgrade(env.engine)
    files = [p for p in PROCESSES_DIR.glob("*") if p.suffix in (".bpmn", ".dmn")]
    with env.uow() as uow:
        if files:
            for r in deploy_mod.deploy(uow, "system", read_bundle([PROCESSES_DIR])):
                click.echo(f"{r.key}\t{r.version}\t{r.status}")
        else:
            click.echo("processes/ has no BPMN files yet: nothing deployed")
        existing = set(uow.session.scalars(select(User.username)))
        for username, name, roles, org, kind in DEMO_USERS:
            if username not in existing:
                users.add_user(uow, "system", username, roles, org, kind, name)
        uow.commit()
    click.echo("demo users:")
    for username, _name, roles, org, _kind in DEMO_USERS:
        click.echo(f"  {username:<14} {','.join(roles):<10} {org or '-'}")
