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


# What a handler needs from its task's camunda:properties: property name -> the values it
# accepts (None: any value). Deploy refuses a task that lacks one, so a handler never has to
# guess from the element id.
Requirements = dict[str, "tuple[str, ...] | None"]


class ServiceRegistry:
    def __init__(self):
        self._handlers: dict[str, Handler] = {}
        self._requires: dict[str, Requirements] = {}

    def register(self, name: str, handler: Handler, requires: Requirements | None = None) -> None:
        if name in self._handlers:
            raise ValueError(f"service handler {name!r} is already registered")
        self._handlers[name] = handler
        self._requires[name] = dict(requires or {})

    def requirements(self, name: str) -> Requirements:
        return dict(self._requires.get(name, {}))

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
