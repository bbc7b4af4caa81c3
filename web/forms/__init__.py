"""BPMN form fields as accessible HTML, and the HTML form post back as engine values.

Every field is shown and parsed by its registered type object (``engine.fieldtypes.FieldType``:
its widget as data, its form parser, its messages); nothing here knows a type by name.
The engine's field definitions (``engine.queries.task_dict`` "fields", or a start form) are
turned into *field views*: plain dicts the macros in ``web/templates/forms/fields.html``
render (``{% import "forms/fields.html" as forms %}{{ forms.fields(views) }}``). A posted
form is parsed back into the JSON values ``engine.tasks.complete`` / ``engine.instances.start``
expect; the engine converts and checks them (numbers stay strings here).

    views = build_fields(fields, process_key=..., element_id=..., values=None | parsed,
                         errors=None | error_messages(exc, fields, process_key),
                         rows=row_counts(fields, request.form), data=instance_data,
                         loaded=widget_data(uow, fields))
    values = parse_form(fields, request.form)
    if more_rows_requested(request.form): ...re-render with row_counts(..., add=True)

Repeatable fields work without JavaScript: a fixed number of rows (blank rows are ignored)
and an "Add more rows" submit button (name ``MORE_ROWS``, value the field id) that re-renders
the form with more rows instead of submitting it.
"""
from .parsing import MORE_ROWS, more_rows_requested, parse_form, row_counts, widget_data
from .views import build_fields, error_messages, error_summary

__all__ = ["MORE_ROWS", "build_fields", "error_messages", "error_summary", "more_rows_requested", "parse_form",
           "row_counts", "widget_data"]
