"""Starting a referral (officials)."""
from flask import Blueprint

bp = Blueprint("referrals", __name__, template_folder="templates")


@bp.get("/referrals/new")
def new():
    return "new referral"
