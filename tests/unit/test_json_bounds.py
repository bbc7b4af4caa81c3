"""JSON from outside is bounded before it is decoded: nesting is read from the text, so a deep
document never recurses in the decoder, while brackets inside strings do not count."""
from __future__ import annotations

import json

import pytest

from polku.engine.jsonvalues import MAX_DEPTH, JsonRefused, parse_json


def test_nesting_at_the_limit_is_read():
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse_json(text) == json.loads(text)


@pytest.mark.parametrize("text", ["[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
                                  '{"a": ' * 100_000 + "1" + "}" * 100_000,
                                  "[" * 100_000])
def test_deeper_is_refused_without_decoding(text):
    with pytest.raises(JsonRefused, match=f"nested deeper than {MAX_DEPTH} levels"):
        parse_json(text)
    with pytest.raises(JsonRefused):
        parse_json(text.encode())


def test_brackets_and_escaped_quotes_inside_strings_do_not_count():
    text = json.dumps({"note": "[" * 200 + '"{' * 100, "list": ["\\", "]]]"]})
    assert parse_json(text) == json.loads(text)


def test_malformed_json_is_still_a_decode_error():
    with pytest.raises(json.JSONDecodeError):
        parse_json('{"a": [1, 2}')


def test_an_unclosed_string_of_escaped_quotes_is_read_once():
    """One pass, however many escaped quotes: a regular expression that tried each of them as a
    string's start again took seconds at 40 KB (a request body reaches 1 MiB, before any login)."""
    import time

    started = time.process_time()
    with pytest.raises(json.JSONDecodeError):
        parse_json('"' + '\\"' * 500_000)
    assert time.process_time() - started < 2  # linear: about 10 ms here; quadratic: hours


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16", "utf-32"])
def test_bytes_are_scanned_in_the_encoding_the_decoder_reads(encoding):
    """In UTF-16 a character such as U+2200 holds the byte of a quote: scanned as UTF-8, the deep
    brackets between two of them looked like the inside of a string, and the decoder recursed."""
    deep = ('["\u2200", ' + "[" * 5000 + "]" * 5000 + ', "\u2200"]').encode(encoding)
    with pytest.raises(JsonRefused, match="nested deeper"):
        parse_json(deep)
    assert parse_json('{"a": "x\\"y[[["}'.encode(encoding)) == {"a": 'x"y[[['}
