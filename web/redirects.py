"""Where a `next` parameter may send the browser: a path on this site, judged after normalisation.

A check on the raw text is not enough: Werkzeug strips tabs and newlines from a Location header
and browsers read a backslash as a slash, so `/\t/evil.example` and `/\\evil.example` both become
`//evil.example`, another site. So: no control characters, whitespace or backslashes at all (also
percent-encoded, at any depth of encoding), a path starting with exactly one slash, no scheme or
host however spelled, no dot segments. Anything else goes to the inbox.
"""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import url_for

_MAX_DECODING = 4  # %25 nests: /%2509 decodes to /%09, then to a tab


def _decodings(target: str) -> list[str]:
    seen = [target]
    for _ in range(_MAX_DECODING):
        decoded = unquote(seen[-1])
        if decoded == seen[-1]:
            break
        seen.append(decoded)
    return seen


def _unsafe(text: str) -> bool:
    if any(ord(c) <= 32 or ord(c) == 127 or c == "\\" or c.isspace() for c in text):
        return True
    path = text.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/") or path.startswith("//"):
        return True
    parts = urlsplit(text)
    if parts.scheme or parts.netloc:
        return True
    return any(segment in (".", "..") for segment in path.split("/"))


def is_local_path(target: str | None) -> bool:
    """True when `target` can only lead to a page of this site."""
    if not target or len(target) > 2000:
        return False
    path = target.split("?", 1)[0]
    # The query may legitimately hold encoded spaces and slashes (a saved search); the path may not,
    # in any encoding. The raw text as a whole must be clean too.
    return not _unsafe(target) and not any(_unsafe(p) for p in _decodings(path))


def safe_next(target: str | None, *, login_page: bool = False) -> str:
    """`target` when it is a local page (the login page itself only if `login_page`), else the inbox."""
    if target is not None and is_local_path(target) and (login_page or not target.startswith("/login")):
        return target.rstrip("?") or url_for("tasks.inbox")
    return url_for("tasks.inbox")
