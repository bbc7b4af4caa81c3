"""Deploy from the web (web.definitions.upload, issue 11): the processes page's upload form checks
one or several .bpmn/.dmn files (a report, nothing stored) or deploys them when no error remains; the
report names file, line, element, problem and fix in the designer's language; bad uploads are the
field's error and change nothing; designers and admins only, CSRF as on every POST."""
from __future__ import annotations

import io

import lxml.html
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from polku.engine.models import AuditEvent, ProcessDefinition
from tests.integration.test_design_checks import bpmn
from tests.scenarios.conftest import PROCESSES
from tests.web.conftest import PASSWORD

DIAGRAM = (PROCESSES / "tyohonvalmennus.bpmn").read_bytes()
CHANGED = DIAGRAM.replace(b'name="Valmennusjakso"', b'name="Valmennusjakso (uusi)"')


def in_language(b, locale: str):
    assert b.post("/language", {"locale": locale, "next": "/tasks"}).status_code == 302
    return b


def post(b, action: str | None, *files: tuple[str, bytes], token: bool = True):
    data: dict = {"files": [(io.BytesIO(content), name) for name, content in files]}
    if action is not None:
        data["action"] = action
    if token:
        b.get("/definitions")  # the page's token
    return b.post("/definitions", data, token=token, content_type="multipart/form-data")


def doc(response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.get_data(as_text=True))


def report_rows(response) -> list[dict[str, str]]:
    page = doc(response)
    heads = [th.text_content().strip() for th in page.xpath("//table[@id='report-table']/thead//th")]
    return [dict(zip(heads, (c.text_content().strip() for c in row.xpath("./th|./td")), strict=True))
            for row in page.xpath("//table[@id='report-table']/tbody/tr")]


def field_error(response) -> str:
    [error] = doc(response).xpath("//p[@id='upload-files-error']")
    return error.text_content().strip()


def versions(db_engine, key: str) -> list[tuple[int, str]]:
    with Session(db_engine) as s:
        return [tuple(r) for r in s.execute(select(ProcessDefinition.version, ProcessDefinition.source)
                                            .where(ProcessDefinition.key == key).order_by(ProcessDefinition.version))]


def deploys(db_engine) -> int:
    with Session(db_engine) as s:
        return len(s.scalars(select(AuditEvent.id).where(AuditEvent.action == "deploy")).all())


def test_the_page_has_the_upload_form(browser):
    page = doc(browser("designer1").get("/definitions"))
    [form] = page.xpath("//form[@id='upload-form']")
    assert form.get("enctype") == "multipart/form-data" and form.xpath(".//input[@name='csrf_token']")
    [field] = form.xpath(".//input[@type='file']")
    assert (field.get("name"), field.get("accept"), field.get("multiple")) == ("files", ".bpmn,.dmn", "multiple")
    assert form.xpath(".//button[@name='action']/@value") == ["check", "deploy"]


def test_check_shows_the_report_and_deploys_nothing(browser, db_engine):
    before = deploys(db_engine)
    response = post(browser("designer1"), "check", ("tyohonvalmennus.bpmn", CHANGED))
    assert response.status_code == 200
    assert versions(db_engine, "tyohonvalmennus") == [(1, "cli")]
    assert deploys(db_engine) == before
    summary = doc(response).xpath("//p[@id='report-summary']")[0].text_content()
    assert "tyohonvalmennus.bpmn" in summary
    assert all(r["Vakavuus"] == "Varoitus" for r in report_rows(response))  # Finnish by default: warnings only


def test_deploy_makes_the_next_version_from_the_web_and_confirms_it(browser, db_engine):
    b = browser("designer1")
    response = post(b, "deploy", ("tyohonvalmennus.bpmn", CHANGED))
    assert response.status_code == 302 and response.headers["Location"] == "/definitions/tyohonvalmennus"
    assert versions(db_engine, "tyohonvalmennus") == [(1, "cli"), (2, "web")]
    with Session(db_engine) as s:
        details = s.scalars(select(AuditEvent.details).where(AuditEvent.action == "deploy")
                            .order_by(AuditEvent.id.desc())).first()
        sources = s.scalar(select(ProcessDefinition.sources).where(ProcessDefinition.version == 2))
    assert details["source"] == "web" and details["files"][0] == "tyohonvalmennus.bpmn"
    assert "referral_eligibility.dmn" in sources  # the deployed decisions travel with the diagram
    notices = [n.text_content() for n in doc(b.get("/definitions/tyohonvalmennus")).xpath("//div[@role='status']")]
    # The process by its label in the reader's language, the key beside it.
    assert any("Työhönvalmennus (tyohonvalmennus): versio 2 otettiin käyttöön." in n for n in notices), notices


def test_the_same_bytes_say_nothing_changed(browser, db_engine):
    b = in_language(browser("designer1"), "sv")
    response = post(b, "deploy", ("tyohonvalmennus.bpmn", DIAGRAM))
    assert response.status_code == 302
    assert versions(db_engine, "tyohonvalmennus") == [(1, "cli")]
    page = doc(b.get(response.headers["Location"]))
    notices = " ".join(n.text_content() for n in page.xpath("//div[@role='status']"))
    assert "Arbetsträning (tyohonvalmennus): ingenting ändrades" in notices and "version 1" in notices


@pytest.mark.parametrize("locale,expected", [
    ("fi", {"Vakavuus": "Virhe", "Tiedosto": "bad.bpmn", "Rivi": "8", "Elementti": "review",
            "Ongelma": "käyttäjätehtävällä 'review'", "Korjaus": "camunda:candidateGroups"}),
    ("sv", {"Allvarlighet": "Fel", "Fil": "bad.bpmn", "Rad": "8", "Element": "review",
            "Problem": "användaruppgiften 'review'", "Åtgärd": "camunda:candidateGroups"}),
])
def test_a_file_with_an_error_deploys_nothing_and_the_report_is_in_the_language(browser, db_engine, locale, expected):
    b = in_language(browser("designer1"), locale)
    response = post(b, "deploy", ("bad.bpmn", bpmn(groups=None).encode()))
    assert response.status_code == 400
    assert versions(db_engine, "checked") == []
    [row] = [r for r in report_rows(response) if r[list(expected)[0]] == expected[list(expected)[0]]]
    for column, text in expected.items():
        assert text in row[column], (column, row)
    page = doc(response)
    assert page.xpath("//section[@id='report']//p[@id='report-summary']")


@pytest.mark.parametrize("locale, undrawn, expected", [
    ("en", ("back",), "The files had 1 warning: check them again to see it."),
    ("en", ("back", "done"), "The files had 2 warnings: check them again to see the list."),
    ("fi", ("back",), "Tiedostoissa oli 1 varoitus"),
    ("fi", ("back", "done"), "Tiedostoissa oli 2 varoitusta"),
    ("sv", ("back",), "Filerna hade 1 varning:"),
    ("sv", ("back", "done"), "Filerna hade 2 varningar:"),
])
def test_warnings_do_not_stop_a_deploy(browser, db_engine, locale, undrawn, expected):
    b = in_language(browser("designer1"), locale)
    response = post(b, "deploy", ("warned.bpmn", bpmn(undrawn=undrawn).encode()))
    assert response.status_code == 302, report_rows(response)
    assert versions(db_engine, "checked") == [(1, "web")]
    notices = [n.text_content() for n in doc(b.get(response.headers["Location"])).xpath("//div[@role='status']")]
    assert any(expected in n for n in notices), notices
    assert any("Checked (checked)" in n for n in notices), notices  # no catalog for it: the name in the file


def test_a_check_of_a_clean_file_says_it_can_be_deployed(browser, db_engine):
    b = in_language(browser("designer1"), "sv")
    response = post(b, "check", ("clean.bpmn", bpmn().encode()))
    assert response.status_code == 200 and not report_rows(response)
    assert "kan driftsättas" in doc(response).xpath("//p[@id='report-summary']")[0].text_content()
    assert versions(db_engine, "checked") == []


@pytest.mark.parametrize("files,expected", [
    ((), "Valitse yksi tai useampi .bpmn- tai .dmn-tiedosto."),
    ((("notes.txt", b"<x/>"),), "notes.txt ei ole .bpmn- tai .dmn-tiedosto"),
    ((("empty.bpmn", b"  \n"),), "empty.bpmn on tyhjä."),
    ((("latin.bpmn", bpmn().replace("Review", "Käsittely").encode("latin-1")),), "latin.bpmn ei ole UTF-8-"),
    ((("a.bpmn", bpmn().encode()), ("a.bpmn", bpmn().encode())), "Kaksi tiedostoa on nimeltään a.bpmn"),
])
def test_a_bad_upload_is_the_field_error_and_nothing_else(browser, db_engine, files, expected):
    before = deploys(db_engine)
    response = post(browser("designer1"), "deploy", *files)
    assert response.status_code == 400
    assert expected in field_error(response)
    page = doc(response)
    assert page.xpath("//input[@id='upload-files']/@aria-invalid") == ["true"]
    assert page.xpath("//div[@class='error-summary']//a/@href") == ["#upload-files"]
    assert not page.xpath("//section[@id='report']")
    assert deploys(db_engine) == before and versions(db_engine, "checked") == []


def test_files_over_the_request_limit_are_the_field_error(browser, web_app, db_engine):
    # A smaller limit than the default 1 MiB: the test client spools a body over 500 kB to a file it never closes.
    web_app.config["MAX_CONTENT_LENGTH"] = limit = 100 * 1024
    response = post(browser("designer1"), "check", ("big.bpmn", b"<x/>" + b" " * limit))
    assert response.status_code == 413
    assert "liian suuria" in field_error(response) and str(limit // 1024) in field_error(response)


def test_no_action_is_refused(browser, db_engine):
    response = post(browser("designer1"), None, ("tyohonvalmennus.bpmn", CHANGED))
    assert response.status_code == 400 and versions(db_engine, "tyohonvalmennus") == [(1, "cli")]


def test_without_the_csrf_token_nothing_is_deployed(browser, db_engine):
    response = post(browser("designer1"), "deploy", ("tyohonvalmennus.bpmn", CHANGED), token=False)
    assert response.status_code == 400
    assert versions(db_engine, "tyohonvalmennus") == [(1, "cli")]


@pytest.mark.parametrize("user", ["off1", "coach1", "boss"])
def test_anyone_but_a_designer_or_admin_gets_the_404_page(browser, db_engine, user):
    response = post(browser(user), "deploy", ("tyohonvalmennus.bpmn", CHANGED))
    assert response.status_code == 404
    assert versions(db_engine, "tyohonvalmennus") == [(1, "cli")]


def test_an_admin_may_deploy(browser, make_user, polku, db_engine):
    make_user("admin1", "admin")
    polku("user", "set-password", "admin1", "--password-stdin", input=PASSWORD + "\n")
    assert post(browser("admin1"), "deploy", ("tyohonvalmennus.bpmn", CHANGED)).status_code == 302
    assert versions(db_engine, "tyohonvalmennus") == [(1, "cli"), (2, "web")]
