"""The wheel as a user gets it: built with `python -m build`, installed with its dependencies in a
clean venv, run in a directory far from the checkout. `polku demo` deploys the shipped processes,
`polku deploy` finds them by default, and a Swedish process label is served.

Slow (a build and an install): deselected by default, run once by .ci/run with `-m wheel`."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("serve_sv_label.py")
# Not part of a source tree: local environments, caches and earlier build output.
IGNORE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "instance",
                                "screenshots", ".pytest_cache", ".mypy_cache", ".ruff_cache")


def _run(args, cwd, env, timeout=300):
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{args} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_the_wheel_installs_deploys_and_serves_swedish_labels(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("POLKU_") and k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    # Build from a copy, so the checkout gets no build/ or egg-info of the build's own.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=IGNORE)
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", tmp_path / "dist", source], tmp_path, env)
    (wheel,) = (tmp_path / "dist").glob("polku-*.whl")

    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/", 1)[0] for name in names}
    assert top == {"polku", wheel.name.split("-py")[0] + ".dist-info"}, top  # no engine/, web/, domain/
    for shipped in ("polku/processes/tyohonvalmennus.bpmn", "polku/processes/referral_eligibility.dmn",
                    "polku/processes/translations/sv.json", "polku/web/translations/sv/LC_MESSAGES/messages.mo",
                    "polku/migrations/versions/0001_initial_schema.py", "polku/wsgi.py"):
        assert shipped in names

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv], tmp_path, env)
    python, polku = venv / "bin" / "python", venv / "bin" / "polku"
    _run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel], tmp_path, env, 600)

    work = tmp_path / "elsewhere"
    work.mkdir()
    where = _run([python, "-c", "import polku.processes, polku.web; print(polku.processes.__file__)"], work, env)
    assert where.startswith(str(venv)), where

    demo = _run([polku, "demo"], work, env)  # default database: sqlite:///instance/polku.db in `work`
    assert "tyohonvalmennus\t1\tnew" in demo and "provider_follow_up\t1\tnew" in demo
    assert (work / "instance" / "polku.db").is_file()
    deployed = _run([polku, "deploy"], work, env).splitlines()
    assert deployed and all(line.endswith("\tunchanged") for line in deployed), deployed
    assert {line.split("\t")[0] for line in deployed} >= {"tyohonvalmennus", "provider_follow_up"}

    shutil.copy(SCRIPT, work / SCRIPT.name)
    page = _run([python, SCRIPT.name, f"sqlite:///{work / 'instance' / 'polku.db'}"], work, env, 120)
    assert '<html lang="sv"' in page
    # Labels from processes/translations/sv.json, shipped as package data (not in the UI catalogs).
    assert "Kundens personbeteckning" in page and "Planerat startdatum" in page
