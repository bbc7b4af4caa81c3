"""The WSGI entry for production servers: `gunicorn --workers 4 'polku.wsgi:app'`.

Configuration comes from the environment: POLKU_DATABASE_URL, POLKU_SECRET_KEY and
POLKU_ENV=production (which refuses the development secret). Timers are fired by a separate
`polku worker` process, never inside the web workers. Start gunicorn without --preload: each
worker process then opens its own database connections.
"""
from __future__ import annotations

from .app import build_app, serving

app = serving(build_app())
