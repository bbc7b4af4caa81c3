"""Browser tests: the real app served by `polku serve` on 127.0.0.1, driven by Playwright in
Debian's Chromium, checked by axe-core. scripts/test.sh installs Chromium when it is missing."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from polku.cli import main as polku_main
from tests.databases import SCHEMA

CHROMIUM = os.environ.get("POLKU_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--no-first-run", "--disable-dev-shm-usage"]
SHOTS = Path(__file__).resolve().parents[1] / "screenshots"
NOW = "2026-01-05T09:00:00+00:00"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`polku serve` in its own process on a database and a port, at a fixed time (POLKU_NOW)."""

    def __init__(self, database_url: str, now: str = NOW):
        self.database_url, self.now, self.port, self.proc = database_url, now, _free_port(), None
        self.base = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        # Sessions are server-side rows that run out after 30 idle minutes (engine.sessions); `move_to`
        # jumps days ahead between two clicks, which a real browser never does, so the limits are a month.
        env = {"POLKU_DATABASE_URL": self.database_url, "POLKU_NOW": self.now,
               "POLKU_SESSION_IDLE_SECONDS": str(31 * 86400), "POLKU_SESSION_MAX_SECONDS": str(31 * 86400)}
        self.proc = subprocess.Popen([sys.executable, "-m", "polku", "serve", "--port", str(self.port)],
                                     env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("polku serve did not start") from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def move_to(self, now: str) -> None:
        """Time moves on: the same server (database, port, so the browsers' sessions) at `now`."""
        self.stop()
        self.now = now
        self.start()


@contextmanager
def serving(database_url: str):
    """`polku demo` data and `polku serve` in its own process on `database_url`; yields the base URL."""
    with served(database_url) as server:
        yield server.base


@contextmanager
def served(database_url: str):
    """`polku demo` data and a Server on it, started; yields the Server (its clock can be moved)."""
    result = CliRunner().invoke(polku_main, ["demo"], env={"POLKU_DATABASE_URL": database_url, "POLKU_NOW": NOW},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    server = Server(database_url)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def live_server(database_url):
    """`polku demo` data and `polku serve` in its own process; yields the base URL."""
    with serving(database_url) as base:
        yield base


@pytest.fixture(scope="module")
def module_database_url(_templates):
    """A fresh database shared by one test module (the module-scoped twin of `database_url`)."""
    url = _templates.fresh(SCHEMA)
    yield url
    _templates.backend.release(url)


@pytest.fixture(scope="module")
def module_server(module_database_url):
    """One `polku serve` for a whole test module (demo data; the module builds its own state)."""
    with serving(module_database_url) as base:
        yield base


class Cli:
    """`polku ...` in-process on a server's database, at the server's fixed time."""

    def __init__(self, database_url: str):
        self.database_url = database_url

    def __call__(self, *args, now: str = NOW) -> str:
        env = {"POLKU_DATABASE_URL": self.database_url, "POLKU_NOW": now}
        result = CliRunner().invoke(polku_main, [str(a) for a in args], env=env, catch_exceptions=False)
        assert result.exit_code == 0, f"polku {' '.join(map(str, args))}: {result.stderr}{result.stdout}"
        return result.stdout

    def json(self, *args):
        return json.loads(self(*args, "--json"))

    def refer(self, hetu: str, name: str, *, start: str = "2026-01-05", end: str = "2026-04-30",
              provider: str = "Valmennus Oy", official: str = "virkailija1") -> int:
        data = {"client_hetu": hetu, "client_name": name, "client_language": "fi", "municipality": "Helsinki",
                "service_need": "Tuki työnhakuun", "provider": provider, "planned_start": start,
                "planned_end": end, "health_consent": False}
        return self.json("start", "tyohonvalmennus", "--as", official, "--data", json.dumps(data))["id"]

    def ready(self, instance_id: int) -> list[str]:
        return [t["element_id"] for t in self.json("show", instance_id)["ready_tasks"]]

    def task(self, instance_id: int, element_id: str, actor: str) -> str:
        rows = [t for t in self.json("tasks", "--as", actor, "--instance", instance_id)
                if t["element_id"] == element_id]
        assert rows, f"{actor} has no {element_id} task in case {instance_id}; ready: {self.ready(instance_id)}"
        return rows[0]["id"]

    def do(self, instance_id: int, element_id: str, actor: str, now: str = NOW, **values) -> None:
        """Completes the task at `now` (the server's time unless a later week must have begun)."""
        task_id = self.task(instance_id, element_id, actor)
        self("complete", task_id, "--as", actor, "--data", json.dumps(values), now=now)


@pytest.fixture
def cli(database_url):
    return Cli(database_url)


@pytest.fixture(scope="module")
def module_cli(module_database_url):
    return Cli(module_database_url)


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: "
                    "run scripts/test.sh, which installs it (apt-get install chromium)")
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

    def violations(self, what: str) -> list[str]:
        """axe-core's violations on the current page, as readable lines (empty: none)."""
        from axe_playwright_python.sync_playwright import Axe

        results = Axe().run(self.page)
        if results.violations_count == 0:
            return []
        return [f"{what} ({self.page.url}):\n{results.generate_report()}"]

    def flash(self) -> str:
        """The text of the confirmation/notice messages at the top of the page."""
        return " ".join(" ".join(self.page.locator("main .notice").all_inner_texts()).split())


def _people(chromium, base: str):
    contexts = []

    def make(locale: str = "fi-FI") -> User:
        context = chromium.new_context(locale=locale)
        contexts.append(context)
        return User(context.new_page(), base)

    return make, contexts


@pytest.fixture
def person(chromium, live_server):
    make, contexts = _people(chromium, live_server)
    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def clocked_server(database_url):
    """Like `live_server`, as a Server whose clock the test moves (`move_to`)."""
    with served(database_url) as server:
        yield server


@pytest.fixture
def clocked_person(chromium, clocked_server):
    """Like `person`, on `clocked_server`."""
    make, contexts = _people(chromium, clocked_server.base)
    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def module_person(chromium, module_server):
    """Like `person`, on the module's shared server."""
    make, contexts = _people(chromium, module_server)
    yield make
    for context in contexts:
        context.close()


# --- words the pages show, in each language -------------------------------------------
ROOT = Path(__file__).resolve().parents[2]
UI_CATALOGS = ROOT / "web" / "translations"
PROCESS_CATALOGS = ROOT / "processes" / "translations"
BPMN = ROOT / "processes" / "tyohonvalmennus.bpmn"


@cache
def _ui_catalog(lang: str):
    from babel.support import NullTranslations, Translations

    if lang == "en":
        return NullTranslations()
    return Translations.load(str(UI_CATALOGS), [lang], domain="messages")


def ui(lang: str, msgid: str, **variables) -> str:
    """A UI string as the app shows it in `lang` (the compiled Babel catalog, as Flask-Babel reads it)."""
    text = _ui_catalog(lang).gettext(msgid)
    return text % variables if variables else text


@cache
def _finnish_labels() -> dict[str, str]:
    from lxml import etree

    tree = etree.parse(str(BPMN))
    return {el.get("id"): el.get("name") for el in tree.iter() if el.get("id") and el.get("name")}


@cache
def _process_catalog(lang: str) -> dict:
    return json.loads((PROCESS_CATALOGS / f"{lang}.json").read_text(encoding="utf-8")).get("tyohonvalmennus", {})


def process_label(lang: str, key: str) -> str | None:
    """A job-coaching process label (element, field, option, rule message) from its catalog, for sv/en."""
    return None if lang == "fi" else _process_catalog(lang).get(key)


def step(lang: str, element_id: str) -> str:
    """A BPMN element's name as the app shows it in `lang` (Finnish is the BPMN itself)."""
    return process_label(lang, element_id) or _finnish_labels()[element_id]
