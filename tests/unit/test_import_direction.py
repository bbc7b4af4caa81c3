"""The one-way import rule, read from the source with `ast` (nothing is imported):
polku (root) -> web -> domain -> engine. Nothing below imports above, by any spelling."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Each layer's folder and the package it installs as.
LAYERS = {"engine": "polku.engine", "domain": "polku.domain", "web": "polku.web", "polku": "polku"}
# Read for the old top-level names only (they sit above every layer).
OTHERS = {"tests": "tests", "bench": "bench"}
ROOT_MODULES = {"polku.cli", "polku.wiring", "polku.app", "polku.serve_cli", "polku.wsgi", "polku.schema",
                "polku.migrations", "polku.__main__", "polku"}
# What each layer must not import: the layers above it.
FORBIDDEN = {
    "polku.engine": ("polku.domain", "polku.web", *ROOT_MODULES),
    "polku.domain": ("polku.web", *ROOT_MODULES),
    "polku.web": ROOT_MODULES,
}
OLD_TOP_LEVEL = ("engine", "domain", "web")


def _modules():
    for folder, package in {**LAYERS, **OTHERS}.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            name = ".".join((package, *parts))
            if name.endswith(".__init__"):
                yield path, name[: -len(".__init__")], True
            else:
                yield path, name, False


def _imports(path: Path, module: str, is_package: bool):
    """Every module name an import statement in `path` refers to, relative imports resolved."""
    base = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = base[: len(base) - node.level + 1]
                target = ".".join(anchor + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield node.lineno, target
            for alias in node.names:  # `from polku import wiring` imports polku.wiring
                yield node.lineno, f"{target}.{alias.name}"


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _forbidden(layer: str, target: str) -> bool:
    # A root module matches itself and its submodules; bare "polku" only itself, since
    # polku.engine and the other layers are not the composition root.
    return any(target == f if f == "polku" else _within(target, f) for f in FORBIDDEN[layer])


def _violations():
    found = []
    for path, module, is_package in _modules():
        layer = next((p for p in FORBIDDEN if _within(module, p)), None)
        for lineno, target in _imports(path, module, is_package):
            where = f"{path.relative_to(ROOT)}:{lineno} imports {target}"
            if any(_within(target, old) for old in OLD_TOP_LEVEL):
                found.append(where + " (old top-level name)")
            elif layer is not None and _forbidden(layer, target):
                found.append(where)
    return found


def test_every_layer_imports_only_downwards():
    assert _violations() == []


def test_modules_were_found_in_every_layer():
    names = {module for _, module, _ in _modules()}
    for package in ("polku.engine.db", "polku.domain.handlers", "polku.web.context", "polku.cli", "polku.wsgi",
                    "tests.conftest"):
        assert package in names


@pytest.mark.parametrize(("layer", "source", "bad"), [
    ("polku.engine", "from polku.domain import rules\n", "polku.domain.rules"),
    ("polku.engine", "from ..web import context\n", "polku.web.context"),
    ("polku.domain", "import polku.wiring\n", "polku.wiring"),
    ("polku.web", "from polku import app\n", "polku.app"),
    ("polku.web", "from polku.cli import main\n", "polku.cli"),
])
def test_the_checker_catches_an_upward_import(tmp_path, layer, source, bad):
    path = tmp_path / "probe.py"
    path.write_text(source, encoding="utf-8")
    targets = {t for _, t in _imports(path, f"{layer}.probe", False)}
    assert bad in targets
    assert any(_forbidden(layer, t) for t in targets)


def test_the_composition_root_may_import_every_layer():
    assert not any(_forbidden("polku.web", t) for t in ("polku.web.context", "polku.domain.rules", "polku.engine"))
    assert not _forbidden("polku.domain", "polku.engine.db")


def test_the_checker_reads_an_old_top_level_name(tmp_path):
    path = tmp_path / "probe.py"
    path.write_text("from engine.db import UnitOfWork\nimport web\n", encoding="utf-8")
    targets = [t for _, t in _imports(path, "polku.domain.probe", False)]
    assert "engine.db" in targets and "web" in targets
