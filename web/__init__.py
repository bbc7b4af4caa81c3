"""The Flask front end. Knows no SpiffWorkflow: it calls engine commands and queries."""
from __future__ import annotations

from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(DATABASE_URL=None)
    if config:
        app.config.update(config)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app
