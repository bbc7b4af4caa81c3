"""The device cookie: which users have logged in successfully from this browser before, and with
which password.

A lock after repeated failed logins would let anyone keep a user out by failing on purpose. The
lock therefore applies only to browsers that cannot show they belong to the user: after a
successful login the browser gets a long-lived cookie, signed with the app's secret, with an entry
for the user; presenting it exempts that user's logins from the lock and the address delay. An
attacker cannot make one for someone else's username (the signature), and it opens nothing by
itself: the password is still needed.

Each entry is bound to the user's credential as it was at that login: it holds an HMAC, keyed with
the app secret, of the username and the engine's `credential_stamp` of the stored password hash.
A new password (even the same one set again: a new salt) changes the stamp, so a browser that
logged in before the change (a stolen laptop, an old shared computer) is a stranger again until it
logs in with the new password. See docs/security.md.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

COOKIE = "polku_device"
MAX_USERS = 5  # a shared computer remembers a few users; the oldest is forgotten first
MAX_AGE = 365 * 24 * 3600


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="polku-device")


def _tag(username: str, stamp: str) -> str:
    key = hashlib.sha256(b"polku-device\0" + str(current_app.config["SECRET_KEY"]).encode("utf-8")).digest()
    return hmac.new(key, f"{username}\0{stamp}".encode(), hashlib.sha256).hexdigest()


def _entries() -> list[tuple[str, str]]:
    """(username, tag) pairs, oldest first. A cookie of the earlier form (bare usernames, bound to
    no credential) gives none: its users log in once more as from a new browser."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return []
    try:
        entries = _serializer().loads(raw)
    except BadSignature:
        return []
    if not isinstance(entries, list):
        return []
    return [(e[0], e[1]) for e in entries
            if isinstance(e, list) and len(e) == 2 and all(isinstance(part, str) for part in e)]


def known_for(username: str) -> Callable[[str], bool]:
    """For engine.accounts.authenticate: whether this browser holds an entry for `username` made
    with the credential whose stamp it is given. Compared in constant time."""
    name = username.strip()
    held = next((tag for user, tag in _entries() if user == name), "")

    def known(stamp: str) -> bool:
        return hmac.compare_digest(held, _tag(name, stamp))

    return known


def remember(response, username: str, stamp: str | None):
    """The cookie with a fresh entry for `username` bound to `stamp` (its current credential)."""
    entries = [e for e in _entries() if e[0] != username][-(MAX_USERS - 1):]
    if stamp:
        entries.append((username, _tag(username, stamp)))
    response.set_cookie(COOKIE, _serializer().dumps([list(e) for e in entries]), max_age=MAX_AGE,
                        httponly=True, secure=current_app.config["SESSION_COOKIE_SECURE"], samesite="Lax")
    return response
