"""Form field types that check a reference in the database (contextual types: the engine
passes the command's unit of work)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from polku.engine import queries
from polku.engine.fieldtypes import N_, ContextualFieldType, Option, Widget, field_attrs
from polku.engine.models import Organisation


def _provider(raw, uow) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError("must name a service provider")
    name = raw.strip()
    kind = uow.session.scalar(select(Organisation.kind).where(Organisation.name == name))
    if kind != "provider":
        raise ValueError(f"no service provider named {name!r}")
    return name


class ProviderType(ContextualFieldType):
    """A service provider organisation, chosen from a list of the providers."""
    invalid = N_("Choose a service provider from the list.")

    def convert(self, raw: Any, uow: Any = None) -> str:  # type: ignore[override]
        return _provider(raw, uow)

    def load(self, uow: Any) -> list[str]:
        return queries.providers(uow)

    def widget(self, field, *, data, loaded) -> Widget:
        if loaded is None:  # no list read: type the name
            return Widget("text", field_attrs(field, autocomplete="off", spellcheck="false"))
        return Widget("choice", options=tuple(Option(name, name) for name in loaded), radios=False)


def provider_field_type() -> ProviderType:
    return ProviderType("provider")
