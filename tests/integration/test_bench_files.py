"""The benches' own BPMN deploys as the app's rules say today: bench/step_overhead.py and the step
benches of issue 12 stopped with "a string field needs a maxlength" once the form rules grew."""
from __future__ import annotations

from pathlib import Path

from tests.conftest import add_user

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_the_benches_process_deploys(polku):
    add_user(polku, "designer1", "designer")
    for bpmn in sorted(BENCH.glob("*.bpmn")):
        assert "new" in polku("deploy", str(bpmn), "--as", "designer1").stdout, bpmn.name
