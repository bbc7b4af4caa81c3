"""Progressive delay of failed logins per client address (docs/security.md argues the choice).

An address may fail FREE_FAILURES times without waiting; after that each further attempt must
wait twice as long as the one before (2 s, 4 s, 8 s, ...; at most MAX_DELAY) since the last
failure, and an attempt that comes too early is refused without looking at the password. A
success does not clear the count (an attacker with an account of their own could otherwise
reset it between guesses); a quiet FORGET_AFTER does. This slows guessing from one address
without locking out anyone else: the delay belongs to the address, never to the username.
"""
from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, case, delete, select

from .db import UnitOfWork, upsert_insert
from .errors import Forbidden
from .models import LoginThrottle

FREE_FAILURES = 10
MAX_DELAY = timedelta(minutes=10)
FORGET_AFTER = timedelta(hours=1)


class Throttled(Forbidden):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins from this address: try again in {retry_after} s")
        self.retry_after = retry_after


def _key(address: str | None) -> str:
    """The address an attempt is counted against: an IPv6 client's whole /64, which one machine
    usually has to itself and could otherwise hop through for fresh addresses."""
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return (address or "unknown")[:64]
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def delay(failures: int) -> timedelta:
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - FREE_FAILURES + 1, 20)), MAX_DELAY)


def _row(uow: UnitOfWork, address: str | None) -> LoginThrottle | None:
    return uow.session.scalar(select(LoginThrottle).where(LoginThrottle.address == _key(address)))


def _live(row: LoginThrottle | None, now: datetime) -> int:
    return 0 if row is None or now - row.last_failure_at >= FORGET_AFTER else row.failures


def check(uow: UnitOfWork, address: str | None) -> None:
    """Raises Throttled when this address must still wait before its next attempt."""
    row = _row(uow, address)
    failures = _live(row, uow.now)
    if row is not None and failures:
        wait = row.last_failure_at + delay(failures) - uow.now
        if wait > timedelta(0):
            raise Throttled(max(1, int(wait.total_seconds() + 0.999)))


def failed(uow: UnitOfWork, address: str | None) -> None:
    """Counts a failure: one upsert, so two failures at once from a new address cannot collide."""
    table = cast(Table, LoginThrottle.__table__)  # a mapped class's is its Table
    insert = upsert_insert(uow.session, table)
    forgotten = table.c.last_failure_at <= uow.now - FORGET_AFTER
    uow.session.execute(insert.values(address=_key(address), failures=1, last_failure_at=uow.now).on_conflict_do_update(
        index_elements=[table.c.address],
        set_={"failures": case((forgotten, 1), else_=table.c.failures + 1), "last_failure_at": uow.now}))
    # Addresses quiet for long are forgotten anyway: their rows go, so the table stays small.
    uow.session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at <= uow.now - FORGET_AFTER))
