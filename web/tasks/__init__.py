"""Inbox and task pages."""
from flask import Blueprint

bp = Blueprint("tasks", __name__, template_folder="templates")


from . import inbox  # noqa: E402,F401
from . import task_page  # noqa: E402,F401
