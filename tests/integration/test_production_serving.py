"""The documented production command: gunicorn with several worker processes on `polku.wsgi:app`,
configured from the environment only."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")
BOOTED = re.compile(r"Booting worker with pid: (\d+)")


def _get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_gunicorn_with_two_workers_serves_health_and_login(database_url):
    env = {**os.environ, "POLKU_DATABASE_URL": database_url, "POLKU_SECRET_KEY": "production-test-secret",
           "POLKU_ENV": "production"}
    env.pop("POLKU_NOW", None)
    # Port 0: the kernel picks a free port and gunicorn logs which; no race with other test runs.
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", "127.0.0.1:0",
                                 "--graceful-timeout", "5", "polku.wsgi:app"],
                                env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
        try:
            deadline, port, workers = time.monotonic() + 60, None, set()
            while time.monotonic() < deadline and (port is None or len(workers) < 2):
                assert proc.poll() is None, _read(log)
                time.sleep(0.2)
                text = _read(log)
                found = LISTENING.search(text)
                port = found and int(found.group(1))
                workers = set(BOOTED.findall(text))
            assert port and len(workers) == 2, _read(log)

            status, body = _get(f"http://127.0.0.1:{port}/healthz")
            while status != 200 and time.monotonic() < deadline:  # workers may still be importing
                time.sleep(0.2)
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
            assert status == 200, body
            health = json.loads(body)
            assert health["status"] == "ok" and health["database"] == "ok"
            assert health["schema"]["status"] == "current"

            status, page = _get(f"http://127.0.0.1:{port}/login")
            assert status == 200
            assert '<form' in page and 'name="password"' in page
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        assert proc.returncode == 0, _read(log)


def _read(log) -> str:
    log.seek(0)
    return log.read()
