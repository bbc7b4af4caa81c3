"""Browser tests: the real app served by `polku serve` on 127.0.0.1, driven by Playwright in
Debian's Chromium, checked by axe-core. scripts/test.sh installs Chromium when it is missing."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from polku.cli import main as polku_main

CHROMIUM = os.environ.get("POLKU_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--no-first-run", "--disable-dev-shm-usage"]
SHOTS = Path(__file__).resolve().parents[1] / "screenshots"
NOW = "2026-01-05T09:00:00+00:00"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(database_url):
    """`polku demo` data and `polku serve` in its own process; yields the base URL."""
    env = {"POLKU_DATABASE_URL": database_url, "POLKU_NOW": NOW}
    result = CliRunner().invoke(polku_main, ["demo"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "polku", "serve", "--port", str(port)],
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("polku serve did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/test.sh, which installs it (apt-get install chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


class User:
    """One person at the browser: log in, fill forms, check each page with axe."""

    def __init__(self, page, base: str):
        self.page, self.base = page, base

    def go(self, path: str):
        self.page.goto(self.base + path)
        return self

    def login(self, username: str, password: str | None = None):
        self.go("/login")
        self.page.fill("#username", username)
        self.page.fill("#password", password or f"{username}-demo")
        self.page.click("button.primary")
        self.page.wait_for_url("**/tasks*")
        return self

    def language(self, code: str):
        self.page.click(f"form.language button[value={code}]")
        self.page.wait_for_load_state()
        return self

    def logout(self):
        self.page.click("form.logout button")
        self.page.wait_for_url("**/login*")
        return self

    def shot(self, name: str):
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    def assert_accessible(self):
        from axe_playwright_python.sync_playwright import Axe

        results = Axe().run(self.page)
        assert results.violations_count == 0, f"{self.page.url}\n{results.generate_report()}"


@pytest.fixture
def person(chromium, live_server):
    contexts = []

    def make(locale: str = "fi-FI") -> User:
        context = chromium.new_context(locale=locale)
        contexts.append(context)
        return User(context.new_page(), live_server)

    yield make
    for context in contexts:
        context.close()
