"""The device cookie: which users have logged in successfully from this browser before.

A lock after repeated failed logins would let anyone keep a user out by failing on purpose. The
lock therefore applies only to browsers that cannot show they belong to the user: after a
successful login the browser gets a long-lived cookie, signed with the app's secret, naming the
user; presenting it exempts that user's logins from the lock and the address delay. An attacker
cannot make one for someone else's username (the signature), and it opens nothing by itself: the
password is still needed. See docs/security.md.
"""
from __future__ import annotations

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer

COOKIE = "polku_device"
MAX_USERS = 5  # a shared computer remembers a few users; the oldest is forgotten first
MAX_AGE = 365 * 24 * 3600


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="polku-device")


def known_users() -> list[str]:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return []
    try:
        names = _serializer().loads(raw)
    except BadSignature:
        return []
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def is_known(username: str) -> bool:
    return username.strip() in known_users()


def remember(response, username: str):
    names = [n for n in known_users() if n != username][-(MAX_USERS - 1):] + [username]
    response.set_cookie(COOKIE, _serializer().dumps(names), max_age=MAX_AGE, httponly=True,
                        secure=current_app.config["SESSION_COOKIE_SECURE"], samesite="Lax")
    return response
