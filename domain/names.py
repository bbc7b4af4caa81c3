"""Names as search finds them: case-folded, accents stripped, one space before every part.

"Matti Meikäläinen" is kept as " matti meikalainen", so a prefix of any part of the name is a
plain ``LIKE '% mei%'`` on both SQLite and PostgreSQL (neither needs an extension or a collation
for it). The column is filled whenever a name is written (``domain.models`` sets it on every
assignment of ``name``), never computed in the query.
"""
from __future__ import annotations

import re
import unicodedata

# Parts of a name: "Anna-Liisa O'Brien" is anna, liisa, o, brien (so "lii" and "bri" find her).
_SEPARATORS = re.compile(r"[\s\-‐‑–—'’`´.,]+")


def fold(text: str) -> str:
    """Case-folded, accents stripped: "MÄT" -> "mat", "Castrén" -> "castren"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_parts(text: str | None) -> list[str]:
    return [part for part in _SEPARATORS.split(fold(text or "")) if part]


def search_key(name: str | None) -> str:
    """What the ``name_search`` columns hold: each part preceded by one space."""
    return "".join(" " + part for part in name_parts(name))
