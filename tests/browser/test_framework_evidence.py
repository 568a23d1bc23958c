"""The framework's evidence in a real browser at a phone's width: staff link Darlington's minutes
to a key control from its principal risk's page, by keyboard, and see them listed there with
their fingerprint; the pages to add and link evidence for a control or an assurance pass axe."""

import datetime

import pytest
from django.urls import reverse

from apps.evidence import services as evidence_services
from apps.evidence.files import check_upload
from apps.evidence.models import EvidenceLink
from apps.organisations.models import Membership, Organisation
from tests.browser.test_every_page import OVERFLOW, Sweep, _framework, _record_framework
from tests.evidence.samples import PDF, upload
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def test_staff_link_evidence_to_a_key_control_on_a_phone(browser, seeded_live_server):
    darlington = Organisation.objects.get(slug="nhs-darlington-ccg")
    staff = UserFactory(username="baf.evidence.staff")
    board = UserFactory(username="baf.evidence.board")
    MembershipFactory(user=staff, organisation=darlington, role=Membership.Role.STAFF)
    MembershipFactory(user=board, organisation=darlington, role=Membership.Role.GOVERNING_BODY)
    _record_framework(staff, darlington)
    baf = _framework(darlington)
    control = baf["control"]
    minutes = evidence_services.evidence_create(
        organisation=darlington,
        acting_user=staff,
        values={
            "kind": "file",
            "title": "Engagement group minutes",
            "speaks_for": datetime.date(2012, 9, 12),
        },
        file=check_upload(upload("engagement-minutes.pdf", PDF)),
        note="The group that runs the control.",
    )
    sha256 = minutes.revisions.get().sha256
    sweep = Sweep(browser, seeded_live_server.url)

    context, page = sweep.context(staff.username)
    page.set_viewport_size(PHONE)  # a phone, until the sweep's looks below
    page.goto(seeded_live_server.url + baf["principal"].get_absolute_url())
    assert page.evaluate(OVERFLOW) is None
    link = page.locator(f"#control-{control.pk} >> text=Link existing evidence").first
    link.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/evidence/link/" in page.url and page.evaluate(OVERFLOW) is None
    page.check(f"input[name=item][value='{minutes.pk}']")
    page.fill("#id_note", "The minutes show the group met.")
    with page.expect_navigation():
        page.click("#record-form button[type=submit]")
    assert page.url.startswith(seeded_live_server.url + baf["principal"].get_absolute_url())
    shown = page.locator(f"#control-{control.pk} .baf-evidence").first.inner_text()
    assert "Engagement group minutes" in shown and sha256[:16] in shown
    assert page.evaluate(OVERFLOW) is None
    assert EvidenceLink.objects.current().get(control=control).item == minutes
    for url in (
        reverse("evidence:link_create") + f"?assurance={baf['assurance'].pk}",
        reverse("evidence:item_create", args=[darlington.slug]) + f"?control={control.pk}",
        reverse("evidence:item_create", args=[darlington.slug]) + f"?assurance={baf['assurance'].pk}",
        baf["principal"].get_absolute_url(),
        reverse("assurance:framework", args=[darlington.slug]),
    ):
        sweep.look(page, "staff", url)
    context.close()

    context, page = sweep.context(board.username)
    sweep.look(page, "board", baf["principal"].get_absolute_url())
    page.goto(seeded_live_server.url + baf["principal"].get_absolute_url())
    assert "Engagement group minutes" in page.locator(f"#control-{control.pk}").first.inner_text()
    assert page.locator("text=Link existing evidence").count() == 0
    context.close()
    bad = {key: status for key, status in sweep.statuses.items() if status != 200}
    assert not bad, bad
    assert not sweep.failures, f"{len(sweep.failures)} problems:\n" + "\n".join(sweep.failures)
