"""The board report's PDF is made ahead by the task worker when the data change (issue 20, item
6), so its reader gets a PDF already made and never waits for WeasyPrint; after a later change
the old PDF is not served (a transactional test: the worker and the tasks commit)."""

import datetime
from unittest import mock

import pytest
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from apps.organisations.models import Membership
from apps.plans.models import Deliverable
from apps.plans.services import deliverable_update
from apps.reports import pdfs
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0", verbosity=0)


def test_the_worker_makes_the_pdf_when_the_data_change_and_readers_never_wait(settings, client, monkeypatch):
    settings.TASKS = DATABASE
    settings.BOARD_REPORT_PDF_AHEAD = True
    monkeypatch.setattr(pdfs, "AHEAD_DELAY", datetime.timedelta(0))
    deliverable = (
        Deliverable.objects.filter(theme__plan__organisation__slug="nhs-dorset-ccg")
        .exclude(status__in=Deliverable.DELIVERED_STATUSES)
        .select_related("theme__plan__organisation")
        .first()
    )
    plan = deliverable.theme.plan
    staff = UserFactory(username="t.pdf.staff")
    MembershipFactory(user=staff, organisation=plan.organisation, role=Membership.Role.STAFF)
    url = reverse("reports:board_report_pdf", args=[plan.pk])

    deliverable_update(
        deliverable_id=deliverable.pk,
        acting_user=staff,
        expected_version=deliverable.version,
        changes={"status": Deliverable.Status.DELIVERED},
        note="Delivered.",
    )
    asked = DBTaskResult.objects.filter(task_path__endswith="make_board_report_pdf", status="READY")
    assert asked.count() == 1
    worker()
    made = pdfs.stored(plan)
    assert made is not None and made[0].startswith(b"%PDF")

    client.force_login(staff)
    with mock.patch.object(pdfs, "html_to_pdf", side_effect=AssertionError("a reader waited for WeasyPrint")):
        response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content == made[0]

    # A later change: the PDF made before it is not the report any more.
    deliverable.refresh_from_db()
    deliverable_update(
        deliverable_id=deliverable.pk,
        acting_user=staff,
        expected_version=deliverable.version,
        changes={"status": Deliverable.Status.IN_PROGRESS},
        note="Reopened.",
    )
    assert pdfs.stored(plan) is None
    worker()
    again = pdfs.stored(plan)
    assert again is not None and again[0] != made[0]
