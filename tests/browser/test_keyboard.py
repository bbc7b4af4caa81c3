"""A task done with the keyboard only: no mouse, no focus() from the test. Every page is entered
from its top: the first Tab stop is the skip link, which takes the focus to the main content."""
from __future__ import annotations

import re

from tests.browser.conftest import step, ui

CLIENT = "Kaisa Näppäin"
ACTIVE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const row = el.closest('tr');
  return {tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name'), type: el.getAttribute('type'),
          cls: el.className, href: el.getAttribute('href'), text: (el.innerText || '').trim(),
          row: row ? row.innerText : '', x: el.getBoundingClientRect().left,
          submit: el.matches('main form.form button.primary')};
}"""


def active(page) -> dict | None:
    return page.evaluate(ACTIVE)


def tab_until(page, wanted, limit: int = 60) -> dict:
    """Press Tab until the focused element satisfies `wanted`; the stops passed on the way."""
    passed = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = active(page)
        if now and wanted(now):
            return now
        passed.append(now and (now["tag"], now["id"] or now["name"] or now["text"][:30]))
    raise AssertionError(f"not reached with {limit} Tab presses; passed: {passed}")


def skip_to_main(page) -> None:
    """From the top of a freshly loaded page: the skip link is the first stop and it works."""
    page.keyboard.press("Tab")
    first = active(page)
    assert first and "skip-link" in first["cls"], f"first Tab stop: {first}"
    assert first["x"] >= 0, "the skip link stays off screen when it has the focus"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"#main$"))
    assert (active(page) or {}).get("id") == "main", active(page)


def test_accepting_a_referral_with_the_keyboard_only(person, cli):
    cli.refer("131052-308T", CLIENT)
    user = person("fi-FI")
    page = user.page

    # Log in.
    user.go("/login")
    skip_to_main(page)
    page.keyboard.press("Tab")
    assert active(page)["id"] == "username"
    page.keyboard.type("valmentaja1")
    page.keyboard.press("Tab")
    assert active(page)["id"] == "password"
    page.keyboard.type("valmentaja1-demo")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/tasks/?$"))

    # The inbox: Tab to the client's task link and follow it.
    skip_to_main(page)
    link = tab_until(page, lambda el: el["tag"] == "a" and CLIENT in el["row"] and el["text"] == CLIENT)
    assert step("fi", "accept_referral") in link["row"]
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/tasks/[^/#?]+$"))
    assert page.locator("h1").inner_text().strip() == step("fi", "accept_referral")

    # The form: the date first, typed into the field's segments in the order the field shows them
    # (Chromium draws date inputs in its own UI language, here mm/dd/yyyy), then Tab to submit.
    skip_to_main(page)
    page.keyboard.press("Tab")  # the link to the case, right below the heading, comes first
    assert re.fullmatch(r"/cases/\d+", active(page)["href"] or ""), active(page)
    assert active(page)["text"] == ui("fi", "Open the case")
    page.keyboard.press("Tab")
    assert active(page)["id"] == "field-actual_start"
    page.keyboard.type("01052026")
    assert page.input_value("#field-actual_start") == "2026-01-05"
    button = tab_until(page, lambda el: el["submit"])
    assert button["text"] == ui("fi", "Complete the task")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/tasks/?$"))
    assert ui("fi", "Task completed.") in user.flash()
    rows = page.locator("#inbox-table tbody tr").filter(has_text=CLIENT)
    assert rows.count() == 1 and step("fi", "set_goals") in rows.inner_text()
