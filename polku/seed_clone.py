"""The bulk half of `polku seed`: copies of the real template cases (polku.seed_paths), row for row.

A copy of a template case is the template's rows of every table the case owns, with new ids, a new
client (name and a valid identity code), dates moved by whole weeks (weekdays stay as they were),
and SpiffWorkflow's task UUIDs replaced by new ones consistently: in the state blob, human_tasks,
task_candidate_groups, timers and notices alike. The state blob is decompressed, the same
replacements made in its JSON text, and compressed again, so a copy opens and runs on like the
original. A copy may also move to another home (`Home`: employment area, manager, official, provider,
coach): every organisation key is turned to the new area's or provider's, and the old names become
the new ones wherever they stand, as a whole column value or as a whole quoted token in JSON text
(so "valmentaja1" never touches "valmentaja10"); the copy then belongs to the new area and is
worked on by its new people. Copies are written with bulk inserts in batches, one transaction a batch, and write no
audit rows: the audit chains hold the template cases' real steps only (and so still verify).
Ids are taken from max(id) + 1: run the seed while nothing else writes cases.
"""
from __future__ import annotations

import json
import re
import uuid
import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Table, func, select, text
from sqlalchemy.engine import Connection

from polku.domain.handlers import refusal_links
from polku.domain.names import search_key
from polku.engine import org_links, work_queue
from polku.engine.ids import UUID_PATTERN
from polku.engine.models import Base

# Tables a job-coaching case owns, in insert order (parents first), and how each links to it.
BY_INSTANCE = ["instances", "instance_organisations", "human_tasks", "task_candidate_groups", "timers",
               "referrals", "eligibility_decisions", "periods", "goals", "meetings", "weekly_reviews",
               "notices", "decisions", "notifications", "statements", "closures", "redirections", "outbox"]
BY_PERIOD = {"goals", "meetings", "weekly_reviews"}
_UUID = re.compile(UUID_PATTERN)
_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
# Row ids that the process data and the outbox messages carry (the handlers read the period by its
# `period_id`): a copy's must name its own rows, not the template's.
_KEYS = re.compile(r'"(period_id|client_id)"(: ?)(\d+)')
_KEY_TABLES = {"period_id": "periods", "client_id": "clients"}


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


@cache
def _org_keys(name: str) -> frozenset[str]:
    """The table's columns that name an organisation (an area or a provider)."""
    return frozenset(c.name for c in _table(name).c
                     if any(fk.column.table.name == "organisations" for fk in c.foreign_keys))


@dataclass(frozen=True)
class Home:
    """Where a case belongs and who works on it: names as they stand in its rows, and the two
    organisations' ids."""

    area: str
    manager: str
    official: str
    provider: str
    coach: str
    area_id: int
    provider_id: int

    def names(self) -> tuple[str, ...]:
        return self.area, self.manager, self.official, self.provider, self.coach


class Template:
    """One template case's rows, read once, and the home it was run in."""

    def __init__(self, conn: Connection, instance_id: int, home: Home):
        self.id, self.home = instance_id, home
        self.quoted = re.compile('"(' + "|".join(re.escape(n) for n in home.names()) + ')"')
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.rows["instances"] = _select(conn, "instances", _table("instances").c.id == instance_id)
        for name in BY_INSTANCE[1:]:
            t = _table(name)
            if name in BY_PERIOD:
                periods = [p["id"] for p in self.rows["periods"]]
                where = t.c.period_id.in_(periods)
            elif name == "task_candidate_groups":
                where = t.c.task_id.in_([r["id"] for r in self.rows["human_tasks"]])
            else:
                where = t.c.instance_id == instance_id
            self.rows[name] = _select(conn, name, where)
        referral = self.rows["referrals"][0]
        self.name, self.hetu = referral["name"], referral["identity_code"]
        client_ids = {referral["client_id"]} - {None}
        self.client = _select(conn, "clients", _table("clients").c.id.in_(client_ids))[0] if client_ids else None


def _select(conn: Connection, name: str, where) -> list[dict[str, Any]]:
    t = _table(name)
    return [dict(r._mapping) for r in conn.execute(select(t).where(where))]


class Ids:
    """Next free integer ids per table, read once and handed out in order."""

    def __init__(self, conn: Connection):
        self.next: dict[str, int] = {}
        for name in ["clients", *BY_INSTANCE]:
            t = _table(name)
            if "id" in t.c and t.c.id.type.python_type is int:
                self.next[name] = (conn.scalar(select(func.max(t.c.id))) or 0) + 1

    def take(self, name: str) -> int:
        value = self.next[name]
        self.next[name] = value + 1
        return value

    def fix_sequences(self, conn: Connection) -> None:
        """PostgreSQL: move each id sequence past the ids written explicitly."""
        if conn.dialect.name != "postgresql":
            return
        for name, value in self.next.items():
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), {value}, false)"))


class Copier:
    """Makes the rows of one copy of a template."""

    def __init__(self, template: Template, ids: Ids, name: str, hetu: str, weeks: int, home: Home | None = None):
        self.t, self.ids, self.name, self.hetu = template, ids, name, hetu
        self.delta = timedelta(weeks=weeks)
        home = home or template.home
        self.names = dict(zip(template.home.names(), home.names(), strict=True)) if home != template.home else {}
        self.orgs = {template.home.area_id: home.area_id, template.home.provider_id: home.provider_id}
        self.uuids: dict[str, str] = {}
        self.keys: dict[tuple[str, int], int] = {}  # (table, old id) -> new id

    def _uuid(self, m: re.Match[str]) -> str:
        old = m.group(0)
        if old not in self.uuids:
            self.uuids[old] = str(uuid.uuid4())
        return self.uuids[old]

    def _day(self, m: re.Match[str]) -> str:
        try:
            day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return m.group(0)
        return (day + self.delta).isoformat()

    def _key(self, m: re.Match[str]) -> str:
        new = self.keys.get((_KEY_TABLES[m.group(1)], int(m.group(3))))
        return m.group(0) if new is None else f'"{m.group(1)}"{m.group(2)}{new}'

    def _name(self, m: re.Match[str]) -> str:
        return f'"{self.names[m.group(1)]}"'

    def text(self, value: str) -> str:
        if value in self.names:  # a column holding a username or an organisation's name
            return self.names[value]
        value = value.replace(self.t.hetu, self.hetu).replace(self.t.name, self.name)
        if self.names and '"' in value:  # quoted: JSON text (the guards spare short values a pass)
            value = self.t.quoted.sub(self._name, value)
        if '_id"' in value:
            value = _KEYS.sub(self._key, value)
        return _DAY.sub(self._day, _UUID.sub(self._uuid, value))

    def value(self, value: Any) -> Any:
        if isinstance(value, datetime | date):
            return value + self.delta
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict | list):
            return json.loads(self.text(json.dumps(value, ensure_ascii=False)))
        if isinstance(value, bytes) and value:
            return zlib.compress(self.text(zlib.decompress(value).decode()).encode(), 1)
        return value

    def new_id(self, table: str, old: int) -> int:
        new = self.ids.take(table)
        self.keys[(table, old)] = new
        return new

    def rows(self) -> dict[str, list[dict[str, Any]]]:
        # Every new id first: the state blob, copied first, names the client and the period.
        if self.t.client is not None:
            self.new_id("clients", self.t.client["id"])
        for name in BY_INSTANCE:
            if name in self.ids.next:
                for r in self.t.rows[name]:
                    self.new_id(name, r["id"])
        out: dict[str, list[dict[str, Any]]] = {"clients": []}
        if self.t.client is not None:
            client = {k: self.value(v) for k, v in self.t.client.items()}
            client.update(id=self.keys[("clients", self.t.client["id"])], name=self.name,
                          identity_code=self.hetu, name_search=search_key(self.name))
            out["clients"].append(client)
        for name in BY_INSTANCE:
            out[name] = [self.row(name, r) for r in self.t.rows[name]]
        return out

    def row(self, table: str, old: dict[str, Any]) -> dict[str, Any]:
        new = {k: self.value(v) for k, v in old.items() if k not in ("id", "instance_id", "period_id", "client_id")}
        if "id" in old:
            new["id"] = self.keys[(table, old["id"])] if table in self.ids.next else self.value(old["id"])
        if "instance_id" in old:
            new["instance_id"] = self.keys[("instances", self.t.id)]
        if "period_id" in old:
            new["period_id"] = old["period_id"] and self.keys[("periods", old["period_id"])]
        if "client_id" in old:
            new["client_id"] = old["client_id"] and self.keys[("clients", old["client_id"])]
        if "name_search" in old:
            new["name_search"] = search_key(new["name"])
        for key in _org_keys(table):
            new[key] = old[key] and self.orgs.get(old[key], old[key])
        return new


def _links(copy: dict[str, list[dict[str, Any]]]) -> set[tuple[int, int]]:
    """The organisation pairs of a copy, as the engine and the handlers link them."""
    orgs = [r["organisation_id"] for r in copy["instance_organisations"]]
    refused = {r["provider_organisation_id"] for r in copy["referrals"] if r["outcome"] == "refused"}
    return org_links.pairs(orgs).union(*(refusal_links(orgs, p) for p in refused))


def insert_batch(conn: Connection, batch: list[dict[str, list[dict[str, Any]]]]) -> None:
    """Writes the rows of a batch of copies, table by table (parents first), one multi-row insert each."""
    for name in ["clients", *BY_INSTANCE]:
        rows = [r for copy in batch for r in copy[name]]
        if rows:
            conn.execute(_table(name).insert(), rows)
    org_links.link(conn, {pair for copy in batch for pair in _links(copy)})
    # The copies' waiting tasks, queued as the engine queues them (the template's rows are not copied:
    # a copy's organisations may differ from the template's).
    work_queue.fill(conn, _table("human_tasks").c.instance_id.in_([r["id"] for copy in batch
                                                                  for r in copy["instances"]]))
