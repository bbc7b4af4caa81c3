"""User commands beyond `user add`: a new password, ending sessions."""
from __future__ import annotations

import sys

import click

from polku.engine import accounts, sessions

from .cli import _emit, command, json_option, user


@user.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, required=True, help="read the password from standard input (one line)")
@click.option("--as", "actor", default="system", show_default=True, help="an administrator")
@json_option
@click.pass_obj
@command
def user_set_password(env, username, password_stdin, actor, as_json):
    """Give USERNAME a new password; it ends every session of USERNAME."""
    password = sys.stdin.readline().rstrip("\r\n")
    with env.uow() as uow:
        accounts.set_password(uow, actor, username, password)
        uow.commit()
    _emit(as_json, {"username": username, "sessions_ended": True}, f"password of {username} set; their sessions ended")


@user.command("end-sessions")
@click.argument("username", required=False)
@click.option("--all", "everyone", is_flag=True, help="end every user's sessions")
@click.option("--as", "actor", default="system", show_default=True, help="an administrator")
@json_option
@click.pass_obj
@command
def user_end_sessions(env, username, everyone, actor, as_json):
    """Log USERNAME (or, with --all, everyone) out of every browser now."""
    if bool(username) == everyone:
        raise click.UsageError("give either a USERNAME or --all")
    with env.uow() as uow:
        ended = sessions.end_all(uow, actor, None if everyone else username)
        uow.commit()
    _emit(as_json, {"ended": ended}, f"{ended} session(s) ended")
