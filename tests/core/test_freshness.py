"""No page is stale after a write: a status change is visible on the very next request of every
page that shows it (the dashboards, the lists and their exports, the plan page, the board report
and the deliverable itself). Nothing is cached today; this is the test any cache must pass."""

import csv
import io

import pytest
from django.urls import reverse

from apps.plans.models import Deliverable
from apps.plans.services import deliverable_update
from tests.plans.factories import DeliverableFactory

pytestmark = pytest.mark.django_db


def _body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def _delivered(response):
    return response.context["figures"]["delivered"].count


def _plan_delivered(response):
    return response.context["progress"]["delivered"]


def _report_delivered(response):
    return response.context["paper"]["progress"]["delivered"]


def _national_row(dorset):
    def read(response):
        (row,) = [r for r in response.context["table"].data if r.pk == dorset.pk]
        return (row.deliverable_total, row.percent_delivered)

    return read


def _listed(pk):
    def read(response):
        return pk in {row.record.pk for row in response.context["table"].page.object_list}

    return read


def _csv_status(pk):
    def read(response):
        rows = csv.DictReader(io.StringIO(_body(response).decode("utf-8-sig")))
        return next(r["Status"] for r in rows if r["ID"] == str(pk))

    return read


def test_a_status_change_shows_on_the_next_request_of_every_page(client, admin_user, staff_dorset, dorset):
    theme = Deliverable.objects.filter(theme__plan__organisation=dorset).first().theme
    probe = DeliverableFactory(
        theme=theme, position=999, title="Freshness probe", status=Deliverable.Status.NOT_STARTED
    )
    plan = theme.plan
    pages = [
        ("Dorset's dashboard", reverse("dashboards:organisation", args=[dorset.slug]), _delivered),
        ("the roll-up", reverse("dashboards:organisation", args=["nhs-commissioning-board"]), _delivered),
        ("the national dashboard", reverse("dashboards:national"), _national_row(dorset)),
        ("the plan page", plan.get_absolute_url(), _plan_delivered),
        ("the board report", reverse("reports:board_report", args=[plan.pk]), _report_delivered),
        ("the delivered list", reverse("plans:deliverable_list") + "?status=delivered", _listed(probe.pk)),
        (
            "the export",
            reverse("plans:deliverable_list") + f"?theme={theme.pk}&_export=csv",
            _csv_status(probe.pk),
        ),
        (
            "the deliverable",
            probe.get_absolute_url(),
            lambda r: r.context["deliverable"].get_status_display(),
        ),
    ]
    client.force_login(admin_user)  # reads every page, the roll-up included; staff make the change
    before = {}
    for label, url, read in pages:
        response = client.get(url)
        assert response.status_code == 200, label
        before[label] = read(response)

    deliverable_update(
        deliverable_id=probe.pk,
        acting_user=staff_dorset,
        expected_version=probe.version,
        changes={"status": Deliverable.Status.DELIVERED},
        note="Delivered: the freshness probe.",
    )

    for label, url, read in pages:
        after = read(client.get(url))
        assert after != before[label], f"{label} still shows {after!r} after the change"
