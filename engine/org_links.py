"""Which organisations work together: ``organisation_links``, the pairs of organisations that share
an instance, and those a process's handlers link without sharing one (a refused referral's area and
the provider it named: ``domain.handlers.refusal_links``). Written wherever an instance gains an
organisation (``link``), read by the filters' choices and the dashboard's columns (``linked``): an
area's providers are a few dozen among hundreds, and finding them through the area's cases would
read every one of them."""
from __future__ import annotations

from collections.abc import Iterable
from itertools import permutations

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from .db import upsert_insert
from .models import OrganisationLink

_TABLE = OrganisationLink.__table__


def pairs(org_ids: Iterable[int]) -> set[tuple[int, int]]:
    """Every ordered pair of distinct organisations among those of one instance."""
    return set(permutations(set(org_ids), 2))


def link(bind: Session | Connection, found: Iterable[tuple[int, int]]) -> None:
    """Record pairs (already recorded ones are kept as they are)."""
    rows = [{"organisation_id": a, "linked_id": b} for a, b in sorted(set(found))]
    if rows:
        bind.execute(upsert_insert(bind, _TABLE).on_conflict_do_nothing(), rows)


def linked(session: Session, organisation_id: int | None) -> set[int]:
    """The organisation and those it shares an instance with (none without an organisation)."""
    if organisation_id is None:
        return set()
    return {organisation_id, *session.scalars(select(OrganisationLink.linked_id)
                                              .where(OrganisationLink.organisation_id == organisation_id))}
