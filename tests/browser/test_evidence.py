"""Evidence on a phone (issue 22): staff at 390 px open a deliverable, add a file as its
evidence through the page's own form, see it listed with its fingerprint, open it, and nothing
scrolls sideways on the way; a program named as a PDF is refused with the message beside the
field and nothing kept."""

import hashlib

import pytest

from apps.evidence.models import EvidenceItem
from apps.organisations.models import Membership, Organisation
from apps.plans.models import Deliverable
from tests.browser.test_phone import SIDEWAYS
from tests.conftest import PASSWORD
from tests.evidence.samples import EXE, PDF
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.browser


def test_staff_add_evidence_to_a_deliverable_on_a_phone(login, seeded_live_server, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    darlington = Organisation.objects.get(slug="nhs-darlington-ccg")
    staff = UserFactory(username="phone.evidence", first_name="Eve", last_name="Evidence")
    MembershipFactory(user=staff, organisation=darlington, role=Membership.Role.STAFF)
    deliverable = (
        Deliverable.objects.current().filter(theme__plan__organisation=darlington).order_by("pk").first()
    )
    page = login("phone.evidence", PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(seeded_live_server.url + deliverable.get_absolute_url())
    section = page.locator(f"#evidence-deliverable-{deliverable.pk}")
    section.get_by_text("No evidence is linked to this yet.").wait_for()
    section.get_by_role("link", name="Add evidence").click()
    page.wait_for_load_state()
    assert page.evaluate(SIDEWAYS) == []

    # A program named as a PDF first: refused beside the field, nothing kept.
    page.fill("#id_title", "Governing body minutes, 31 October 2012")
    page.fill("#id_speaks_for", "2012-10-31")
    page.fill("#id_note", "The meeting that signed it off.")
    page.set_input_files(
        "#id_file", files=[{"name": "minutes.pdf", "mimeType": "application/pdf", "buffer": EXE}]
    )
    page.click("#record-form button[type=submit]")
    page.locator("#id_file_error").wait_for()
    assert "program" in page.locator("#id_file_error").inner_text()
    assert not EvidenceItem.objects.exists()
    assert page.evaluate(SIDEWAYS) == []

    # Then the real minutes.
    page.set_input_files(
        "#id_file", files=[{"name": "Minutes 31 Oct 2012.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.click("#record-form button[type=submit]")
    page.wait_for_url(f"**{deliverable.get_absolute_url()}")
    row = section.locator("tbody tr").first
    assert row.evaluate("tr => getComputedStyle(tr).display") != "table-row", "rows are cards"
    fingerprint = hashlib.sha256(PDF).hexdigest()
    assert fingerprint[:16] in row.inner_text()
    assert page.evaluate(SIDEWAYS) == []

    # The item's page: what it supports and its file with the whole fingerprint.
    row.get_by_role("link", name="Governing body minutes, 31 October 2012").click()
    page.wait_for_load_state()
    assert fingerprint in page.locator("#revision-table").inner_text()
    assert deliverable.title[:40] in page.locator("#supports").inner_text()
    assert page.evaluate(SIDEWAYS) == []
    with page.expect_download() as download:
        page.locator("#revision-table a").first.click()
    assert download.value.suggested_filename == "Minutes 31 Oct 2012.pdf"
    item = EvidenceItem.objects.get()
    assert item.links.get().deliverable == deliverable and item.revisions.get().sha256 == fingerprint
