"""What the model-code budget costs on the hot path, before/after, measured side by side.

(a) one expression and one small script, evaluated the way the sandbox did before the budget
    (RestrictedPython's own policy, plain eval/exec) and as it does now (budget policy with
    guarded operators, watchdog registration per call);
(b) Polku's `complete` step on SQLite (bench/four_steps.bpmn) with the budget's `run` made a
    pass-through and with the budget on, plus (a)'s per-call difference times five, the
    expressions a typical step of the coaching process evaluates.

Usage: python bench/budget_overhead.py [--instances N]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from RestrictedPython.compile import compile_restricted_eval, compile_restricted_exec  # noqa: E402
from step_overhead import Polku  # noqa: E402

from polku.engine import sandbox  # noqa: E402

EXPRESSION = "count1 + 1 > 2 and note1 == 'a' and amount * 2 < 100"
SCRIPT = "total = count1 * 2 + 1\nlabel = note1 + '!'\nif total > 2:\n    level = 'high'"
DATA = {"count1": 3, "note1": "a", "amount": 10}


def _old_globals(context):
    # The sandbox's globals before the budget: unguarded in-place operators, no _binop_.
    guards = {**sandbox.GUARDS, "_inplacevar_": lambda op, a, b: sandbox.INPLACE_OPERATORS[op](a, b)}
    return {**context, **guards}


def per_call(rounds: int) -> dict[str, tuple[float, float]]:
    """Each part of the change alone: the guarded operators (same eval, old vs new code) and the
    watchdog registration (same environment, budget's run a pass-through vs on)."""
    on, off = sandbox.SandboxedEnvironment(), sandbox.SandboxedEnvironment()
    off.budget.run = lambda fn, *args: fn(*args)  # type: ignore[method-assign]
    old_eval, new_eval = compile_restricted_eval(EXPRESSION).code, sandbox.compile_sandboxed(EXPRESSION, "eval")
    old_exec, new_exec = compile_restricted_exec(SCRIPT).code, sandbox.compile_sandboxed(SCRIPT, "exec")
    variants = {
        "expression: operators": (lambda: eval(old_eval, _old_globals(DATA)),
                                  lambda: eval(new_eval, {**DATA, **on.guards})),
        "script: operators": (lambda: exec(old_exec, _old_globals(dict(DATA))),
                              lambda: exec(new_exec, {**DATA, **on.guards})),
        "expression: watchdog": (lambda: off.evaluate(EXPRESSION, DATA), lambda: on.evaluate(EXPRESSION, DATA)),
        "script: watchdog": (lambda: off.execute(SCRIPT, dict(DATA)), lambda: on.execute(SCRIPT, dict(DATA))),
    }
    results = {}
    for name, (before, after) in variants.items():
        samples_b, samples_a = [], []
        for _ in range(20):  # alternate so machine noise hits both alike
            samples_b.append(_time(before, rounds))
            samples_a.append(_time(after, rounds))
        results[name] = (statistics.median(samples_b), statistics.median(samples_a))
    return results


def _time(fn, rounds: int) -> float:
    t0 = time.perf_counter()
    for _ in range(rounds):
        fn()
    return (time.perf_counter() - t0) / rounds


def per_step(instances: int) -> tuple[float, float]:
    tmp = tempfile.mkdtemp(prefix="polku-budget-bench-")
    on, off = Polku(f"sqlite:///{tmp}/on.db"), Polku(f"sqlite:///{tmp}/off.db")
    off.runtime.budget.run = lambda fn, *args: fn(*args)  # type: ignore[method-assign]
    for _ in range(10):
        on.run_instance(), off.run_instance()
    t_on, t_off = [], []
    for _ in range(instances):
        t_off += off.run_instance()[0]
        t_on += on.run_instance()[0]
    return statistics.median(t_off), statistics.median(t_on)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=2000)
    args = ap.parse_args()
    calls = per_call(args.rounds)
    print(f"{'per call':<28}{'before µs':>12}{'after µs':>12}{'ratio':>8}")
    for name, (before, after) in calls.items():
        print(f"{name:<28}{before * 1e6:>12.2f}{after * 1e6:>12.2f}{after / before:>8.2f}")
    step_off, step_on = per_step(args.instances)
    # Per expression: its operators plus its watchdog registration, five times a step.
    extra = 5 * sum(after - before for name, (before, after) in calls.items() if name.startswith("expression"))
    print(f"{'Polku complete, SQLite':<28}{'off ms':>12}{'on ms':>12}{'ratio':>8}")
    print(f"{'four_steps (no model code)':<28}{step_off * 1e3:>12.3f}{step_on * 1e3:>12.3f}{step_on / step_off:>8.2f}")
    print(f"{'+ 5 expressions (estimate)':<28}{step_off * 1e3:>12.3f}{(step_on + extra) * 1e3:>12.3f}"
          f"{(step_on + extra) / step_off:>8.2f}")


if __name__ == "__main__":
    main()
