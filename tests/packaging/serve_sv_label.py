"""Run by the wheel test with the installed wheel's python, in a directory far from the checkout:
log in as a demo official, choose Swedish, and print the referral page the app serves."""
import re
import sys

from polku.app import build_app

BASE = "https://localhost"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')

app = build_app({"DATABASE_URL": sys.argv[1], "SECRET_KEY": "wheel-test-secret"})
client = app.test_client()


def get(url):
    page = client.get(url, base_url=BASE, headers={"Referer": BASE + "/"})
    return page, TOKEN.search(page.get_data(as_text=True)).group(1)


def post(url, data):
    return client.post(url, data=data, base_url=BASE, headers={"Referer": BASE + url})


_, token = get("/login")
assert post("/login", {"username": "virkailija1", "password": "virkailija1-demo",
                       "csrf_token": token}).status_code == 302
_, token = get("/tasks")
assert post("/language", {"locale": "sv", "next": "/tasks", "csrf_token": token}).status_code == 302
page, _ = get("/referrals/new")
assert page.status_code == 200, page.status_code
sys.stdout.write(page.get_data(as_text=True))
