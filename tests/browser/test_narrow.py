"""The inbox and the case list on a phone (390×844) and at the WCAG reflow width (320 px): no sideways
scrolling, the first row on the first screen, column names on the stacked rows, axe clean.

Screenshots: tests/screenshots/inbox-390-<lang>.png and cases-390-<lang>.png (fi, sv, en)."""
from __future__ import annotations

import pytest

from tests.browser.conftest import SHOTS, User, ui

PHONE = {"width": 390, "height": 844}
COACH, OFFICIAL = "valmentaja1", "virkailija1"
# Valid identity codes, and names long enough to test wrapping.
CLIENTS = [("010280-1026", "Aleksandra Vilhelmiina Korhonen-Kärkkäinen"), ("020280-104W", "Bo Åkerblom"),
           ("030280-106L", "Cecilia Nyström")]


@pytest.fixture
def phone(chromium, live_server, cli):
    """A phone-sized browser on a server with three referrals waiting for the coach."""
    for hetu, name in CLIENTS:
        cli.refer(hetu, name)
    contexts = []

    def make(username: str, lang: str) -> User:
        context = chromium.new_context(locale="fi-FI", viewport=PHONE)
        contexts.append(context)
        user = User(context.new_page(), live_server).login(username)
        return user.language(lang) if lang != "fi" else user

    yield make
    for context in contexts:
        context.close()


def fits(user: User, first_link: str, what: str, width: int = 390, height: int | None = 844) -> list[str]:
    """The page does not scroll sideways, and `first_link` lies wholly within the first screen
    (`height` None: only the width is checked, as for WCAG reflow at 320 px)."""
    page = user.page
    page.set_viewport_size({"width": width, "height": height or 640})
    page.evaluate("window.scrollTo(0, 0)")
    problems = []
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        problems.append(f"{what} at {width} px: the page is {scroll_width} px wide")
    if height is None:
        return problems
    box = page.locator(first_link).bounding_box()
    assert box is not None, f"{what}: {first_link} is not shown"
    if box["y"] < 0 or box["y"] + box["height"] > height or box["x"] + box["width"] > width:
        problems.append(f"{what} at {width}×{height}: the first row's link is at {box}")
    return problems


# The selects of the filters whose options do not fit: the text measured in the select's own font, plus its
# padding, border and the arrow (24 px). All options of a select of UI words; of the process steps (names
# may be long) the chosen one.
CUT_SELECTS = """form => [...form.querySelectorAll('select')].flatMap(select => {
  const style = getComputedStyle(select), ctx = document.createElement('canvas').getContext('2d');
  ctx.font = style.font;
  const room = select.getBoundingClientRect().width - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)
               - parseFloat(style.borderLeftWidth) - parseFloat(style.borderRightWidth) - 24;
  const options = select.id === 'step' ? [select.options[select.selectedIndex]] : [...select.options];
  return options.map(o => [select.id, o.text, Math.ceil(ctx.measureText(o.text).width), Math.floor(room)])
                .filter(([, , needs, room]) => needs > room);
})"""


def cut_selects(user: User, form: str, what: str) -> list[str]:
    cuts = user.page.evaluate(CUT_SELECTS, user.page.locator(form).element_handle())
    return [f"{what}: {select}: {text!r} needs {needs} px of {room}" for select, text, needs, room in cuts]


def stacked_labels(user: User, table: str) -> list[str]:
    """The column names the first stacked row shows before its cells (CSS generated content)."""
    return user.page.evaluate(
        """table => [...document.querySelectorAll(`${table} tbody tr:first-child td[data-label]`)]
                   .map(td => getComputedStyle(td, '::before').content)""", table)


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_inbox_and_case_list_on_a_phone(phone, lang):
    problems: list[str] = []

    coach = phone(COACH, lang).go("/tasks")
    coach.page.wait_for_selector("#inbox-table")
    assert coach.page.locator("#inbox-table tbody tr").count() == len(CLIENTS)
    problems += fits(coach, "#inbox-table tbody tr:first-child th a", f"/tasks ({lang})")
    problems += cut_selects(coach, "#filter-form", f"/tasks filters at 390 px ({lang})")
    # The header row is hidden only visually: the cells keep their column headers for screen readers.
    header = coach.page.locator("#inbox-table thead")
    assert header.count() == 1 and header.evaluate("el => getComputedStyle(el).display") != "none"
    assert header.bounding_box()["height"] <= 1
    assert coach.page.locator("#save-filter-form #filter-name").is_visible()  # after the list
    labels = stacked_labels(coach, "#inbox-table")
    assert any(ui(lang, "Due date") in label for label in labels), labels
    coach.page.set_viewport_size(PHONE)
    coach.shot(f"inbox-390-{lang}")
    problems += coach.violations(f"/tasks at 390 px ({lang})")
    problems += fits(coach, "#inbox-table tbody tr:first-child th a", f"/tasks ({lang})", width=320, height=None)

    official = phone(OFFICIAL, lang).go("/cases")
    official.page.wait_for_selector("#case-table")
    assert official.page.locator("#case-table tbody tr").count() == len(CLIENTS)
    problems += fits(official, "#case-table tbody tr:first-child th a", f"/cases ({lang})")
    labels = stacked_labels(official, "#case-table")
    assert any(ui(lang, "Service provider") in label for label in labels), labels
    official.page.set_viewport_size(PHONE)
    official.shot(f"cases-390-{lang}")
    problems += official.violations(f"/cases at 390 px ({lang})")
    problems += fits(official, "#case-table tbody tr:first-child th a", f"/cases ({lang})", width=320, height=None)

    assert not problems, "\n".join(problems)
    assert (SHOTS / f"inbox-390-{lang}.png").exists() and (SHOTS / f"cases-390-{lang}.png").exists()


def test_the_administrators_sessions_page_on_a_phone(phone):
    """The users' table stacks as cards, each with its End sessions button, in every language."""
    problems: list[str] = []
    for lang in ("fi", "sv", "en"):
        admin = phone("admin", lang).go("/admin/sessions")
        admin.page.wait_for_selector("#sessions-table")
        problems += fits(admin, "#sessions-table tbody tr:first-child td.actions button", f"/admin/sessions ({lang})")
        labels = stacked_labels(admin, "#sessions-table")
        assert any(ui(lang, "Live sessions") in label for label in labels), labels
        admin.page.set_viewport_size(PHONE)
        admin.shot(f"admin-sessions-390-{lang}")
        problems += admin.violations(f"/admin/sessions at 390 px ({lang})")
        problems += fits(admin, "#sessions-table tbody tr:first-child th", f"/admin/sessions ({lang})",
                         width=320, height=None)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_the_instance_diagram_on_a_phone(phone, lang):
    """The manager's instance page: the diagram scrolls sideways in its own region (a focusable,
    labelled container), the page does not; axe clean. Screenshot: instance-390-<lang>.png."""
    manager = phone("esihenkilo", lang)
    manager.go("/cases")
    manager.page.wait_for_selector("#case-table")
    instance_id = manager.page.locator("#case-table tbody tr:first-child th a").get_attribute("href").split("/")[-1]
    manager.go(f"/instances/{instance_id}")
    region = manager.page.locator(".diagram-scroll")
    assert region.get_attribute("tabindex") == "0" and region.get_attribute("aria-label")
    assert manager.page.locator(".diagram-scroll svg.bpmn-diagram g[data-state='active']").count() >= 1
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")  # the diagram scrolls in its region
    problems = fits(manager, "h1", f"/instances ({lang})")
    manager.page.set_viewport_size(PHONE)
    manager.shot(f"instance-390-{lang}")
    problems += manager.violations(f"/instances at 390 px ({lang})")
    problems += fits(manager, "h1", f"/instances ({lang})", width=320, height=None)
    assert not problems, "\n".join(problems)
