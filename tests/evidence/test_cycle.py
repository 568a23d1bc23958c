"""Evidence in the cycle: the owner's reminder digest, My work, the board report and issued
papers (frozen), and the deliverables' and risks' exports."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.evidence import services
from apps.reminders import services as reminders
from apps.reminders.models import ReminderDelivery
from apps.reports import services as report_services
from apps.reports.models import IssuedPaper
from apps.risks.models import Risk
from tests.evidence.factories import add_file, add_link
from tests.plans.factories import DeliverableFactory, ODPlanFactory, ThemeFactory
from tests.reports.helpers import first_cover_sheet

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def due(darlington, staff_darlington, today):
    staff_darlington.email = "t.staff.darlington@nhs.example"
    staff_darlington.save()
    return {
        "expired": add_link(
            darlington, staff_darlington, title="Expired audit", review_on=today - datetime.timedelta(days=2)
        ),
        "expiring": add_link(
            darlington,
            staff_darlington,
            title="Expiring policy",
            review_on=today + datetime.timedelta(days=30),
        ),
        "later": add_link(
            darlington, staff_darlington, title="Later review", review_on=today + datetime.timedelta(days=31)
        ),
    }


def test_the_owners_digest_lists_expiring_and_expired_evidence(staff_darlington, due):
    assert staff_darlington in reminders.selectors.digest_candidates()
    reminder = reminders.build_reminder(staff_darlington, ReminderDelivery.Kind.DIGEST, "2026-W49")
    body = reminder.message.body
    assert "EVIDENCE TO REVIEW" in body
    assert body.index("Expired audit") < body.index("Expiring policy")
    assert "Later review" not in body
    assert f"/evidence/{due['expired'].pk}/" in body
    html, _ = reminder.message.alternatives[0]
    assert "Evidence to review" in html and "Expiring policy" in html


def test_archived_evidence_leaves_the_digest(staff_darlington, due):
    for item in due.values():
        services.evidence_edit.set_archived(
            pk=item.pk,
            acting_user=staff_darlington,
            expected_version=item.version,
            archived=True,
            note="Gone.",
        )
    assert staff_darlington not in reminders.selectors.digest_candidates()


def test_my_work_lists_the_evidence_to_review(client, staff_darlington, due):
    client.force_login(staff_darlington)
    page = client.get(reverse("plans:my_work")).content.decode()
    assert "Evidence to review (2)" in page
    assert "Expired audit" in page and "Expiring policy" in page and "Later review" not in page


def test_my_work_says_when_nothing_is_due(client, staff_darlington):
    client.force_login(staff_darlington)
    assert "None of the evidence you added is due" in client.get(reverse("plans:my_work")).content.decode()


@pytest.fixture
def small_plan(dorset, staff_dorset):
    plan = ODPlanFactory(organisation=dorset, title="Small OD plan")
    theme = ThemeFactory(plan=plan, number=1)
    delivered = DeliverableFactory(theme=theme, position=1, title="Training delivered", status="delivered")
    DeliverableFactory(theme=theme, position=2, title="Delivered without proof", status="delivered")
    DeliverableFactory(theme=theme, position=3, title="Still going", status="in_progress")
    first_cover_sheet(plan, staff_dorset, title="Small OD plan update", meeting_date="2026-01-14")
    item = add_file(dorset, staff_dorset, title="Training log")
    services.evidence_link(item=item, acting_user=staff_dorset, target={"deliverable": delivered})
    return plan, item


def test_the_board_report_lists_what_each_delivered_item_rests_on(client, staff_dorset, small_plan):
    plan, item = small_plan
    client.force_login(staff_dorset)
    page = client.get(reverse("reports:board_report", args=[plan.pk])).content.decode()
    sha = item.revisions.get().sha256
    assert "Evidence: Training log, 31 October 2012" in page and sha in page
    assert "No evidence linked." in page  # the other delivered one


def test_an_issued_paper_keeps_its_evidence_frozen(client, staff_dorset, small_plan):
    plan, item = small_plan
    cover = report_services.latest_report(plan)
    paper = report_services.issue_paper(
        plan_id=plan.pk, acting_user=staff_dorset, cover_sheet_id=cover.pk, cover_sheet_version=cover.version
    )
    sha = item.revisions.get().sha256
    [row] = [d for d in paper.snapshot["deliverables"] if d["title"] == "Training delivered"]
    assert row["evidence"] == [
        {
            "id": item.pk,
            "title": "Training log",
            "speaks_for": "2012-10-31",
            "sha256": sha,
            "file_name": "minutes.pdf",
            "url": "",
        }
    ]
    assert sha in paper.html
    services.evidence_edit.set_archived(
        pk=item.pk, acting_user=staff_dorset, expected_version=item.version, archived=True, note="Superseded."
    )
    client.force_login(staff_dorset)
    issued = client.get(IssuedPaper.objects.get(pk=paper.pk).get_absolute_url()).content.decode()
    assert sha in issued  # the issued copy stands as it was
    live = client.get(reverse("reports:board_report", args=[plan.pk])).content.decode()
    assert sha not in live


def _csv(response):
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_the_deliverables_export_carries_the_evidence(client, staff_dorset, small_plan, settings):
    plan, item = small_plan
    client.force_login(staff_dorset)
    rows = _csv(client.get(reverse("plans:deliverable_list"), {"plan": plan.pk, "_export": "csv"}))
    evidence = {row["Deliverable / action"]: row["Evidence"] for row in rows}
    assert evidence["Training delivered"] == f"Training log ({settings.SITE_URL}/evidence/{item.pk}/)"
    assert evidence["Still going"] == ""


def test_the_risks_export_carries_the_evidence(client, darlington, staff_darlington, settings):
    risk = Risk.objects.current().get(organisation=darlington, reference="R2")
    item = add_link(darlington, staff_darlington, title="Controls review")
    services.evidence_link(item=item, acting_user=staff_darlington, target={"risk": risk})
    client.force_login(staff_darlington)
    rows = _csv(client.get(reverse("risks:risk_list"), {"organisation": darlington.pk, "_export": "csv"}))
    evidence = {row["Reference"]: row["Evidence"] for row in rows}
    assert evidence["R2"] == f"Controls review ({settings.SITE_URL}/evidence/{item.pk}/)"


def test_the_board_report_pdf_lists_the_evidence(client, staff_dorset, small_plan):
    from pypdf import PdfReader

    plan, item = small_plan
    client.force_login(staff_dorset)
    response = client.get(reverse("reports:board_report_pdf", args=[plan.pk]))
    assert response.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    assert "Evidence: Training log, 31 October 2012" in text
    assert item.revisions.get().sha256[:32] in text.replace(" ", "")
