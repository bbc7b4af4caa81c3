"""What the service-task retry tests share: the outside system `flaky` calls (Register) and its
handler, the process of tests/fixtures/bpmn/handlers/handler_paths.bpmn (as
tests/integration/test_handler_failures.py), a process with the handler beside a human task, and
readers of the rows the tests look at."""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from polku.engine import deploy, instances, queries
from polku.engine.bundle import read_bundle
from polku.engine.clock import FixedClock, parse_instant
from polku.engine.models import AuditEvent, HumanTask, Instance, OutboxMessage, ServiceRetry
from polku.engine.retry_worker import run_due_retries
from polku.engine.services import HandlerFailed
from tests.conftest import FIXTURES, T0

PATHS = FIXTURES / "bpmn" / "handlers" / "handler_paths.bpmn"
START = parse_instant(T0)


def at(seconds: float) -> str:
    return (START + timedelta(seconds=seconds)).isoformat()


@dataclass
class Register:
    """The outside system `flaky` calls: it fails `failures` more times (-1: always), then answers."""

    failures: int = 0
    calls: int = 0
    error: type[Exception] = HandlerFailed
    during: Callable[[], None] | None = None  # run inside each call (another worker acting meanwhile)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()


def flaky(register: Register):
    def handle(call):
        with register.lock:
            register.calls += 1
            failing = register.failures != 0
            if register.failures > 0:
                register.failures -= 1
        if register.during is not None:
            register.during()
        call.session.add(OutboxMessage(instance_id=call.instance_id, topic="register",
                                       payload={"call": register.calls}, created_at=call.now))
        if failing:
            raise register.error(f"the register is down (call {register.calls})")
        return {"registered": True}

    return handle


def start(uow, key: str = "on_start", now: str = T0) -> int:
    with uow(now) as u:
        inst = instances.start(u, uow.runtime, "off1", key)
        u.commit()
    return inst.id


def run_retries(db_engine, uow, now: str) -> int:
    return run_due_retries(db_engine, uow.runtime, FixedClock(parse_instant(now)))


def show(uow, iid: int, now: str = T0) -> dict:
    with uow(now) as u:
        return queries.show(u, uow.runtime, iid)


def retry_row(db_engine, iid: int):
    with db_engine.connect() as conn:
        return conn.execute(select(ServiceRetry.attempts, ServiceRetry.next_attempt_at, ServiceRetry.last_error)
                            .where(ServiceRetry.instance_id == iid)).first()


def retry_audit(db_engine, iid: int) -> list[tuple[str, str, dict]]:
    with db_engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.details)
            .where(AuditEvent.instance_id == iid, AuditEvent.action.in_(("service_failed", "service_retry")))
            .order_by(AuditEvent.id))]


def ready(db_engine, iid: int) -> list[str]:
    with db_engine.connect() as conn:
        return list(conn.scalars(select(HumanTask.element_id)
                                 .where(HumanTask.instance_id == iid, HumanTask.state == "ready")))


# A service task beside a human task: the official may complete `other` while `p_call` waits for
# its next attempt. `%(name)s` lets a test deploy a second version.
PARALLEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="definitions_parallel_call"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="parallel_call" name="Handler beside a human task" isExecutable="true">
    <bpmn:startEvent id="p_start"><bpmn:outgoing>p1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:parallelGateway id="fork">
      <bpmn:incoming>p1</bpmn:incoming><bpmn:outgoing>p2</bpmn:outgoing><bpmn:outgoing>p3</bpmn:outgoing>
    </bpmn:parallelGateway>
    <bpmn:serviceTask id="p_call" name="Call the register" camunda:type="external" camunda:topic="flaky">
      <bpmn:incoming>p2</bpmn:incoming><bpmn:outgoing>p4</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:userTask id="other" name="%(name)s" camunda:candidateGroups="official">
      <bpmn:incoming>p3</bpmn:incoming><bpmn:outgoing>p5</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:parallelGateway id="join">
      <bpmn:incoming>p4</bpmn:incoming><bpmn:incoming>p5</bpmn:incoming><bpmn:outgoing>p6</bpmn:outgoing>
    </bpmn:parallelGateway>
    <bpmn:userTask id="p_after" name="After both" camunda:candidateGroups="official">
      <bpmn:incoming>p6</bpmn:incoming><bpmn:outgoing>p7</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="p_end"><bpmn:incoming>p7</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="p1" sourceRef="p_start" targetRef="fork" />
    <bpmn:sequenceFlow id="p2" sourceRef="fork" targetRef="p_call" />
    <bpmn:sequenceFlow id="p3" sourceRef="fork" targetRef="other" />
    <bpmn:sequenceFlow id="p4" sourceRef="p_call" targetRef="join" />
    <bpmn:sequenceFlow id="p5" sourceRef="other" targetRef="join" />
    <bpmn:sequenceFlow id="p6" sourceRef="join" targetRef="p_after" />
    <bpmn:sequenceFlow id="p7" sourceRef="p_after" targetRef="p_end" />
  </bpmn:process>
</bpmn:definitions>
"""


def deploy_parallel(uow, tmp_path, name: str = "Other work") -> None:
    path = tmp_path / name.replace(" ", "_") / "parallel_call.bpmn"
    path.parent.mkdir()
    path.write_text(PARALLEL % {"name": name}, encoding="utf-8")
    with uow() as u:
        deploy.deploy(u, uow.runtime, "designer1", read_bundle([path]))
        u.commit()


def lock_version(db_engine, iid: int) -> int:
    with db_engine.connect() as conn:
        return conn.scalar(select(Instance.lock_version).where(Instance.id == iid))


