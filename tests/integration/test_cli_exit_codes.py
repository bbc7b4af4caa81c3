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


HUGE = "99999999999999999999"  # past 2**63: SQLite's driver overflows on it


@pytest.mark.parametrize("data, line", [
    ("[" * 5000 + "]" * 5000, "data: nested deeper than 64 levels"),
    ('{"a": [' * 40 + "1" + "]}" * 40, "data: nested deeper than 64 levels"),
    ('{"a": ' + "1" * 5000 + "}", "data: a number has more than 300 digits"),
    ('{"a": 1e400}', "data: the number 1e400 is too large"),
    ('{"a": NaN}', "data: NaN is not a JSON number"),
    ('{"a": "\\ud800"}', "a: contains a character that is not allowed"),
    ('{"a": ["x", {"b": "x\\u0000y"}]}', "a: contains a character that is not allowed"),
    ('{"\\ud800": 1}', "\\ud800: contains a character that is not allowed"),
], ids=["deep", "deep-dicts", "digits", "infinite", "nan", "surrogate", "nested-nul", "surrogate-key"])
@pytest.mark.parametrize("command", [["start", "sample_case", "--as", "off1"],
                                     ["retry", "1", "--as", "boss"]])
def test_bad_data_is_one_line_exit_1_and_a_json_body(sample, command, data, line):
    before = sample.json("instances")
    refused = sample.refused(*command, "--data", data)
    assert refused.stderr == f"error: {line}\n"
    as_json = sample(*command, "--data", data, "--json", ok=False)
    assert as_json.exit_code == 1 and as_json.json["code"] == "validation", as_json
    assert as_json.json["error"] == line
    assert sample.json("instances") == before  # nothing started, nothing changed


def test_a_nul_in_an_option_is_refused_by_name(sample):
    refused = sample.refused("start", "sample_case", "--as", "off1", "--business-key", "a\x00b")
    assert refused.stderr == "error: business_key: contains a character that is not allowed\n"
    assert sample.json("instances") == []


def test_malformed_json_stays_a_usage_error(sample):
    assert sample("start", "sample_case", "--as", "off1", "--data", "{", ok=False).exit_code == 2


@pytest.mark.parametrize("command", [["show", HUGE], ["retry", HUGE, "--as", "boss"],
                                     ["suspend", HUGE, "--as", "boss"], ["token", "revoke", HUGE],
                                     ["token", "revoke", "0"]])
def test_ids_past_the_column_are_unknown(sample, command):
    refused = sample.refused(*command)
    assert refused.stderr.startswith("error: no "), refused.stderr


@pytest.mark.parametrize("url, line", [
    ("foo://x", "database URL: unsupported scheme 'foo': use sqlite:///PATH or "
                "postgresql+psycopg://USER@HOST/DATABASE"),
    ("foo", "database URL: not a URL: use sqlite:///PATH or postgresql+psycopg://USER@HOST/DATABASE"),
    ("postgresql+psycopg://u:secret@h:notaport/d", "database URL: postgresql+psycopg:// cannot be used: ValueError"),
])
def test_an_unusable_database_url_is_one_line(url, line):
    from click.testing import CliRunner

    from polku.cli import main

    result = CliRunner().invoke(main, ["--database-url", url, "definitions"], catch_exceptions=False)
    assert (result.exit_code, result.stderr) == (1, f"error: {line}\n")
    as_json = CliRunner().invoke(main, ["--database-url", url, "definitions", "--json"], catch_exceptions=False)
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["code"] == "validation"
    assert "secret" not in result.stderr + as_json.stdout
