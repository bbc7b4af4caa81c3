"""`polku token ...`: bearer tokens for /engine-rest (Camunda Modeler's Deploy dialog).

Administrators' (and the operator's) commands; engine.api_tokens does the work and the audit."""
from __future__ import annotations

import click

from polku.engine import api_tokens

from .cli import _emit, command, json_option, main

as_admin = click.option("--as", "actor", default="system", show_default=True, help="an administrator")


def _when(value) -> str:
    return value.isoformat(timespec="minutes") if value is not None else "-"


@main.group()
def token():
    """Bearer tokens for Camunda Modeler's Deploy dialog (/engine-rest)."""


@token.command("create")
@click.option("--user", "username", required=True, help="the user the token logs in as (a designer)")
@click.option("--name", required=True, help="a label: whose Modeler, which machine")
@click.option("--expires-days", type=int, default=None, help="valid for this many days (default: until revoked)")
@as_admin
@json_option
@click.pass_obj
@command
def token_create(env, username, name, expires_days, actor, as_json):
    """Make a token for USER; prints its secret, once (only a hash of it is kept)."""
    with env.uow() as uow:
        made = api_tokens.create(uow, actor, username, name, expires_days)
        uow.commit()
    _emit(as_json, {"id": made.id, "username": made.username, "name": made.name, "expires_at": made.expires_at,
                    "secret": made.secret},
          f"token {made.id} for {made.username} ({made.name}), expires {_when(made.expires_at)}:\n{made.secret}\n"
          "Copy it now: it is not shown again. In Camunda Modeler's Deploy dialog choose "
          "Authentication: Bearer token and paste it there.")


@token.command("list")
@click.option("--user", "username", default=None, help="only this user's tokens")
@as_admin
@json_option
@click.pass_obj
@command
def token_list(env, username, actor, as_json):
    """The tokens (never their secrets): id, user, name, state, created, expires, last used."""
    with env.uow() as uow:
        rows = api_tokens.tokens(uow, actor, username)
        uow.commit()  # the listing is audited
    _emit(as_json, rows, "\n".join(
        f"{r['id']}\t{r['username']}\t{r['name']}\t{r['state']}\t{_when(r['created_at'])}\t"
        f"{_when(r['expires_at'])}\t{_when(r['last_used_at'])}" for r in rows) if rows else "no tokens")


@token.command("revoke")
@click.argument("token_id", type=int)
@as_admin
@json_option
@click.pass_obj
@command
def token_revoke(env, token_id, actor, as_json):
    """End token TOKEN_ID for good."""
    with env.uow() as uow:
        revoked = api_tokens.revoke(uow, actor, token_id)
        uow.commit()
    _emit(as_json, revoked, f"token {revoked['id']} of {revoked['username']} ({revoked['name']}) revoked")
