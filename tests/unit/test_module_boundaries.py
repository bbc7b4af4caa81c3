"""A module's private names (a leading underscore) stay its own (issue 11 review: the deploy-time form
check took engine.forms' private constraint parsers and default reader; they are public now)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def private_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [f"{node.module}.{alias.name}" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            for alias in node.names if alias.name.startswith("_") and not alias.name.startswith("__")]


def test_the_form_definition_check_uses_only_public_names_of_forms():
    assert private_imports(ROOT / "engine" / "form_definitions.py") == []
