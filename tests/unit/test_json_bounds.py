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
