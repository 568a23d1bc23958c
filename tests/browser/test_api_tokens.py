"""Issue 23 in a real browser: a member of staff makes an API token on their page, copies it,
a program reads the deliverables with it and changes one's status (the history names them,
"through the API"), they revoke it and the program is refused; the documentation opens."""

import json
import urllib.error
import urllib.request

import pytest

from apps.organisations.models import Membership, Organisation
from apps.plans.models import Deliverable
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, UserFactory

from .test_people_and_reminders import fits_390

pytestmark = pytest.mark.browser


def call(url, token, body=None):
    """A program's request to the live server: (status, JSON body)."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    if body is not None:
        request.data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310  the test's own server
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_staff_make_a_token_use_it_and_revoke_it(login, seeded_live_server):
    dorset = Organisation.objects.get(slug="nhs-dorset-ccg")
    staff = UserFactory(username="api.staff", first_name="Pat", last_name="Analyst")
    MembershipFactory(user=staff, organisation=dorset, role=Membership.Role.STAFF)
    page = login("api.staff", PASSWORD)

    page.goto(seeded_live_server.url + "/my/")
    page.click("#api-tokens-link")
    page.wait_for_url("**/my/api-tokens/")
    assert fits_390(page)
    page.fill("#id_name", "Power BI board dashboard")
    page.check("text=Read and write")
    page.check("text=30 days")
    page.click("#token-form button[type=submit]")
    page.wait_for_load_state()
    token = page.input_value("#new-token-text")
    assert token.startswith("ccg-")
    assert "Power BI board dashboard" in page.locator("#my-tokens").inner_text()
    assert fits_390(page)

    # A program reads what the pages show Pat, and changes a status as Pat.
    status, body = call(seeded_live_server.url + "/api/v1/deliverables/?status=in_progress", token)
    assert status == 200 and body["results"]
    visible = set(Deliverable.objects.visible_to(staff).values_list("pk", flat=True))
    assert {row["id"] for row in body["results"]} <= visible
    row = body["results"][0]
    url = f"{seeded_live_server.url}/api/v1/deliverables/{row['id']}/status/"
    status, changed = call(
        url, token, {"status": "delivered", "note": "Signed off.", "version": row["version"]}
    )
    assert status == 200 and changed["status"] == "delivered"
    page.goto(seeded_live_server.url + f"/deliverables/{row['id']}/")
    history = page.locator("main").text_content()  # the audit trail is folded away
    assert "Signed off." in history and "Changed through the API" in history

    # Pat revokes it; the program is refused from then on.
    page.goto(seeded_live_server.url + "/my/api-tokens/")
    assert "Never" not in page.locator("#my-tokens").inner_text()  # its last use is shown
    page.click("#my-tokens button:has-text('Revoke')")
    page.wait_for_load_state()
    assert "Revoked" in page.locator("#my-tokens").inner_text()
    assert call(seeded_live_server.url + "/api/v1/deliverables/", token)[0] == 401


def test_the_documentation_opens_from_vendored_files(page, seeded_live_server):
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("requestfailed", lambda request: problems.append(request.url))
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(seeded_live_server.url + "/api/docs/")
    page.wait_for_selector(".opblock-tag", timeout=15_000)
    text = page.locator("#swagger-ui").inner_text()
    assert "deliverables" in text and "risks" in text
    assert all(url.startswith(seeded_live_server.url) or url.startswith("data:") for url in requested)
    assert problems == []
