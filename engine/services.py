"""Service task handlers: named Python callables the engine runs, then completes the task.

Under CamundaParser a service task does nothing and stays STARTED; Polku looks up the
handler named by the task's `camunda:topic` (external tasks) or a `camunda:properties`
entry `handler`, calls it, merges what it returns into the task data and completes it.
An unknown handler is refused at deploy time.

Each call runs inside a savepoint of the command's transaction (`ServiceRegistry.call`): a
handler that fails, by raising or by a database error, leaves no writes behind, and the
transaction stays usable for recording the instance's error state.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError

from . import prepared
from .db import is_unavailable

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class ServiceCall:
    """What a handler receives. `session` is the command's own: writes join its transaction
    (None only when a process unit test runs a workflow without a database)."""

    instance_id: int
    element_id: str
    handler: str
    data: dict[str, Any]
    now: datetime
    session: Session | None
    actor: str = "system"
    properties: dict[str, Any] | None = None  # the task's camunda:properties


Handler = Callable[[ServiceCall], "dict[str, Any] | None"]


class HandlerFailed(Exception):
    """A handler failed and its writes were rolled back; `str()` is one readable line.

    A handler raises it itself to say "the other system failed, try again later": such a failure
    (`transient`, the default; a handler passes transient=False for one that would fail the same way
    again), like a lost connection (ConnectionError, TimeoutError) or a database that cannot be used
    right now (a lock timeout, a deadlock, a restart: engine.db.is_unavailable), is retried with
    back-off (engine.service_retries). Anything else the handler raises (a KeyError, a constraint
    it violates, a value it does not declare) would fail the same way again: an incident at once."""

    def __init__(self, message: str, transient: bool = True):
        super().__init__(message)
        self.transient = transient


def transient(exc: BaseException) -> bool:
    """Whether a handler's failure may pass by itself (see HandlerFailed): a HandlerFailed by its own
    `transient`, a lost or timed-out connection, a database that cannot be used right now
    (engine.db.is_unavailable: on SQLite not "no such table" or a syntax error, which would fail the
    same way again). Any other OSError (a missing file, a permission) is an incident at once."""
    if isinstance(exc, HandlerFailed):
        return exc.transient
    return isinstance(exc, (ConnectionError, TimeoutError)) or is_unavailable(exc)


def one_line(exc: BaseException) -> str:
    """A database error by the driver's first line, without SQLAlchemy's statement,
    parameters and link; anything else by its first line."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        lines = str(exc.orig).strip().splitlines()
        return f"database error: {lines[0] if lines else type(exc.orig).__name__}"
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


@dataclass(frozen=True)
class RetryPolicy:
    """How a service task whose handler failed for a passing reason (`transient`) is retried:
    `retries` times after its first failure, the n-th retry `base_seconds` × 2^(n-1) after the
    failure before it, never more than `max_seconds`; after that the instance goes to error.
    The composition root reads it from the environment (polku.wiring); a registry made without it
    retries nothing."""

    retries: int = 0
    base_seconds: float = 30.0
    max_seconds: float = 3600.0

    def __post_init__(self) -> None:
        if self.retries < 0 or self.base_seconds < 1 or self.max_seconds < self.base_seconds:
            raise ValueError("service retries: retries >= 0, base >= 1 second, maximum >= base")

    def delay(self, failures: int) -> timedelta:
        """How long after its `failures`-th failure a task is run again."""
        return timedelta(seconds=min(self.base_seconds * 2 ** min(failures - 1, 40), self.max_seconds))


# What a handler needs from its task's camunda:properties: property name -> the values it
# accepts (None: any value). Deploy refuses a task that lacks one, so a handler never has to
# guess from the element id.
Requirements = dict[str, "tuple[str, ...] | None"]
def undeclared(provides: tuple[str, ...] | None, names: Iterable[object]) -> list[str]:
    """The returned names `provides` does not declare. `provides` lists exact names and prefixes
    written "name_*"; None declares anything (nothing is undeclared)."""
    if provides is None:
        return []
    exact = {p for p in provides if not p.endswith("*")}
    prefixes = tuple(p[:-1] for p in provides if p.endswith("*"))
    return sorted(str(n) for n in names if n not in exact and not (prefixes and str(n).startswith(prefixes)))


class ServiceRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._requires: dict[str, Requirements] = {}
        self._provides: dict[str, tuple[str, ...] | None] = {}
        self._on_terminate: list[Handler] = []
        self.retry_policy = RetryPolicy()

    def register(self, name: str, handler: Handler, requires: Requirements | None = None,
                 provides: tuple[str, ...] | None = None) -> None:
        """`provides`: the names the handler returns (engine.dmn_inputs counts them as set); a
        call that returns another name fails (`call`). None: anything, unchecked both ways."""
        if name in self._handlers:
            raise ValueError(f"service handler {name!r} is already registered")
        self._handlers[name] = handler
        self._requires[name] = dict(requires or {})
        self._provides[name] = None if provides is None else tuple(provides)

    def on_terminate(self, handler: Handler) -> None:
        """`handler` runs when a manager terminates an instance, in the same transaction: a cancelled
        workflow runs none of its own steps, so this is where a domain closes what the case left
        open (the job-coaching period, domain.handlers)."""
        self._on_terminate.append(handler)

    def terminated(self, call: ServiceCall) -> None:
        for handler in self._on_terminate:
            handler(call)

    def requirements(self, name: str) -> Requirements:
        return dict(self._requires.get(name, {}))

    def provides(self, name: str) -> tuple[str, ...] | None:
        return self._provides.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self._handlers

    def get(self, name: str) -> Handler:
        return self._handlers[name]

    def call(self, name: str, call: ServiceCall) -> dict[str, Any]:
        """Run handler `name` in a savepoint; its pending rows are flushed inside it, so a
        constraint they violate fails here, as the handler's failure. A result naming a value the
        handler does not declare in `provides` is its failure too (the declaration cannot rot).
        Raises HandlerFailed."""
        handler = self._handlers[name]
        if call.session is not None:
            # The step's writes still waiting (engine.prepared) go first, checked, outside the
            # handler's savepoint: one that fails (a lost compare-and-set, a lost lock, a database
            # error) fails the command before the handler runs, not as the handler's failure.
            prepared.send_waiting(call.session.connection())
        try:
            if call.session is None:  # a workflow run without a database (process unit tests)
                return self._checked(name, handler(call) or {})
            with call.session.begin_nested():
                result = self._checked(name, handler(call) or {})
                call.session.flush()
        except Exception as exc:  # whatever the handler raised: the savepoint is rolled back
            raise HandlerFailed(one_line(exc), transient(exc)) from exc
        return result

    def _checked(self, name: str, result: dict[str, Any]) -> dict[str, Any]:
        extra = undeclared(self._provides.get(name), result)
        if extra:
            declared = ", ".join(self._provides.get(name) or ()) or "nothing"
            raise ValueError(f"handler {name!r} returned {', '.join(extra)}, which it does not declare "
                             f"(provides: {declared})")
        return result

    def names(self) -> list[str]:
        return sorted(self._handlers)


def outbox_handler(topic: str) -> Handler:
    """A handler that queues the task data for an external system (an integration point)."""
    from .models import OutboxMessage

    def handle(call: ServiceCall) -> dict[str, Any]:
        from .jsonvalues import to_json

        if call.session is None:  # a workflow run without a database has nowhere to queue it
            raise RuntimeError("the outbox needs the command's database session")
        call.session.add(
            OutboxMessage(instance_id=call.instance_id, topic=topic, payload=to_json(call.data), created_at=call.now)
        )
        return {}

    return handle
