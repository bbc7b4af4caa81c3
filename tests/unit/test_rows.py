"""The typed rows commands read carry exactly the columns of their tables, with their types."""
from __future__ import annotations

from dataclasses import FrozenInstanceError, fields

import pytest

from polku.engine.models import HumanTask, Instance
from polku.engine.rows import InstanceRow, TaskRow


@pytest.mark.parametrize("row, model", [(InstanceRow, Instance), (TaskRow, HumanTask)])
def test_row_fields_are_the_table_columns(row, model):
    assert [f.name for f in fields(row)] == [c.name for c in model.__table__.c]
    # Each field is annotated as the mapped column is (Mapped[...] stripped).
    mapped = {name: str(a).removeprefix("Mapped[").removesuffix("]") for name, a in model.__annotations__.items()}
    assert {f.name: str(f.type) for f in fields(row)} == mapped


def test_a_read_task_row_cannot_be_changed_and_rows_take_no_stray_attributes():
    task = TaskRow.from_mapping({f.name: None for f in fields(TaskRow)})
    with pytest.raises(FrozenInstanceError):
        task.state = "completed"  # type: ignore[misc]
    inst = InstanceRow.from_mapping({f.name: None for f in fields(InstanceRow)})
    with pytest.raises(AttributeError):
        inst.stray = 1  # type: ignore[attr-defined]
