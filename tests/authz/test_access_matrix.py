"""The allow/deny matrix (docs/access-matrix.toml) against the real routes and commands.

Generated from `app.url_map` and the click command tree: a route or command without an entry (or
an entry without a route or command) fails the suite; every cell of every entry is exercised through
HTTP or the CLI and its outcome compared with the matrix. Web cells expect a status code; CLI cells
"ok" or the refusal's JSON `code` (not_found, forbidden, conflict, validation)."""
from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path

import click
import pytest

from polku.app import build_app
from polku.cli import main
from tests.authz.matrix_support import (
    USERS,
    Objects,
    assignee,
    cells,
    fresh_hetu,
    load_matrix,
    new_case,
    new_notice,
    referral,
    saved_filter,
)
from tests.scenarios.conftest import HETU
from tests.web.conftest import PASSWORD, Browser

MATRIX = load_matrix()
SHOW = os.environ.get("POLKU_MATRIX_SHOW")  # a file to append what was observed to (to write an entry)


def routes() -> set[str]:
    app = build_app({"DATABASE_URL": "sqlite://", "TESTING": True, "SECRET_KEY": "x"})
    found = {f"{m} {r.rule}" for r in app.url_map.iter_rules() for m in r.methods - {"HEAD", "OPTIONS"}}
    app.extensions["polku"]["engine"].dispose()
    return found


def commands(group: click.Group = main, prefix: str = "") -> set[str]:
    found = set()
    for name, cmd in group.commands.items():
        path = f"{prefix}{name}"
        found |= commands(cmd, path + " ") if isinstance(cmd, click.Group) else {path}
    return found


def test_every_route_and_command_has_exactly_one_entry():
    assert set(MATRIX["web"]) == routes()
    assert set(MATRIX["cli"]) == commands()
    assert set(WEB) == routes() and set(CLI) | NOT_RUN == commands()


def test_commands_without_as_are_the_operators_and_take_no_acting_user():
    """A command not bound to a user is the operator's (who holds the database URL): its entry has only
    an `operator` cell; a command that reads or changes client data takes --as."""
    for name, entry in MATRIX["cli"].items():
        cmd = main
        for part in name.split():
            cmd = cmd.commands[part]
        takes_as = any("--as" in p.opts for p in cmd.params)
        assert takes_as == ("own" in entry), name


class Web:
    """One entry's cells: a browser per user (logged in once), objects made fresh where asked."""

    def __init__(self, app, polku, db_engine, fresh_browsers: bool):
        self.app, self.polku, self.db_engine, self.fresh = app, polku, db_engine, fresh_browsers
        self._browsers: dict[str | None, Browser] = {}
        self._shared: Objects | None = None

    def browser(self, username: str | None) -> Browser:
        if self.fresh or username not in self._browsers:
            b = Browser(self.app)
            b.username = username  # for the routes that take credentials, not the session (/engine-rest)
            self._browsers[username] = b.login(username) if username else b
        return self._browsers[username]

    @property
    def shared(self) -> Objects:
        if self._shared is None:
            self._shared = new_case(self.polku)
        return self._shared

    def case(self, claimed_by: str | None = None) -> Objects:
        return new_case(self.polku, claimed_by)

    def suspended(self) -> int:
        made = self.case()
        self.polku("suspend", made.case, "--as", "boss", "--reason", "test")
        return made.case


def _in_case(b, made: Objects, action: str, form: dict):
    return b.post(f"/instances/{made.case}/tasks/{made.task}/{action}", form)


def _bulk(w, b):
    """The confirmation page of a suspension of the list's cases: the own area has one (w.shared)."""
    assert w.shared
    return b.post("/instances/bulk", {"action": "suspend", "reason": "test"})


_addresses = iter(range(1, 255))
def _rest(b, method: str, path: str, **kwargs):
    """/engine-rest with the user's own credentials (Basic), as Camunda Modeler calls it."""
    token = base64.b64encode(f"{b.username}:{PASSWORD}".encode()).decode()
    headers = {"Authorization": f"Basic {token}"} if b.username else {}
    return b.client.open(path, method=method, headers=headers, base_url="https://localhost", **kwargs)


def _modeler_deploy(w, b):
    diagram = (Path(Cli.processes) / "tyohonvalmennus.bpmn").read_bytes()
    return _rest(b, "POST", "/engine-rest/deployment/create", content_type="multipart/form-data",
                 data={"deployment-name": "t", "tyohonvalmennus.bpmn": (io.BytesIO(diagram), "tyohonvalmennus.bpmn")})


def _web_deploy(w, b):
    """The processes page's upload form: the deployed diagram again (unchanged: nothing stored)."""
    diagram = (Path(Cli.processes) / "tyohonvalmennus.bpmn").read_bytes()
    return b.post("/definitions", {"action": "deploy", "files": (io.BytesIO(diagram), "tyohonvalmennus.bpmn")},
                  content_type="multipart/form-data")


WEB = {
    "GET /definitions": lambda w, b: b.get("/definitions"),
    "GET /definitions/<key>": lambda w, b: b.get("/definitions/tyohonvalmennus"),
    "POST /definitions": _web_deploy,
    "GET /definitions/<key>/migrate": lambda w, b: b.get("/definitions/tyohonvalmennus/migrate"),
    "POST /definitions/<key>/migrate": lambda w, b: b.post("/definitions/tyohonvalmennus/migrate",
                                                           {"to": "1", "scope": "all"}),
    "GET /engine-rest/version": lambda w, b: _rest(b, "GET", "/engine-rest/version"),
    "GET /engine-rest/deployment": lambda w, b: _rest(b, "GET", "/engine-rest/deployment?maxResults=0"),
    "POST /engine-rest/deployment/create": _modeler_deploy,
    "POST /engine-rest/process-definition/<definition_id>/start": lambda w, b: _rest(
        b, "POST", "/engine-rest/process-definition/tyohonvalmennus:1/start",
        json={"variables": {k: {"value": v, "type": "Boolean" if isinstance(v, bool) else "String"}
                            for k, v in referral(client_hetu=fresh_hetu()).items()}}),
    "GET /": lambda w, b: b.get("/"),
    "GET /tasks": lambda w, b: b.get("/tasks"),
    "GET /cases": lambda w, b: b.get("/cases"),
    "GET /audit/anomalies": lambda w, b: b.get("/audit/anomalies"),
    "GET /dashboard": lambda w, b: b.get("/dashboard"),
    "GET /instances": lambda w, b: b.get("/instances"),
    "GET /instances.csv": lambda w, b: b.get("/instances.csv"),
    "POST /instances/bulk": lambda w, b: _bulk(w, b),
    "POST /instances/bulk/confirm": lambda w, b: b.post("/instances/bulk/confirm", {
        "action": "suspend", "reason": "test", "instance": str(w.case().case)}),
    "GET /admin/sessions": lambda w, b: b.get("/admin/sessions"),
    "POST /admin/sessions/end": lambda w, b: b.post("/admin/sessions/end", {"username": "coach3"}),
    "POST /admin/sessions/end-all": lambda w, b: b.post("/admin/sessions/end-all", {"confirm": "yes"}),
    "GET /notices": lambda w, b: b.get("/notices"),
    "GET /healthz": lambda w, b: b.get("/healthz"),
    "GET /login": lambda w, b: b.get("/login"),
    # Each cell from its own address: the address throttle (429 after ten failures) is not what a
    # cell is about (tests/web/test_login_throttle.py is).
    "POST /login": lambda w, b: b.post("/login", {"username": "off1", "password": "wrong"},
                                       environ_base={"REMOTE_ADDR": f"198.51.100.{next(_addresses)}"}),
    "POST /logout": lambda w, b: b.post("/logout"),
    "POST /language": lambda w, b: b.post("/language", {"locale": "en", "next": "/tasks"}),
    "GET /static/<path:filename>": lambda w, b: b.get("/static/polku.css"),
    "GET /cases/<int:instance_id>": lambda w, b: b.get(f"/cases/{w.shared.case}"),
    "GET /cases/<int:instance_id>/access-log": lambda w, b: b.get(f"/cases/{w.shared.case}/access-log"),
    "GET /instances/<int:instance_id>": lambda w, b: b.get(f"/instances/{w.shared.case}"),
    "POST /instances/<int:instance_id>/suspend":
        lambda w, b: b.post(f"/instances/{w.case().case}/suspend", {"reason": "test"}),
    "POST /instances/<int:instance_id>/resume":
        lambda w, b: b.post(f"/instances/{w.suspended()}/resume", {"reason": "test"}),
    "POST /instances/<int:instance_id>/terminate":
        lambda w, b: b.post(f"/instances/{w.case().case}/terminate", {"reason": "test", "confirm": "yes"}),
    "POST /instances/<int:instance_id>/retry":
        lambda w, b: b.post(f"/instances/{w.shared.case}/retry", {"reason": "test"}),
    "POST /instances/<int:instance_id>/tasks/<task:task_id>/assign":
        lambda w, b: _in_case(b, w.case(), "assign", {"assignee": "coach3", "reason": "test"}),
    "POST /instances/<int:instance_id>/tasks/<task:task_id>/due":
        lambda w, b: _in_case(b, w.case(), "due", {"due": "2026-02-02", "reason": "test"}),
    "GET /cases/<int:instance_id>/statement": lambda w, b: b.get(f"/cases/{w.shared.case}/statement"),
    "GET /tasks/<task:task_id>": lambda w, b: b.get(f"/tasks/{w.shared.task}"),
    "POST /tasks/<task:task_id>": lambda w, b: b.post(f"/tasks/{w.case().task}", {"actual_start": "2026-01-05"}),
    "POST /tasks/<task:task_id>/claim": lambda w, b: b.post(f"/tasks/{w.case().task}/claim"),
    "POST /tasks/<task:task_id>/unclaim": lambda w, b: b.post(f"/tasks/{w.case('coach3').task}/unclaim"),
    "POST /tasks/<task:task_id>/take-over": lambda w, b: b.post(f"/tasks/{w.case('coach3').task}/take-over"),
    "POST /notices/<int:notice_id>/acknowledge":
        lambda w, b: b.post(f"/notices/{new_notice(w.polku, w.db_engine)}/acknowledge"),
    "POST /tasks/filters": lambda w, b: b.post("/tasks/filters", {"name": "mine", "scope": "mine"}),
    "POST /tasks/filters/<int:filter_id>/delete":
        lambda w, b: b.post(f"/tasks/filters/{saved_filter(w.browser, w.db_engine)}/delete"),
    "GET /heatmap": lambda w, b: b.get("/heatmap"),
    "GET /referrals/new": lambda w, b: b.get("/referrals/new"),
    "POST /referrals/new": lambda w, b: b.post("/referrals/new", {"client_name": "Testi"}),
}


@pytest.mark.parametrize("key", sorted(MATRIX["web"]))
def test_web_entry(key, authz, browser, web_app, db_engine, monkeypatch):
    monkeypatch.setenv("POLKU_NOW", "2026-01-05T09:00:00+00:00")
    w = Web(web_app, authz, db_engine, fresh_browsers=key in ("POST /logout", "POST /login",
                                                                          "POST /admin/sessions/end-all"))
    observed, expected = {}, {}
    for side, role, want in cells(MATRIX["web"][key]):
        username = USERS[side][role] if role else None
        response = WEB[key](w, w.browser(username))
        response.close()  # a static file is streamed from an open file
        observed[side, role] = response.status_code
        expected[side, role] = want
    if SHOW:
        with open(SHOW, "a", encoding="utf-8") as out:
            out.write(json.dumps([key, {f"{s}.{r}": v for (s, r), v in observed.items()}]) + "\n")
    assert observed == expected


def _task(p, claimed_by=None):
    return p.case(claimed_by).task


def _api_token(p) -> int:
    """A fresh token for each cell: revoking one twice is a conflict, not what the cell is about."""
    return p.polku.json("token", "create", "--user", "designer1", "--name", f"t{p.n}")["id"]


CLI = {
    "init-db": lambda p, who: ["init-db"],
    "definitions": lambda p, who: ["definitions", "--json"],
    "check": lambda p, who: ["check", p.processes, "--json"],
    "diff": lambda p, who: ["diff", "tyohonvalmennus", "--json"],
    "test": lambda p, who: ["test", str(Path(p.processes) / "scenarios" / "provider_follow_up.yaml"), "--json"],
    "migrate": lambda p, who: ["migrate", "tyohonvalmennus", "--dry-run", *who, "--json"],
    "instances": lambda p, who: ["instances", "--json"],
    "worker": lambda p, who: ["worker", "--once"],
    "purge": lambda p, who: ["purge", "--json"],
    "deploy": lambda p, who: ["deploy", p.processes, *who, "--json"],
    "user add": lambda p, who: ["user", "add", f"new{p.n}", "--role", "coach", *who, "--json"],
    "start": lambda p, who: ["start", "tyohonvalmennus", *who, "--json", "--data",
                             json.dumps(referral(client_hetu=fresh_hetu()))],
    "tasks": lambda p, who: ["tasks", *who, "--json"],
    "show": lambda p, who: ["show", p.shared.case, *who, "--json"],
    "claim": lambda p, who: ["claim", _task(p), *who, "--json"],
    "unclaim": lambda p, who: ["unclaim", _task(p, "coach3"), *who, "--json"],
    "take-over": lambda p, who: ["take-over", _task(p, "coach3"), *who, "--json"],
    "assign": lambda p, who: ["assign", _task(p), "--to", "coach3", *who, "--json"],
    "set-due": lambda p, who: ["set-due", _task(p), "--due", "2026-02-02", "--reason", "test", *who, "--json"],
    "complete": lambda p, who: ["complete", _task(p), *who, "--json", "--data", '{"actual_start": "2026-01-05"}'],
    "suspend": lambda p, who: ["suspend", p.case().case, *who, "--json"],
    "resume": lambda p, who: ["resume", p.suspended(), *who, "--json"],
    "terminate": lambda p, who: ["terminate", p.case().case, *who, "--reason", "test", "--json"],
    "retry": lambda p, who: ["retry", p.case().case, *who, "--json"],
    "audit verify": lambda p, who: ["audit", "verify", "--json"],
    "audit client": lambda p, who: ["audit", "client", HETU, *who, "--json"],
    "audit anomalies": lambda p, who: ["audit", "anomalies", *who, "--json"],
    "user set-password": lambda p, who: ["user", "set-password", "coach3", "--password-stdin", *who, "--json"],
    "user end-sessions": lambda p, who: ["user", "end-sessions", "coach3", *who, "--json"],
    "token create": lambda p, who: ["token", "create", "--user", "designer1", "--name", f"t{p.n}", *who, "--json"],
    "token list": lambda p, who: ["token", "list", *who, "--json"],
    "token revoke": lambda p, who: ["token", "revoke", _api_token(p), *who, "--json"],
}
STDIN = {"user set-password": PASSWORD + "\n"}  # the same password again: other cells still log in
# Not run here: each would start a long-running server or fill a database with demo data. Both are
# the operator's (no --as: the test above checks it) and neither reads client data for a user.
NOT_RUN = {"serve", "demo", "seed"}  # seed runs demo first; tests/integration/test_seed.py


class Cli(Web):
    n = 0
    processes = str(__import__("tests.scenarios.conftest", fromlist=["PROCESSES"]).PROCESSES)


@pytest.mark.parametrize("name", sorted(set(MATRIX["cli"]) - NOT_RUN))
def test_cli_entry(name, authz, db_engine):
    p = Cli(None, authz, db_engine, fresh_browsers=False)
    observed, expected = {}, {}
    for side, role, want in cells(MATRIX["cli"][name]):
        Cli.n += 1
        who = ["--as", USERS[side][role]] if role else []
        result = authz(*CLI[name](p, who), ok=False, input=STDIN.get(name))
        outcome = "ok" if result.exit_code == 0 else (result.json or {}).get("code", result.exit_code) \
            if result.stdout.strip().startswith("{") else result.exit_code
        observed[side, role] = outcome
        expected[side, role] = want
    if SHOW:
        with open(SHOW, "a", encoding="utf-8") as out:
            out.write(json.dumps([name, {f"{s}.{r}": v for (s, r), v in observed.items()}]) + "\n")
    assert observed == expected


def test_a_refused_claim_changes_nothing(authz, db_engine):
    made = new_case(authz)
    authz.refused("claim", made.task, "--as", "designer1")
    assert assignee(db_engine, made.task) is None
