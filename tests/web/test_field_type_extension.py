"""Adding a form field type is one class and one registration: a test-only "postcode" type,
registered on a runtime, converts, shows its widget on the task page, parses the posted form and
shows its own messages in the user's language (from its own catalog, merged into the app's)."""
from __future__ import annotations

import re

import lxml.html
import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from sqlalchemy import select, update

from polku.engine import deploy, instances
from polku.engine.accounts import hash_password
from polku.engine.bundle import BundleFile
from polku.engine.clock import FixedClock, parse_instant
from polku.engine.db import UnitOfWork
from polku.engine.errors import DeployFailed
from polku.engine.fieldtypes import N_, FieldType, Invalid, Widget, field_attrs
from polku.engine.models import HumanTask, User
from polku.web import create_app
from polku.wiring import build_runtime
from tests.conftest import T0
from tests.web.conftest import PASSWORD, Browser


class PostcodeType(FieldType):
    """A Finnish postcode: five digits."""
    invalid = N_("Enter a postcode of five digits.")

    def convert(self, raw):
        text = raw.strip() if isinstance(raw, str) else ""
        if text.isascii() and text.isdigit() and len(text) != 5:
            raise Invalid(N_("A postcode has %(digits)s digits, not %(given)s."), digits=5, given=len(text))
        if not re.fullmatch(r"[0-9]{5}", text):
            raise ValueError("must be five digits")
        return text

    def widget(self, field, *, data, loaded):
        return Widget("text", field_attrs(field, inputmode="numeric", autocomplete="postal-code", maxlength="5"))


BPMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://polku.test/postcode">
  <bpmn:process id="postcodes" name="Postcodes" isExecutable="true">
    <bpmn:startEvent id="begin"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="address" name="Address" camunda:candidateGroups="official">
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="postcode" label="Postinumero" type="postcode">
            <camunda:validation><camunda:constraint name="required" /></camunda:validation>
          </camunda:formField>
        </camunda:formData>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="begin" targetRef="address" />
    <bpmn:sequenceFlow id="f2" sourceRef="address" targetRef="done" />
  </bpmn:process>
</bpmn:definitions>
"""
# The type's own translations, as a project adding it would ship them beside the app's catalog.
FINNISH = {"Enter a postcode of five digits.": "Kirjoita viisinumeroinen postinumero.",
           "A postcode has %(digits)s digits, not %(given)s.": "Postinumerossa on %(digits)s numeroa, ei %(given)s."}


@pytest.fixture
def runtime():
    runtime = build_runtime()
    runtime.field_types.register(PostcodeType("postcode"))  # the one registration
    return runtime


@pytest.fixture
def catalog_dir(tmp_path):
    catalog = Catalog(locale="fi")
    for msgid, text in FINNISH.items():
        catalog.add(msgid, text)
    folder = tmp_path / "fi" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.mo").open("wb") as handle:
        write_mo(handle, catalog)
    return tmp_path


@pytest.fixture
def task_id(make_user, db_engine, runtime):
    make_user("designer1", "designer")
    make_user("off1", "official")
    with db_engine.begin() as conn:
        conn.execute(update(User).values(password_hash=hash_password(PASSWORD)))
    with UnitOfWork(db_engine, FixedClock(parse_instant(T0))) as uow:
        deploy.deploy(uow, runtime, "designer1", [BundleFile("postcode.bpmn", BPMN)])
        instance = instances.start(uow, runtime, "off1", "postcodes", {})
        uow.commit()
    with UnitOfWork(db_engine, FixedClock(parse_instant(T0))) as uow:
        return uow.session.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance.id))


@pytest.fixture
def app(database_url, runtime, catalog_dir):
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "test-secret",
                      "BABEL_TRANSLATION_DIRECTORIES": f"translations;{catalog_dir}"}, runtime=runtime)
    yield app
    app.extensions["polku"]["engine"].dispose()


def page(response, status):
    assert response.status_code == status, response.get_data(as_text=True)[-1500:]
    return lxml.html.fromstring(response.get_data(as_text=True))


def test_the_deploy_refuses_the_type_where_it_is_not_registered(make_user, uow_factory):
    make_user("designer1", "designer")
    with uow_factory() as uow, pytest.raises(DeployFailed, match="unknown type .postcode."):
        deploy.deploy(uow, build_runtime(), "designer1", [BundleFile("postcode.bpmn", BPMN)])


def test_the_type_converts_where_it_is_registered(runtime):
    from polku.engine.forms import FormValidationError, validate_submission

    fields = [{"id": "p", "type": "postcode", "required": True, "constraints": {}}]
    assert validate_submission(fields, {"p": " 00100 "}, runtime.field_types) == {"p": "00100"}
    with pytest.raises(FormValidationError) as info:
        validate_submission(fields, {"p": "123"}, runtime.field_types)
    assert info.value.as_dict() == {"p": "A postcode has 5 digits, not 3."}


def test_a_new_type_is_shown_parsed_and_explained_in_the_users_language(app, task_id, runtime):
    b = Browser(app).login("off1")  # Finnish, the default
    form = page(b.get(f"/tasks/{task_id}"), 200)
    [field] = form.xpath('//input[@id="field-postcode"]')
    assert (field.get("name"), field.get("inputmode"), field.get("autocomplete"), field.get("maxlength"),
            field.get("required")) == ("postcode", "numeric", "postal-code", "5", "required")
    assert form.xpath('//label[@for="field-postcode"]')[0].text_content().startswith("Postinumero")

    # Its own message with parameters, then its general one: translated, linked from the summary.
    form = page(b.post(f"/tasks/{task_id}", {"postcode": "123"}), 400)
    assert form.xpath('//*[@id="field-postcode-error"]')[0].text_content().split(None, 1)[1] == \
        "Postinumerossa on 5 numeroa, ei 3."
    assert form.xpath('//div[@class="error-summary"]//a/@href') == ["#field-postcode"]
    assert form.xpath('//input[@id="field-postcode"]/@value') == ["123"]
    form = page(b.post(f"/tasks/{task_id}", {"postcode": "Helsinki"}), 400)
    assert "Kirjoita viisinumeroinen postinumero." in form.xpath('//*[@id="field-postcode-error"]')[0].text_content()
    assert form.xpath('//input[@id="field-postcode"]/@aria-invalid') == ["true"]

    assert b.post(f"/tasks/{task_id}", {"postcode": " 00100 "}).status_code == 302
    with UnitOfWork(app.extensions["polku"]["engine"], FixedClock(parse_instant(T0))) as uow:
        from polku.engine import queries

        instance_id = uow.session.scalar(select(HumanTask.instance_id).where(HumanTask.id == task_id))
        case = queries.show(uow, runtime, instance_id, "off1")
    assert (case["status"], case["data"]["postcode"]) == ("completed", "00100")
