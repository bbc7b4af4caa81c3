"""Calls run in threads of their own, released together by a barrier: the races of the
concurrency, timer and retry tests."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def race(calls: list[tuple[str, Callable[[], Any]]], timeout: float = 120) -> dict[str, Any]:
    """Run each (name, fn) in its own thread, released together; name -> result, or the exception it
    raised (kept for the assertions: a thread must never die silently)."""
    barrier = threading.Barrier(len(calls))
    results: dict[str, Any] = {}

    def run(name: str, fn: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[name] = fn()
        except Exception as exc:  # noqa: BLE001  (reported by the caller's assertions)
            results[name] = exc

    threads = [threading.Thread(target=run, args=c, name=f"race-{c[0]}") for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads)
    return results
