"""The case view."""
from flask import Blueprint

bp = Blueprint("cases", __name__, template_folder="templates")


@bp.get("/cases")
def index():
    return "cases"
