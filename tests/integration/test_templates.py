"""The suite's template databases: a test that starts from a copy gets exactly the rows, ids and
sequence positions it would get by running the fixture's commands itself, and what one test
writes never reaches the next."""
from __future__ import annotations

import pytest
from sqlalchemy import inspect, select, table, text

from polku.engine.db import make_engine
from tests.conftest import TEMPLATES, Polku
from tests.databases import SCHEMA
from tests.scenarios import conftest as scenarios  # registers the `coaching` template

assert "coaching" in TEMPLATES.recipes, scenarios


def _rows(url: str) -> dict[str, list[tuple]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            names = sorted(inspect(conn).get_table_names())
            return {name: sorted(conn.execute(select(text("*")).select_from(table(name))).all(), key=repr)
                    for name in names}
    finally:
        engine.dispose()


def _next_user_id(url: str) -> int:
    with Polku(url) as cli:
        return cli.json("user", "add", "probe", "--role", "official", "--org", "Probe")["id"]


@pytest.mark.parametrize("name", ["sample", "coaching"])
def test_a_copy_holds_what_running_the_fixture_commands_makes(_templates, name):
    # Built in place, as the fixture did before templates: the parent's state, then the recipe.
    url = _templates.fresh(TEMPLATES.recipes[name][0])
    TEMPLATES.recipes[name][1](url)
    built, built_next = _rows(url), _next_user_id(url)
    _templates.backend.release(url)

    url = _templates.fresh(name)
    copied, copied_next = _rows(url), _next_user_id(url)
    _templates.backend.release(url)

    assert copied == built and any(copied.values())
    assert copied_next == built_next


def test_what_a_test_writes_does_not_reach_the_next_copy(_templates):
    url = _templates.fresh("sample")
    before = _rows(url)
    with Polku(url) as cli:
        cli("user", "add", "leftover", "--role", "official", "--org", "Elsewhere")
    assert _rows(url) != before
    _templates.backend.release(url)

    url = _templates.fresh("sample")
    assert _rows(url) == before
    _templates.backend.release(url)


def test_a_template_fixture_reached_only_through_getfixturevalue_is_refused(request, database_url):
    with pytest.raises(RuntimeError, match="copied from 'schema', not 'sample'"):
        request.getfixturevalue("sample")


def test_the_schema_template_has_no_rows_but_the_schema_revision(_templates):
    url = _templates.fresh(SCHEMA)
    rows = _rows(url)
    _templates.backend.release(url)
    assert {name for name, content in rows.items() if content} == {"alembic_version"}
