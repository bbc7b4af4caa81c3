"""Service task handlers: named Python callables the engine runs, then completes the task.

Under CamundaParser a service task does nothing and stays STARTED; Polku looks up the
handler named by the task's `camunda:topic` (external tasks) or a `camunda:properties`
entry `handler`, calls it, merges what it returns into the task data and completes it.
An unknown handler is refused at deploy time.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable


@dataclass(frozen=True)
class ServiceCall:
    """What a handler receives. `session` is the command's own: writes join its transaction."""

    instance_id: int
    element_id: str
    handler: str
    data: dict
    now: datetime
    session: Any
    actor: str = "system"
    properties: dict | None = None  # the task's camunda:properties


Handler = Callable[[ServiceCall], "dict | None"]


class ServiceRegistry:
    def __init__(self):
        self._handlers: dict[str, Handler] = {}

    def register(self, name: str, handler: Handler) -> None:
        if name in self._handlers:
            raise ValueError(f"service handler {name!r} is already registered")
        self._handlers[name] = handler

    def __contains__(self, name: str) -> bool:
        return name in self._handlers

    def get(self, name: str) -> Handler:
        return self._handlers[name]

    def names(self) -> list[str]:
        return sorted(self._handlers)


def outbox_handler(topic: str) -> Handler:
    """A handler that queues the task data for an external system (an integration point)."""
    from .models import OutboxMessage

    def handle(call: ServiceCall) -> dict:
        from .jsonvalues import to_json

        call.session.add(
            OutboxMessage(instance_id=call.instance_id, topic=topic, payload=to_json(call.data), created_at=call.now)
        )
        return {}

    return handle
