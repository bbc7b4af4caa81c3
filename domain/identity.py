"""Finnish personal identity code (henkilötunnus), rule R13.

Format ``DDMMYYCNNNK``: birth date, century sign, individual number, check character.
Since 2023 (VNA 128/2010 as amended by 690/2022) the century signs are
``+`` (1800s), ``-`` ``Y`` ``X`` ``W`` ``V`` ``U`` (1900s) and ``A``–``F`` (2000s).

python-stdnum's ``stdnum.fi.hetu`` is the authority (it knows the 2023 signs), but it
only says "invalid format/component/checksum"; users and officials need to know *what*
is wrong, so the code is parsed here first to give a precise reason, and stdnum then
confirms the result so the two can never silently disagree.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from stdnum.exceptions import ValidationError
from stdnum.fi import hetu as _stdnum_hetu

CENTURIES: dict[str, int] = {"+": 1800}
CENTURIES.update(dict.fromkeys("-YXWVU", 1900))
CENTURIES.update(dict.fromkeys("ABCDEF", 2000))

CHECK_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"  # index = int(DDMMYYNNN) % 31

# Deliberately loose about the sign and check character so that a wrong sign is
# reported as such rather than as a generic format error.
_SHAPE = re.compile(r"(?P<ddmmyy>[0-9]{6})(?P<sign>.)(?P<nnn>[0-9]{3})(?P<check>[0-9A-Z])")

# Individual numbers 900–999 are temporary codes given to people without a permanent one.
TEMPORARY_RANGE = range(900, 1000)


@dataclass(frozen=True)
class IdentityCode:
    code: str          # normalised: upper case, no surrounding whitespace
    birth_date: date
    temporary: bool    # individual number 900–999: accepted, but shown as temporary


def normalise(code: str) -> str:
    """Strip surrounding whitespace and upper-case (people type ``131052-308t``)."""
    if not isinstance(code, str):
        raise ValueError("wrong format")
    return code.strip().upper()


def check_character(ddmmyy: str, nnn: str) -> str:
    return CHECK_CHARS[int(ddmmyy + nnn) % 31]


def validate(code: str) -> IdentityCode:
    """Parse and check ``code``; raise ValueError with a short English reason.

    Reasons: "wrong format", "invalid century sign", "no such date",
    "invalid individual number" (000 and 001 are never issued), "invalid checksum".
    """
    text = normalise(code)
    match = _SHAPE.fullmatch(text)
    if match is None:
        raise ValueError("wrong format")
    ddmmyy, sign, nnn, check = match.group("ddmmyy", "sign", "nnn", "check")
    if sign not in CENTURIES:
        raise ValueError("invalid century sign")
    try:
        born = date(CENTURIES[sign] + int(ddmmyy[4:]), int(ddmmyy[2:4]), int(ddmmyy[:2]))
    except ValueError:
        raise ValueError("no such date") from None
    individual = int(nnn)
    if individual < 2:  # historical: numbering starts at 002
        raise ValueError("invalid individual number")
    if check != check_character(ddmmyy, nnn):
        raise ValueError("invalid checksum")
    try:
        _stdnum_hetu.validate(text, allow_temporary=True)
    except ValidationError:  # our parse accepted what stdnum refuses: fail closed
        raise ValueError("wrong format") from None
    return IdentityCode(code=text, birth_date=born, temporary=individual in TEMPORARY_RANGE)


def is_valid(code: str) -> bool:
    try:
        validate(code)
    except ValueError:
        return False
    return True
