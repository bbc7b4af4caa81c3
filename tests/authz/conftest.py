from __future__ import annotations

import pytest

from tests.authz.matrix_support import _authz_cast  # noqa: F401  (registers the template)
from tests.conftest import from_template
from tests.scenarios.conftest import coaching  # noqa: F401
from tests.web.conftest import browser, passwords, web_app  # noqa: F401


@pytest.fixture
def authz(coaching, _database):
    """The coaching cast, an admin and a colleague coach in the case's organisations, and an
    official, a manager, a designer and an admin of another area; every password PASSWORD."""
    from_template(_database, "authz")
    return coaching
