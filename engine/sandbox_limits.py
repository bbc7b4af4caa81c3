"""Refusing, before they start, the single operations that could outrun the budget.

The budget's watchdog (engine/budget.py) interrupts model code between bytecodes; it cannot
stop one C-level operation such as `"a" * (3 * 10**9)` (3 GB, one call) or `10 ** 10**10`.
So the sandbox compiles `*`, `**`, `<<`, `+`, `%` and f-string format specs into calls to
the guards below, and wraps `range`, `pow` and the sizing methods of str/bytes, each of which
computes the size of its result first and refuses one larger than the memory budget.
"""
from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from typing import Any

from RestrictedPython.transformer import RestrictingNodeTransformer

from .budget import BudgetExceeded

# Integers beyond this many bits (~315,000 decimal digits) are refused: multiplying two of
# them already takes milliseconds in C, and their size squares with every multiplication.
MAX_INT_BITS = 2**20
# Bytes per element of a list or tuple (a pointer) and per int object a range may produce.
_SLOT, _INT = 8, 36

_GUARDED_OPS: dict[type[ast.operator], str] = {
    ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Add: "+", ast.Mod: "%",
}
_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "*": operator.mul, "**": operator.pow, "<<": operator.lshift, "+": operator.add, "%": operator.mod,
}
_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d*)(?:\.(\*|\d*))?")
_DIGITS = re.compile(r"\d+")
_SIZED_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs", "replace", "join"})


class BudgetPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus the rewrites above; names it creates start with "_" so
    model code can neither call nor replace them."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        symbol = _GUARDED_OPS.get(type(node.op))
        if symbol is None:
            return node
        call = ast.Call(ast.Name("_binop_", ast.Load()), [ast.Constant(symbol), node.left, node.right], [])
        return ast.fix_missing_locations(ast.copy_location(call, node))

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        node = self.node_contents_visit(node)
        if node.format_spec is not None:  # f"{x:>3000000000}": the width is checked first
            checked = ast.Call(ast.Name("_fmtspec_", ast.Load()), [node.format_spec], [])
            spec = ast.JoinedStr([ast.FormattedValue(checked, -1, None)])
            node.format_spec = ast.fix_missing_locations(ast.copy_location(spec, node))
        return node

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> Any:
        # A bare `except:` would catch the budget's interrupt and carry on.
        if node.type is None:
            self.error(node, "a bare 'except:' is not allowed; name the exceptions to catch")
        return super().visit_ExceptHandler(node)


def _size(value: object) -> int:
    """Bytes a value of this kind takes, roughly (str counted one byte a character)."""
    if isinstance(value, (str, bytes, bytearray)):
        return len(value)
    if isinstance(value, (list, tuple)):
        return len(value) * _SLOT
    return 0


class Limits:
    """The guards, bound to one memory budget (bytes)."""

    def __init__(self, memory_bytes: int):
        self.memory_bytes = memory_bytes

    def _refuse(self, what: str) -> BudgetExceeded:
        return BudgetExceeded(f"refused: {what} would exceed the memory budget of "
                              f"{self.memory_bytes // (1024 * 1024)} MB")

    def _check_size(self, size: int, what: str) -> None:
        if size > self.memory_bytes:
            raise self._refuse(what)

    def _check(self, symbol: str, a: Any, b: Any) -> None:
        ints = isinstance(a, int) and isinstance(b, int)
        if symbol == "*":
            if ints and a.bit_length() + b.bit_length() > MAX_INT_BITS:
                raise self._refuse("a product this large")
            count, seq = (a, b) if isinstance(a, int) else (b, a)
            if isinstance(count, int) and count > 0:
                self._check_size(_size(seq) * count, "repeating a sequence this many times")
        elif symbol == "**" and ints and b > 0 and abs(a) > 1 and a.bit_length() * b > MAX_INT_BITS:
            raise self._refuse("a power this large")
        elif symbol == "<<" and ints and a and b > 0 and a.bit_length() + b > MAX_INT_BITS:
            raise self._refuse("a shift this large")
        elif symbol == "+":
            self._check_size(_size(a) + _size(b), "joining sequences this long")
        elif symbol == "%" and isinstance(a, (str, bytes)):
            self._check_printf(a if isinstance(a, str) else a.decode("latin-1"), b)

    def _check_printf(self, template: str, args: Any) -> None:
        numbers = args if isinstance(args, tuple) else (args,)
        for spec in _PRINTF_SPEC.finditer(template):
            for part in spec.groups():
                if part == "*" and any(isinstance(n, int) and n > self.memory_bytes for n in numbers):
                    raise self._refuse("a field this wide")
                if part and part.isdigit():
                    self._check_size(int(part), "a field this wide")

    def binop(self, symbol: str, a: Any, b: Any) -> Any:
        self._check(symbol, a, b)
        return _OPERATORS[symbol](a, b)

    def inplace(self, symbol: str, a: Any, b: Any, apply: Callable[[Any, Any], Any]) -> Any:
        self._check(symbol.rstrip("="), a, b)
        return apply(a, b)

    def fmtspec(self, spec: str) -> str:
        for digits in _DIGITS.findall(spec):
            self._check_size(int(digits), "a field this wide")
        return spec

    def range(self, *args: int) -> range:
        result = range(*args)
        try:
            count = len(result)
        except OverflowError:
            count = self.memory_bytes + 1
        self._check_size(count * _INT, "a range this long")
        return result

    def pow(self, base: Any, exp: Any, mod: Any = None) -> Any:
        if mod is None:
            return self.binop("**", base, exp)
        return pow(base, exp, mod)

    def sized(self, obj: object, name: str, method: Any) -> Any:
        """`method` (obj.name), wrapped when it could build a huge str or bytes."""
        if name not in _SIZED_METHODS or not isinstance(obj, (str, bytes)):
            return method
        return lambda *args, **kwargs: self._sized_call(obj, name, method, args, kwargs)

    def _sized_call(self, obj: str | bytes, name: str, method: Any, args: tuple[Any, ...],
                    kwargs: dict[str, Any]) -> Any:
        if name == "join":
            items = list(args[0]) if args else []
            self._check_size(sum(map(_size, items)) + len(obj) * max(len(items) - 1, 0), "joining this much")
            return method(items)
        if name == "replace" and len(args) >= 2:
            old, new = args[0], args[1]
            count = obj.count(old) if old else len(obj) + 1
            self._check_size(len(obj) + count * max(len(new) - len(old), 0), "replacing this much")
        elif name == "expandtabs":
            tabsize = args[0] if args else kwargs.get("tabsize", 8)
            tabs = obj.count("\t") if isinstance(obj, str) else obj.count(b"\t")
            self._check_size(len(obj) + tabs * max(tabsize, 0), "expanding tabs this wide")
        elif name != "replace" and args and isinstance(args[0], int):
            self._check_size(args[0], "padding this wide")
        return method(*args, **kwargs)

    def guards(self) -> dict[str, Any]:
        return {"_binop_": self.binop, "_fmtspec_": self.fmtspec}
