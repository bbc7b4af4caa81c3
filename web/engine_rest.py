"""The part of Camunda 7's REST API that Camunda Modeler's Deploy and Start buttons call
(``../shared/modeler-contract.md``), under ``/engine-rest``: a designer deploys from the modeler
they draw in, by typing this server's ``…/engine-rest`` as the endpoint.

- ``GET /version``: the Camunda 7 version whose features the Modeler may offer;
- ``GET /deployment``: the Modeler's connection check (only the status is read);
- ``POST /deployment/create``: multipart, the open diagram and its attachments as file parts.
  The same bytes again make no new version (Polku's "unchanged": duplicate filtering, always).
  Decisions the diagram references and the request does not carry are the latest deployed ones;
- ``POST /process-definition/<key>:<version>/start``: Camunda's typed variables.

Each request authenticates itself (HTTP Basic with the user's password, or `Bearer` with a token
from `polku token create`; no session cookie is read, so no cross-site request can borrow a
browser's login) and must be a designer's or an admin's: 401 otherwise, or 403 for another role.
A success is audited once in a while, a failure every time (engine.api_tokens says why). Answers
are JSON; a refusal has Camunda's ``type`` and ``message`` (the one text the Modeler shows the
designer: every problem with its file, line, element and fix, one per line) and Polku's
``details`` (the same problems as objects).
"""
from __future__ import annotations

import base64
import binascii
import hashlib

from flask import Blueprint, g, jsonify, request

from polku.engine import api_tokens, instances, queries
from polku.engine import deploy as deploy_mod
from polku.engine.access import ADMIN, Facts, HasRole
from polku.engine.accounts import LoginFailed
from polku.engine.api_tokens import TokenRejected
from polku.engine.bundle import BundleFile
from polku.engine.errors import DeployFailed, Forbidden, NotFound, PolkuError, ValidationFailed
from polku.engine.fieldtypes import has_unstorable_text
from polku.engine.throttle import Throttled

from .context import client_address, runtime, unit_of_work

bp = Blueprint("engine_rest", __name__, url_prefix="/engine-rest")
CAMUNDA_VERSION = "7.23.0"  # the Camunda 7 release whose Deploy dialog this answers like
DEPLOYERS = ADMIN | HasRole("designer")
SOURCE = "Camunda Modeler"
# Camunda's variable types and the JSON values they hold.
TYPES = {"String": str, "Integer": int, "Long": int, "Short": int, "Double": (int, float), "Boolean": bool}


def _refusal(status: int, kind: str, message: str, details: list | None = None):
    body: dict = {"type": kind, "message": message}
    if details is not None:
        body["details"] = details
    return jsonify(body), status


@bp.before_request
def _authenticate():
    """The user of the Authorization header (Basic or Bearer): 401 without one or with a wrong
    password or token; 403 for a user who may not deploy."""
    g.rest_user = None
    scheme, _, credentials = (request.headers.get("Authorization") or "").partition(" ")
    scheme, credentials = scheme.lower(), credentials.strip()
    username = password = ""
    if scheme == "basic":
        try:
            username, _, password = base64.b64decode(credentials, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            pass
    given = bool(username) if scheme == "basic" else scheme == "bearer" and bool(credentials)
    if not given:
        return _refusal(401, "AuthenticationException", "credentials are required (HTTP Basic or a Bearer token)")
    if has_unstorable_text([username, password, credentials]):
        # NUL or a lone surrogate: no user name, password or token holds one, and the database
        # cannot even be asked (PostgreSQL refuses such text): refused before any query.
        return _refusal(401, "AuthenticationException", "the user name or password is not correct")
    with unit_of_work() as uow:
        try:
            if scheme == "bearer":
                user = api_tokens.token_login(uow, credentials, address=client_address())
            else:
                user = api_tokens.password_login(uow, username, password, address=client_address())
        except Throttled as refused:
            uow.commit()
            response, status = _refusal(429, "AuthenticationException", str(refused))
            response.headers["Retry-After"] = str(refused.retry_after)
            return response, status
        except TokenRejected as rejected:
            uow.commit()  # the failure is counted and audited
            return _refusal(401, "AuthenticationException", str(rejected))
        except LoginFailed:
            uow.commit()
            return _refusal(401, "AuthenticationException", "the user name or password is not correct")
        uow.commit()
    if not DEPLOYERS.allows(user, Facts()):
        return _refusal(403, "AuthorizationException", f"{user.username} may not deploy: a designer's task")
    g.rest_user = user.username
    return None


@bp.get("/version")
def version():
    return jsonify({"version": CAMUNDA_VERSION})


@bp.get("/deployment")
def deployments():
    return jsonify([])  # the connection check reads the status only


@bp.post("/deployment/create")
def create_deployment():
    name = (request.form.get("deployment-name") or "").strip()[:200]
    files = [BundleFile(upload.filename or field, upload.read())
             for field, upload in request.files.items(multi=True)]
    if not files:
        return _refusal(400, "InvalidRequestException", "the request carries no file")
    unsupported = [f.name for f in files if not f.name.endswith((".bpmn", ".dmn"))]
    if unsupported:
        return _refusal(400, "InvalidRequestException", f"only .bpmn and .dmn files are deployed, not: "
                        f"{', '.join(unsupported)} (forms are camunda:formData in the diagram)")
    # enable-duplicate-filtering is how Polku always deploys: the same bytes make no new version.
    with unit_of_work() as uow:
        try:
            results = deploy_mod.deploy(uow, runtime(), g.rest_user, deploy_mod.with_deployed_decisions(uow, files),
                                        source="modeler")
        except DeployFailed as exc:
            return _refusal(400, "ParseException", "ENGINE-09005 Could not parse BPMN process. Errors:\n"
                            + "\n".join(p.reported(" ") for p in exc.problems), [p.to_dict() for p in exc.problems])
        except PolkuError as exc:
            return _refusal(403 if isinstance(exc, Forbidden) else 400, type(exc).__name__, str(exc))
        uow.commit()
        names = {(d["key"], d["version"]): d["name"] for d in queries.definitions(uow)}
    deployment_id = hashlib.sha256(b"".join(f.name.encode() + b"\0" + f.data for f in files)).hexdigest()[:32]
    new = [r for r in results if r.status == "new"]
    return jsonify({
        "id": deployment_id, "name": name or None, "source": request.form.get("deployment-source") or SOURCE,
        "deploymentTime": uow.now.isoformat(timespec="milliseconds"), "tenantId": None, "links": [],
        # Camunda answers null when duplicate filtering left nothing to deploy.
        "deployedProcessDefinitions": {f"{r.key}:{r.version}": {
            "id": f"{r.key}:{r.version}", "key": r.key, "version": r.version, "deploymentId": deployment_id,
            "name": names.get((r.key, r.version)), "suspended": False, "tenantId": None, "versionTag": None,
        } for r in new} or None,
        "deployedCaseDefinitions": None, "deployedDecisionDefinitions": None,
        "deployedDecisionRequirementsDefinitions": None,
    })


@bp.post("/process-definition/<definition_id>/start")
def start_instance(definition_id: str):
    key, _, number = definition_id.rpartition(":")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _refusal(400, "InvalidRequestException", "the body must be a JSON object")
    try:
        data = _variables(body.get("variables") or {})
    except ValueError as exc:
        return _refusal(400, "InvalidRequestException", str(exc))
    business_key = body.get("businessKey")
    with unit_of_work() as uow:
        try:
            latest = deploy_mod.latest_version(uow, key)
            if not number.isdigit() or latest is None or int(number) > latest:
                raise NotFound(f"no deployed process definition {definition_id!r}")
            if int(number) != latest:
                raise ValidationFailed(f"{definition_id} is not the latest version ({key}:{latest}): "
                                       "new instances start on the latest", {})
            started = instances.start(uow, runtime(), g.rest_user, key, data,
                                      business_key=str(business_key) if business_key is not None else None)
        except PolkuError as exc:
            status = 404 if isinstance(exc, NotFound) else 403 if isinstance(exc, Forbidden) else 400
            return _refusal(status, type(exc).__name__, str(exc))
        uow.commit()
    return jsonify({"id": str(started.id), "definitionId": f"{key}:{latest}", "businessKey": business_key,
                    "ended": started.status in ("completed", "terminated"), "suspended": False, "links": []})


def _variables(variables: object) -> dict:
    """Camunda's typed variables ({name: {"value": …, "type": "String"}}) as process data."""
    if not isinstance(variables, dict):
        raise ValueError("variables must be a JSON object")
    data = {}
    for name, typed in variables.items():
        kind = typed.get("type", "String") if isinstance(typed, dict) else None
        value = typed.get("value") if isinstance(typed, dict) else None
        if kind == "Null" or value is None:
            data[name] = None
        elif kind not in TYPES:
            raise ValueError(f"variable {name!r}: type {kind!r} is not one of {', '.join([*TYPES, 'Null'])}")
        elif not isinstance(value, TYPES[kind]) or (kind != "Boolean" and isinstance(value, bool)):
            raise ValueError(f"variable {name!r}: {value!r} is not a {kind}")
        else:
            data[name] = value
    return data
