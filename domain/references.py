"""Form field types that check a reference in the database (contextual types: the engine
passes the command's unit of work)."""
from __future__ import annotations

from sqlalchemy import select

from polku.engine.forms import ContextualFieldType
from polku.engine.models import Organisation


def _provider(raw, uow) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError("must name a service provider")
    name = raw.strip()
    kind = uow.session.scalar(select(Organisation.kind).where(Organisation.name == name))
    if kind != "provider":
        raise ValueError(f"no service provider named {name!r}")
    return name


def provider_field_type() -> ContextualFieldType:
    return ContextualFieldType("provider", _provider)
