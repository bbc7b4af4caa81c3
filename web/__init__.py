"""The Flask front end. Knows no SpiffWorkflow: it calls engine and domain commands and queries.

`create_app(config, runtime=...)` builds everything; nothing is built at import time. The runtime
(handlers, field types, sandbox) comes from the composition root (`polku.app.build_app`), so this
package never imports the layer above it. Each request that changes something runs one command in
one unit of work (see `web.context`).
"""
from __future__ import annotations

import os

from flask import Flask


def create_app(config: dict | None = None, *, runtime) -> Flask:
    app = Flask(__name__)
    from .ids import init_app as ids_init

    ids_init(app)  # before any blueprint's rules are built
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("POLKU_SECRET_KEY") or None,
        DATABASE_URL=os.environ.get("POLKU_DATABASE_URL", "sqlite:///instance/polku.db"),
        PRODUCTION=os.environ.get("POLKU_ENV", "development") == "production",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="polku_session",
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        # Server-side session limits (engine.sessions), in seconds: idle, and since login.
        SESSION_IDLE_TIMEOUT=int(os.environ.get("POLKU_SESSION_IDLE_SECONDS", 30 * 60)),
        SESSION_ABSOLUTE_TIMEOUT=int(os.environ.get("POLKU_SESSION_MAX_SECONDS", 8 * 3600)),
        # Reverse proxies in front of the app whose X-Forwarded-For is trusted (the login throttle
        # counts per client address; behind a proxy every client would otherwise share its address).
        PROXIES=int(os.environ.get("POLKU_PROXIES", 0)),
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
    if app.config["PRODUCTION"] and not app.config["SECRET_KEY"]:
        raise RuntimeError("refusing to start in production without a secret key: set POLKU_SECRET_KEY")
    app.config["PERMANENT_SESSION_LIFETIME"] = app.config["SESSION_ABSOLUTE_TIMEOUT"]
    if app.config["PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXIES"], x_proto=app.config["PROXIES"])  # type: ignore[method-assign]

    from . import context, errors, i18n, input_check, security
    from .admin import bp as admin_bp
    from .auth import bp as auth_bp
    from .cases import bp as cases_bp
    from .definitions import bp as definitions_bp
    from .engine_rest import bp as engine_rest_bp
    from .i18n import bp as i18n_bp
    from .notices import bp as notices_bp
    from .notices import init_app as notices_init
    from .referrals import bp as referrals_bp
    from .tasks import bp as tasks_bp

    context.init_app(app, runtime)
    if not app.config["SECRET_KEY"]:
        _development_secret(app)
    security.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)  # NotFound/Forbidden → 404, Conflict → 409, for every route
    input_check.init_app(app)  # NUL and lone surrogates refused before any route, JSON parsed within bounds
    notices_init(app)  # the navigation's count of open notices
    for blueprint in (auth_bp, i18n_bp, tasks_bp, referrals_bp, cases_bp, notices_bp, admin_bp, definitions_bp,
                      engine_rest_bp):
        app.register_blueprint(blueprint)
    # No cookie is read there (web.engine_rest): a cross-site request has no login to borrow.
    app.extensions["csrf"].exempt(engine_rest_bp)

    from .health import healthz

    app.add_url_rule("/healthz", "healthz", healthz)
    return app


def _development_secret(app: Flask) -> None:
    """No POLKU_SECRET_KEY outside production: a random key made for this database and kept there
    (engine.app_secrets), never one printed in the source. A database without the table yet (not
    migrated) gets a random key for this process only."""
    import logging
    import secrets

    from sqlalchemy.exc import SQLAlchemyError

    from polku.engine.app_secrets import database_secret
    from polku.engine.clock import clock_from_env

    try:
        app.config["SECRET_KEY"] = database_secret(app.extensions["polku"]["engine"], clock_from_env())
        app.config["SECRET_KEY_SOURCE"] = "database"
    except SQLAlchemyError:
        logging.getLogger("polku.web").warning("no secret key table in the database: a key for this process only")
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        app.config["SECRET_KEY_SOURCE"] = "process"
