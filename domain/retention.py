"""Retention (R16, 380/2023 §122(1)): a client's data is removed when four years have passed since
the client relationship ended, unless a pending matter still needs it.

A person's relationship with the service is every case referred for them (found by identity code,
refused referrals included: those have no client row). It has ended when every one of those cases
has ended; it ended on the day the last of them did. A case still open (running, suspended, stopped
by an error) is the pending matter that keeps the person's every case: a new referral restarts the
clock. A case with no referral (a process that is not about a client) counts on its own.

Removal deletes every row of the person's cases in every table, found through the schema (a column
`instance_id`, or a foreign key to a removed row) so a table added later is covered without being
listed here, and then the client row. The audit trail is kept: it is evidence, append-only and
holds no client data (engine.audit), and each removal adds a row to the case's chain saying what was
removed (table names and row counts) and why (the day the relationship ended).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, delete, func, or_, select

from polku.engine import audit
from polku.engine.models import AuditEvent, AuditHead, Base, HumanTask, Instance

from .deadlines import SERVICE_TZ
from .models import Client, Period, Referral

RETENTION_YEARS = 4  # 380/2023 §122(1): "kun asiakkuuden ... päättymisestä on kulunut neljä vuotta"
PURGE_ACTION = "purge_case"
# Evidence, not case data: never removed (the database refuses it anyway).
KEPT_TABLES = frozenset({AuditEvent.__tablename__, AuditHead.__tablename__})


@dataclass
class Person:
    """One person's cases, or one case about no client."""

    cases: list[int] = field(default_factory=list)
    client_ids: set[int] = field(default_factory=set)
    ended: list[datetime | None] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return any(e is None for e in self.ended)

    @property
    def relationship_ended(self) -> date | None:
        if self.open or not self.ended:
            return None
        return max(e for e in self.ended if e is not None).astimezone(SERVICE_TZ).date()


@dataclass(frozen=True)
class Due:
    cases: tuple[int, ...]
    client_ids: tuple[int, ...]
    relationship_ended: date
    removable_from: date

    def as_dict(self) -> dict[str, Any]:
        return {"cases": list(self.cases), "clients": list(self.client_ids),
                "relationship_ended": self.relationship_ended.isoformat(),
                "removable_from": self.removable_from.isoformat()}


def removable_from(ended: date) -> date:
    """The day four years have passed: the same calendar day four years on (29 February: 1 March)."""
    try:
        return ended.replace(year=ended.year + RETENTION_YEARS)
    except ValueError:
        return date(ended.year + RETENTION_YEARS, 3, 1)


def _people(session) -> list[Person]:
    code_of_client = dict(session.execute(select(Client.id, Client.identity_code)).all())
    person_of_case: dict[int, str] = {}
    for instance_id, code, client_id in session.execute(
            select(Referral.instance_id, Referral.identity_code, Referral.client_id)):
        person_of_case[instance_id] = code_of_client.get(client_id, code)
    for instance_id, client_id in session.execute(select(Period.instance_id, Period.client_id)):
        person_of_case.setdefault(instance_id, code_of_client[client_id])
    client_of_code = {code: cid for cid, code in code_of_client.items()}
    people: dict[str, Person] = defaultdict(Person)
    for instance_id, ended_at in session.execute(select(Instance.id, Instance.ended_at).order_by(Instance.id)):
        person = people[person_of_case.get(instance_id, f"case {instance_id}")]
        person.cases.append(instance_id)
        person.ended.append(ended_at)
    for code, person in people.items():
        if code in client_of_code:
            person.client_ids.add(client_of_code[code])
    return list(people.values())


def due(session, today: date) -> tuple[list[Due], int]:
    """What has passed its retention on `today`, and how many people's cases are kept because one of
    their cases is still open although another ended more than four years ago."""
    found, held = [], 0
    for person in _people(session):
        if person.open:
            ended_long_ago = [e for e in person.ended if e is not None
                              and removable_from(e.astimezone(SERVICE_TZ).date()) <= today]
            held += bool(ended_long_ago)
            continue
        ended = person.relationship_ended
        if ended is not None and removable_from(ended) <= today:
            found.append(Due(tuple(person.cases), tuple(sorted(person.client_ids)), ended, removable_from(ended)))
    return found, held


def _belongs(table: Table, keys: dict[str, set[Any]]):
    """The condition selecting `table`'s rows of the removed cases: its own key among them, a column
    `instance_id` naming one, or a foreign key to a removed row."""
    conditions = []
    for column in table.columns:
        targets = {fk.target_fullname for fk in column.foreign_keys}
        if column.primary_key and f"{table.name}.{column.name}" in keys:
            targets.add(f"{table.name}.{column.name}")
        if column.name == "instance_id":
            targets.add("instances.id")
        conditions += [column.in_(keys[t]) for t in targets if t in keys and keys[t]]
    return or_(*conditions) if conditions else None


def remove(uow, actor: audit.Who | str, item: Due) -> dict[str, int]:
    """Delete every row of `item`'s cases and its client rows; one audit row per case. Returns the
    number of rows removed per table."""
    session = uow.session
    cases = set(item.cases)
    keys: dict[str, set[Any]] = {
        "instances.id": cases,
        "periods.id": set(session.scalars(select(Period.id).where(Period.instance_id.in_(cases)))),
        "human_tasks.id": set(session.scalars(select(HumanTask.id).where(HumanTask.instance_id.in_(cases)))),
        "clients.id": set(item.client_ids),
    }
    removed: dict[str, int] = {}
    for table in reversed(Base.metadata.sorted_tables):  # dependants before what they refer to
        condition = None if table.name in KEPT_TABLES else _belongs(table, keys)
        if condition is None:
            continue
        count = session.scalar(select(func.count()).select_from(table).where(condition)) or 0
        if count:
            session.execute(delete(table).where(condition))
            removed[table.name] = count
    for case in item.cases:
        audit.record(uow, actor, PURGE_ACTION, instance_id=case, details={
            "relationship_ended": item.relationship_ended.isoformat(), "retention_years": RETENTION_YEARS,
            "cases": list(item.cases), "rows": removed})
    return removed
