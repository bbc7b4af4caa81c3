"""CSRF on every POST and security headers on every response, in one place."""
from __future__ import annotations

from flask_wtf.csrf import CSRFError, CSRFProtect

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'")


def init_app(app) -> None:
    CSRFProtect(app)

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(CSRFError)
    def _csrf(error):
        from flask import render_template

        from .i18n import gettext as _

        return render_template("error.html", title=_("Form expired"),
                               message=_("The form had expired. Go back, reload the page and try again.")), 400
