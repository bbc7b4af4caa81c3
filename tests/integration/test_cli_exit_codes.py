"""The CLI's exit codes tell a refusal from a bug: a domain refusal (and a user setting that
makes no sense, such as POLKU_NOW) exits 1 with one line; a bug, whatever its exception type,
prints its traceback and exits 3 (EXIT_BUG), never passing for a refusal."""
from __future__ import annotations

import json

import pytest

from polku.cli import EXIT_BUG
from polku.engine import queries


def test_a_refusal_exits_1_with_one_line(sample):
    refused = sample.refused("start", "no_such_process", "--as", "off1")
    assert refused.stderr == "error: no deployed process with key 'no_such_process'\n"
    as_json = sample("start", "no_such_process", "--as", "off1", "--json", ok=False)
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["code"] == "not_found"


def test_polku_now_not_a_date_is_refused_in_one_line(polku):
    refused = polku.refused("definitions", now="next tuesday")
    assert refused.stderr == "error: POLKU_NOW is not an ISO 8601 date-time: 'next tuesday'\n"
    as_json = polku("definitions", "--json", now="2026-13-45", ok=False)
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["code"] == "validation"


@pytest.mark.parametrize("error", [ValueError("a bug, not the user's input"), KeyError("missing"),
                                   AttributeError("'NoneType' object has no attribute 'id'")])
def test_a_bug_exits_with_its_traceback_and_its_own_code(polku, monkeypatch, error):
    def broken(uow):
        raise error

    monkeypatch.setattr(queries, "definitions", broken)  # a fault injected where a bug could be
    result = polku("definitions", ok=False)
    assert result.exit_code == EXIT_BUG != 1
    assert result.stderr.startswith("Traceback (most recent call last):\n"), result.stderr
    assert result.stderr.rstrip().endswith(f"{type(error).__name__}: {error}"), result.stderr
    assert "error: " not in result.stderr.splitlines()[0]
