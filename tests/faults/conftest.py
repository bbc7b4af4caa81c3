"""The fault tests' sizes (`--long`: declared in tests/conftest.py), their database template and their
process helpers."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Polku, add_user, template
from tests.faults.forkserver import ForkServer
from tests.faults.support import seed_from_env

BENCH = Path(__file__).resolve().parents[2] / "bench"
MIX = Path(__file__).with_name("faults_mix.bpmn")  # tasks with due dates, boundary timers, two branches
OFFICIALS = [f"off{i}" for i in range(1, 9)]


@dataclass(frozen=True)
class Sizes:
    kills: int  # SIGKILLs per database
    race_rounds: int
    racers: int
    outage_seconds: float
    long: bool


@pytest.fixture(scope="session")
def sizes(request) -> Sizes:
    if request.config.getoption("long"):
        return Sizes(kills=500, race_rounds=50, racers=8, outage_seconds=20.0, long=True)
    return Sizes(kills=25, race_rounds=3, racers=6, outage_seconds=3.0, long=False)


@template("faults")
def _faults_cast(polku: Polku) -> None:
    add_user(polku, "designer1", "designer")
    for path in (BENCH / "four_steps.bpmn", BENCH / "one_timer.bpmn", MIX):
        polku("deploy", path, "--as", "designer1")
    for name in OFFICIALS:
        add_user(polku, name, "official")


@pytest.fixture
def faults(polku, _database):
    """The bench processes four_steps (four user tasks) and one_timer (one timer) and faults_mix deployed;
    officials off1..off8 of Area 1."""
    from tests.conftest import from_template

    from_template(_database, "faults")
    return polku


@pytest.fixture
def seed(request) -> int:
    """The random generator's seed: reported with a failure, replayed by POLKU_FAULTS_SEED."""
    request.node.faults_seed = seed_from_env()
    return request.node.faults_seed


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    seed_used = getattr(item, "faults_seed", None)
    if report.failed and seed_used is not None:
        report.sections.append(("faults seed", f"replay with POLKU_FAULTS_SEED={seed_used}"))


@pytest.fixture
def forks(tmp_path):
    server = ForkServer(tmp_path)
    yield server
    server.close()
