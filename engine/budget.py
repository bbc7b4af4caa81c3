"""A time and memory budget for model code (scripts, conditions, DMN cells, timer expressions).

Mechanism, and why (docs/engine.md, "Model code with a budget"):

- Time: a watchdog thread stops a call that runs past its deadline by raising an exception
  inside the calling thread (CPython's PyThreadState_SetAsyncExc). It costs nothing per
  line of model code, unlike sys.settrace, and a few microseconds per call, unlike a
  subprocess (which would also have to ship the task data and the script functions across).
  Signals (setitimer) only reach the main thread, and Flask serves from worker threads.
- The exception is `_Interrupt`, a BaseException that model code cannot name or catch: the
  sandbox withholds BaseException from its builtins and refuses a bare `except:`. A `finally:`
  that loops is stopped again at the next tick.
- An async exception is only seen between bytecodes, so one C-level operation cannot be
  interrupted; the sandbox refuses the ones that could run long or allocate much before they
  start (sandbox_limits.py: sequence repetition, powers, shifts, padding, ranges).
- Memory: the watchdog samples the process's resident size while model code runs and stops a
  call that has grown it by more than its budget. The sample is process-wide, so it is a
  backstop for growth in a Python loop; single large allocations are refused up front.

The time budget is per engine call: every model-code call inside one `scope()` (one step,
one decision, one timer refresh) draws on the same seconds, so a loop of many quick scripts
cannot hold a database transaction for longer than one budget either.
"""
from __future__ import annotations

import contextvars
import ctypes
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

DEFAULT_SECONDS = 1.0
DEFAULT_MEMORY_BYTES = 256 * 1024 * 1024
# How often the watchdog looks while model code runs; stops land at most this late.
TICK = 0.01
# The watchdog sleeps (waiting to be woken) after this long without model code running.
IDLE_AFTER = 2.0


class BudgetExceeded(Exception):
    """Model code ran past its time or memory budget; `str()` says which and how much."""


class _Interrupt(BaseException):
    """Raised inside the thread running model code; turned into BudgetExceeded at the edge."""


@dataclass
class _Call:
    deadline: float
    memory_bytes: int
    baseline: int | None = None  # resident bytes when the watchdog first saw the call
    reason: str | None = None
    leaving: bool = False  # set first thing on the way out: the watchdog holds off from then on


@dataclass
class _Spent:
    seconds: float = 0.0


_SCOPE: contextvars.ContextVar[_Spent | None] = contextvars.ContextVar("polku_budget_scope", default=None)
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _resident_bytes() -> int | None:
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):  # not Linux: time budget and up-front refusals only
        return None


def _raise_in(thread_id: int, exc: type[BaseException] | None) -> None:
    # exc None clears an exception that was set but not yet raised.
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc else None)


class Budget:
    """Limits for model code; `run()` calls a function under them. One per script engine."""

    def __init__(self, seconds: float = DEFAULT_SECONDS, memory_bytes: int = DEFAULT_MEMORY_BYTES):
        self.seconds, self.memory_bytes = seconds, memory_bytes
        # A plain Lock (its `with` is C code) and an Event: a Condition's Python-level methods
        # cost more than the rest of the bookkeeping of a call.
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._active: dict[int, _Call] = {}  # thread id -> the call it runs
        self._awake = False
        self._thread: threading.Thread | None = None
        self._local = threading.local()
        # A forked child (gunicorn's workers) has no watchdog thread: start a new one there.
        after_fork = weakref.WeakMethod(self._after_fork)
        os.register_at_fork(after_in_child=lambda: (method := after_fork()) and method())

    def _after_fork(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._active, self._awake, self._thread = {}, False, None

    @contextmanager
    def scope(self) -> Iterator[None]:
        """One engine call: the model code run inside shares one time budget. An inner scope
        (a runtime call inside a step that already opened one) shares the outer one's."""
        if _SCOPE.get() is not None:
            yield
            return
        token = _SCOPE.set(_Spent())
        try:
            yield
        finally:
            _SCOPE.reset(token)

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        if getattr(self._local, "inside", False):  # model code calling model code: already watched
            return fn(*args)
        spent = _SCOPE.get()
        start = time.monotonic()
        remaining = self.seconds - (spent.seconds if spent else 0.0)
        if remaining <= 0:
            raise BudgetExceeded(self._time_message())
        call = _Call(start + remaining, self.memory_bytes)
        self._enter(call)
        try:
            try:
                return fn(*args)
            finally:
                # An interrupt set before `leaving` may still land in here, at the call into
                # _forget (never in between: plain attribute stores do not check for it).
                call.leaving = True
                while True:
                    try:
                        self._forget(call)
                        break
                    except _Interrupt:
                        pass
                if spent is not None:
                    spent.seconds += time.monotonic() - start
        except _Interrupt:
            raise BudgetExceeded(call.reason or self._time_message()) from None

    def _time_message(self) -> str:
        return f"stopped: model code ran longer than its time budget of {self.seconds:g} s"

    def _enter(self, call: _Call) -> None:
        self._local.inside = True
        with self._lock:
            self._active[threading.get_ident()] = call
            if not self._awake:
                self._awake = True
                if self._thread is None:
                    self._thread = threading.Thread(target=self._watch, name="polku-budget", daemon=True)
                    self._thread.start()
                else:
                    self._wake.set()

    def _forget(self, call: _Call) -> None:
        with self._lock:
            self._active.pop(threading.get_ident(), None)
            if call.reason is not None:  # withdraw an interrupt set but not yet raised
                _raise_in(threading.get_ident(), None)
        self._local.inside = False

    def _watch(self) -> None:
        idle_since = time.monotonic()
        while True:
            time.sleep(TICK)
            with self._lock:
                now = time.monotonic()
                if self._active:
                    idle_since = now
                    self._check(now)
                    continue
                if now - idle_since <= IDLE_AFTER:
                    continue
                self._awake = False  # asleep until the next call wakes it (_enter)
                self._wake.clear()
            self._wake.wait()
            idle_since = time.monotonic()

    def _check(self, now: float) -> None:
        rss = _resident_bytes()
        for thread_id, call in self._active.items():
            if call.leaving:
                continue
            if call.baseline is None:
                call.baseline = rss
            if now >= call.deadline:
                call.reason = self._time_message()
            elif rss is not None and call.baseline is not None and rss - call.baseline > call.memory_bytes:
                call.reason = (f"stopped: model code grew the memory in use by more than its budget of "
                               f"{call.memory_bytes // (1024 * 1024)} MB")
            if call.reason is not None:  # again every tick, in case a `finally:` loops
                _raise_in(thread_id, _Interrupt)
