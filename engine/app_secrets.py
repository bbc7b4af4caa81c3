"""Secrets an installation makes for itself, kept in its database.

A development server without POLKU_SECRET_KEY used to sign sessions with a key printed in the
source, so anyone could forge a cookie for it. Now it makes a random key the first time and keeps
it in the database: every process on the same database agrees (and sessions survive a restart),
and no two databases share one. Production still must be given POLKU_SECRET_KEY.
"""
from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from .clock import Clock
from .db import UnitOfWork
from .models import AppSecret

SESSION_KEY = "session_key"


def database_secret(engine: Engine, clock: Clock, name: str = SESSION_KEY) -> str:
    """The database's secret called `name`, made (randomly) when first asked for."""
    with UnitOfWork(engine, clock, write=False) as uow:
        value = uow.session.scalar(select(AppSecret.value).where(AppSecret.name == name))
    if value:
        return value
    try:
        with UnitOfWork(engine, clock) as uow:
            value = secrets.token_hex(32)
            uow.session.add(AppSecret(name=name, value=value, created_at=uow.now))
            uow.commit()
            return value
    except IntegrityError:  # another process made it first: use theirs
        with UnitOfWork(engine, clock, write=False) as uow:
            stored: str = uow.session.scalar(select(AppSecret.value).where(AppSecret.name == name)) or ""
        return stored
