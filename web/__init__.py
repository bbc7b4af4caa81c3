"""The Flask front end. Knows no SpiffWorkflow: it calls engine and domain commands and queries.

`create_app(config, runtime=...)` builds everything; nothing is built at import time. The runtime
(handlers, field types, sandbox) comes from the composition root (`polku.app.build_app`), so this
package never imports the layer above it. Each request that changes something runs one command in
one unit of work (see `web.context`).
"""
from __future__ import annotations

import os

from flask import Flask

DEV_SECRET = "polku-development-only-secret"  # noqa: S105  refused in production below


def create_app(config: dict | None = None, *, runtime) -> Flask:
    app = Flask(__name__)
    from .ids import init_app as ids_init

    ids_init(app)  # before any blueprint's rules are built
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("POLKU_SECRET_KEY", DEV_SECRET),
        DATABASE_URL=os.environ.get("POLKU_DATABASE_URL", "sqlite:///instance/polku.db"),
        PRODUCTION=os.environ.get("POLKU_ENV", "development") == "production",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="polku_session",
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        WTF_CSRF_TIME_LIMIT=None,  # tied to the session instead of a clock
        INBOX_PAGE_SIZE=20,
        # Whole request body and any one form field. The largest real form (50 goals of 2 × 2000
        # characters) is about 200 kB of UTF-8; more is refused with 413 before it is parsed.
        MAX_CONTENT_LENGTH=int(os.environ.get("POLKU_MAX_CONTENT_LENGTH", 1024 * 1024)),
        MAX_FORM_MEMORY_SIZE=int(os.environ.get("POLKU_MAX_CONTENT_LENGTH", 1024 * 1024)),
    )
    if config:
        app.config.update(config)
    # Secure cookies everywhere except a developer's debug server.
    if "SESSION_COOKIE_SECURE" not in (config or {}):
        app.config["SESSION_COOKIE_SECURE"] = not app.debug
    if app.config["PRODUCTION"] and app.config["SECRET_KEY"] == DEV_SECRET:
        raise RuntimeError("refusing to start in production with the development secret key: set POLKU_SECRET_KEY")

    from . import context, errors, i18n, security
    from .auth import bp as auth_bp
    from .cases import bp as cases_bp
    from .i18n import bp as i18n_bp
    from .notices import bp as notices_bp
    from .notices import init_app as notices_init
    from .referrals import bp as referrals_bp
    from .tasks import bp as tasks_bp

    context.init_app(app, runtime)
    security.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)  # NotFound/Forbidden → 404, Conflict → 409, for every route
    notices_init(app)  # the navigation's count of open notices
    for blueprint in (auth_bp, i18n_bp, tasks_bp, referrals_bp, cases_bp, notices_bp):
        app.register_blueprint(blueprint)

    from .health import healthz

    app.add_url_rule("/healthz", "healthz", healthz)
    return app
