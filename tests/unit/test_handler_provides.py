"""The service handlers' `provides` (engine.services, issue 11): every handler the service wires
declares what it returns, and the names a DMN input reads are found as Python scopes them."""
from __future__ import annotations

import pytest

from polku.engine.pynames import assigned_names, free_names
from polku.engine.services import HandlerFailed, ServiceCall, ServiceRegistry, undeclared
from polku.wiring import build_runtime


def test_every_wired_handler_declares_what_it_returns():
    handlers = build_runtime().handlers
    assert [name for name in handlers.names() if handlers.provides(name) is None] == []


def test_undeclared_names_exact_names_and_prefixes():
    assert undeclared(("a", "sp_*"), ["a", "sp_days", "b", "spx"]) == ["b", "spx"]
    assert undeclared(None, ["anything"]) == []
    assert undeclared((), ["a"]) == ["a"]


def test_a_call_returning_an_undeclared_name_fails_without_a_database():
    registry = ServiceRegistry()
    registry.register("h", lambda call: {"ok": 1, "other": 2}, provides=("ok",))
    call = ServiceCall(1, "task", "h", {}, None, None)  # type: ignore[arg-type]
    expected = r"^handler 'h' returned other, which it does not declare \(provides: ok\)$"
    with pytest.raises(HandlerFailed, match=expected):
        registry.call("h", call)


@pytest.mark.parametrize("text,names", [
    ("a + b.c", {"a", "b"}),
    ("[x for x in items if x > limit]", {"items", "limit"}),
    ("[y for x in rows for y in x]", {"rows"}),
    ("{k: v for k, v in pairs}", {"pairs"}),
    ("(lambda n, m=base: n + m + other)(1)", {"base", "other"}),
    ("(t := total) > t0", {"total", "t0"}),
    ("not valid (", set()),
])
def test_free_names(text, names):
    assert free_names(text) == names


def test_assigned_names_are_the_scripts_top_level_bindings():
    script = "a = 1\nb += 2\nfor i, j in x:\n    c = i\nd = [k for k in x]\nwith x as w:\n    pass\n"
    assert assigned_names(script) == {"a", "b", "i", "j", "c", "d", "w"}
