"""Proof that the audit trail was not edited: every chain recomputed from its first row.

A row whose values were changed no longer matches its hash; a deleted row leaves a gap in its
chain's numbers and a broken link (the next row's previous hash); a deleted last row leaves the
chain short of its head; rows put in another order break the links, or (ids swapped) disagree
with the order the ids give. What the trail cannot prove alone is a rewrite of a whole chain's
tail together with its head: `heads` are what an operator copies elsewhere to rule that out too.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from .audit import GENESIS, HASHED, row_hash
from .db import UnitOfWork
from .models import AuditEvent, AuditHead


@dataclass(frozen=True)
class Problem:
    chain: str
    seq: int | None
    row_id: int | None
    kind: str  # edited | missing | link | order | head
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"chain": self.chain, "seq": self.seq, "id": self.row_id, "kind": self.kind, "detail": self.detail}


@dataclass(frozen=True)
class Report:
    rows: int
    chains: int
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


_COLUMNS = [getattr(AuditEvent, c) for c in ("id", *HASHED, "hash")]


def verify(uow: UnitOfWork, batch: int = 5000) -> Report:
    problems: list[Problem] = []
    heads = {h.chain: (h.seq, h.hash) for h in uow.session.scalars(select(AuditHead))}
    chain: str | None = None
    seq, last_hash, last_id, rows, chains = 0, GENESIS, 0, 0, 0

    def close_chain() -> None:
        if chain is None:
            return
        head = heads.pop(chain, None)
        if head is None:
            problems.append(Problem(chain, seq, None, "head", "the chain has no head"))
        elif head != (seq, last_hash):
            problems.append(Problem(chain, seq, None, "head",
                                    f"the head says row {head[0]}, the chain ends at row {seq}"))

    result = uow.session.execute(select(*_COLUMNS).order_by(AuditEvent.chain, AuditEvent.seq)
                                 .execution_options(yield_per=batch))
    for row in result.mappings():
        rows += 1
        if row["chain"] != chain:
            close_chain()
            chain, seq, last_hash, last_id, chains = row["chain"], 0, GENESIS, 0, chains + 1
        for kind, detail in _faults(row, seq, last_hash, last_id):
            problems.append(Problem(row["chain"], row["seq"], row["id"], kind, detail))
        seq, last_hash, last_id = row["seq"], row["hash"], row["id"]
    close_chain()
    for name, (head_seq, _hash) in sorted(heads.items()):
        problems.append(Problem(name, head_seq, None, "missing", "the chain's rows are all gone"))
    return Report(rows, chains, problems)


def _faults(row: Any, seq: int, last_hash: str, last_id: int) -> list[tuple[str, str]]:
    """What is wrong with one row, given the row before it in its chain."""
    faults = []
    if row["seq"] != seq + 1:
        faults.append(("missing", f"rows {seq + 1}–{row['seq'] - 1} are gone"))
    if row["prev_hash"] != last_hash:
        faults.append(("link", "the previous row is not the one it followed"))
    if row_hash(dict(row)) != row["hash"]:
        faults.append(("edited", "the row's values do not match its hash"))
    if row["id"] < last_id:
        faults.append(("order", "the row ids are out of the chain's order"))
    return faults


def heads(uow: UnitOfWork) -> dict[str, dict[str, Any]]:
    """Every chain's newest row number and hash: a seal to keep outside the database."""
    found = uow.session.scalars(select(AuditHead).order_by(AuditHead.chain))
    return {h.chain: {"seq": h.seq, "hash": h.hash} for h in found}
