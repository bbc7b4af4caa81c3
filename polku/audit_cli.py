"""`polku audit`: prove the trail unedited, and export one person's access log."""
from __future__ import annotations

import click

from polku.domain.access_export import cases_of, client_access_log
from polku.domain.anomalies import day_start, read_anomalies
from polku.domain.identity import is_valid, normalise
from polku.engine.audit_verify import heads, verify
from polku.engine.errors import ValidationFailed
from polku.engine.queries import OPERATOR
from polku.engine.users import load_actor

from .cli import _emit, command, json_option, main
from .read_cli import refusals_logged


@main.group()
def audit():
    """The audit trail: verify its hash chains, export a person's access log."""


@audit.command("verify")
@click.option("--heads", "show_heads", is_flag=True, help="also print every chain's head (a seal to keep elsewhere)")
@json_option
@click.pass_obj
@command
def verify_command(env, show_heads, as_json):
    """Recompute every chain; exit 1 if a row was edited, deleted or reordered."""
    with env.uow(write=False) as uow:
        report = verify(uow)
        sealed = heads(uow) if show_heads else None
    payload = {"ok": report.ok, "rows": report.rows, "chains": report.chains,
               "problems": [p.as_dict() for p in report.problems]}
    if sealed is not None:
        payload["heads"] = sealed
    _emit(as_json, payload, "\n".join(
        [f"{p.kind}\t{p.chain}\t{p.seq if p.seq is not None else '-'}\t{p.detail}" for p in report.problems]
        + [f"{'ok' if report.ok else 'TAMPERED'}: {report.rows} rows in {report.chains} chains"]))
    if not report.ok:
        raise click.exceptions.Exit(1)


@audit.command("client")
@click.argument("identity_code")
@click.option("--as", "actor", default=None, help="the administrator making the export (default: the operator)")
@click.option("--json", "as_json", is_flag=True, help="refusals as JSON too (the export always is)")
@click.pass_obj
@command
def client_command(env, identity_code, actor, as_json):
    """One person's access log as JSON (the data subject's right of access); itself audited."""
    if not is_valid(identity_code):
        raise ValidationFailed("not a valid identity code", {"identity_code": "invalid"})
    with refusals_logged(env, actor, "audit client", lambda: _cases(env, identity_code)), env.uow() as uow:
        reader = load_actor(uow, actor) if actor else OPERATOR
        log = client_access_log(uow, reader, identity_code)
        uow.commit()
    _emit(True, {"identity_code": normalise(identity_code), **log})


def _cases(env, identity_code: str) -> list[int]:
    """The person's cases a refused export named (so the attempt is in their access log)."""
    with env.uow(write=False) as uow:
        return cases_of(uow, identity_code)


@audit.command("anomalies")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="only reads from this day on (YYYY-MM-DD, the service's time zone)")
@click.option("--as", "actor", default=None, help="the administrator or manager asking (default: the operator)")
@json_option
@click.pass_obj
@command
def anomalies_command(env, since, actor, as_json):
    """Reads of client data by users who had no task on the case (380/2023 §124); itself audited."""
    with env.uow() as uow:
        reader = load_actor(uow, actor) if actor else OPERATOR
        entries = read_anomalies(uow, reader, day_start(since.date()) if since else None)
        uow.commit()
    _emit(as_json, {"anomalies": entries}, "\n".join(
        f"{e['at']}\t{e['username']}\t{e['action']}{'/' + e['view'] if e['view'] else ''}\tcase {e['case']}"
        for e in entries) or "no reads without a task")
