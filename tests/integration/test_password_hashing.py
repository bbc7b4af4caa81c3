"""The hash method is a setting: production makes scrypt hashes, the suite cheap ones, and a hash
made either way verifies whichever method makes new hashes now."""
from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from polku.cli import main
from polku.engine import accounts
from polku.engine.models import User
from tests.conftest import TEST_PASSWORD_METHOD

SECRET = "a long enough secret"


def test_production_hashes_with_scrypt():
    """A process that is not the test suite (here a fresh interpreter) keeps the strong default."""
    code = ("from polku.engine import accounts; print(accounts.PASSWORD_METHOD); "
            f"print(accounts.hash_password({SECRET!r}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "scrypt" and out[1].startswith("scrypt:")


def test_the_suite_hashes_cheaply():
    assert accounts.PASSWORD_METHOD == TEST_PASSWORD_METHOD != "scrypt"
    assert accounts.hash_password(SECRET).startswith(TEST_PASSWORD_METHOD + "$")


def _add_with_password(database_url, username):
    args = ["user", "add", username, "--role", "official", "--org", "Area", "--password-stdin"]
    result = CliRunner().invoke(main, args, input=SECRET + "\n", env={"POLKU_DATABASE_URL": database_url})
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize("made_with, verified_under", [("scrypt", TEST_PASSWORD_METHOD),
                                                       (TEST_PASSWORD_METHOD, "scrypt")])
def test_a_hash_made_with_one_method_verifies_under_another(database_url, uow_factory, monkeypatch,
                                                             made_with, verified_under):
    monkeypatch.setattr(accounts, "PASSWORD_METHOD", made_with)
    _add_with_password(database_url, "virpi")
    monkeypatch.setattr(accounts, "PASSWORD_METHOD", verified_under)
    with uow_factory() as uow:
        assert accounts.authenticate(uow, "virpi", SECRET).username == "virpi"
        with pytest.raises(accounts.LoginFailed):
            accounts.authenticate(uow, "virpi", SECRET + "!")
        uow.commit()
    with uow_factory(write=False) as uow:
        stored = uow.session.scalar(select(User.password_hash).where(User.username == "virpi"))
    assert stored.startswith(made_with + ("$" if made_with != "scrypt" else ":"))
