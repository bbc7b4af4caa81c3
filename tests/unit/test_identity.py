"""R13: the personal identity code, with every vector of ../shared/domain.md."""
from datetime import date

import pytest
from stdnum.fi import hetu as stdnum_hetu

from polku.domain.identity import CENTURIES, IdentityCode, check_character, is_valid, normalise, validate

VALID = [
    ("131052-308T", date(1952, 10, 13), False),
    ("010594Y9021", date(1994, 5, 1), True),
    ("010594-9021", date(1994, 5, 1), True),
    ("020505A902P", date(2005, 5, 2), True),
    ("020505F903R", date(2005, 5, 2), True),
    ("290200A904F", date(2000, 2, 29), True),   # leap day
    ("311299U905D", date(1999, 12, 31), True),
    ("150357+9061", date(1857, 3, 15), True),
]

INVALID = [
    ("131052-308U", "invalid checksum"),
    ("300200A002E", "no such date"),
    ("131052Z308T", "invalid century sign"),
]


@pytest.mark.parametrize("code, born, temporary", VALID)
def test_valid_codes(code, born, temporary):
    assert validate(code) == IdentityCode(code=code, birth_date=born, temporary=temporary)


@pytest.mark.parametrize("code, reason", INVALID)
def test_invalid_codes_give_the_reason(code, reason):
    with pytest.raises(ValueError, match=f"^{reason}$"):
        validate(code)
    assert not is_valid(code)


@pytest.mark.parametrize("code, _born, _temporary", VALID)
def test_lower_case_and_spaces_are_normalised(code, _born, _temporary):
    assert validate(f"  {code.lower()}\n").code == code
    assert normalise(f" {code.lower()} ") == code


def test_same_date_other_sign_is_another_person():
    a, b = validate("010594Y9021"), validate("010594-9021")
    assert a.code != b.code and a.birth_date == b.birth_date


@pytest.mark.parametrize("sign", sorted(CENTURIES))
def test_every_century_sign(sign):
    # 2023 signs: + (1800s), - Y X W V U (1900s), A-F (2000s); stdnum must agree.
    code = "010203" + sign + "123" + check_character("010203", "123")
    parsed = validate(code)
    assert parsed.birth_date == date(CENTURIES[sign] + 3, 2, 1) and not parsed.temporary
    assert stdnum_hetu.is_valid(code)


@pytest.mark.parametrize("sign", ["G", "Z", "*", "/", " ", "Ä", "1"])
def test_unknown_century_signs(sign):
    code = "010203" + sign + "123" + check_character("010203", "123")
    with pytest.raises(ValueError, match="^invalid century sign$"):
        validate(code)


@pytest.mark.parametrize("code", [
    "", "   ", "131052308T", "131052-308TT", "13105-2308T", "131052-30AT", "1310522-308T",
    "131052-308!", "131052--308T",
])
def test_wrong_format(code):
    with pytest.raises(ValueError, match="^wrong format$"):
        validate(code)


@pytest.mark.parametrize("value", [None, 131052, ["131052-308T"]])
def test_non_text_is_wrong_format(value):
    with pytest.raises(ValueError, match="^wrong format$"):
        validate(value)


@pytest.mark.parametrize("code", ["310452-308T", "290201A904F", "001052-308T", "131352-308T"])
def test_impossible_dates(code):
    with pytest.raises(ValueError, match="^no such date$"):
        validate(code)


@pytest.mark.parametrize("nnn", ["000", "001"])
def test_individual_numbers_000_and_001_are_never_issued(nnn):
    with pytest.raises(ValueError, match="^invalid individual number$"):
        validate("131052-" + nnn + check_character("131052", nnn))


@pytest.mark.parametrize("nnn, temporary", [("002", False), ("899", False), ("900", True), ("999", True)])
def test_temporary_range_edges(nnn, temporary):
    assert validate("131052-" + nnn + check_character("131052", nnn)).temporary is temporary


def test_check_character_not_in_the_alphabet_is_a_checksum_error():
    # G, I, O, Q and Z are never check characters (easily confused with digits).
    with pytest.raises(ValueError, match="^invalid checksum$"):
        validate("131052-308G")
