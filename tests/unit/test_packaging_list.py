"""The wheel ships a folder only when pyproject.toml lists it as a package (the top-level folders
are mapped into `polku.*` by package-dir, so setuptools cannot discover them). A new blueprint or
template folder that is not listed would be missing from an installed Polku: fail here, in
seconds, rather than only in the wheel test."""
from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_folder_with_files_is_a_listed_package():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    expected = set()
    for package, folder in config["package-dir"].items():
        base = ROOT / folder
        for path in [base, *base.rglob("*")]:
            if path.is_dir() and "__pycache__" not in path.parts and any(p.is_file() for p in path.iterdir()):
                relative = path.relative_to(base).parts
                expected.add(".".join((package, *relative)))
    missing = sorted(expected - listed)
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {missing}"
