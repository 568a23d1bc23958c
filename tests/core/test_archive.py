"""A deliverable or risk with history is archived, never deleted: the admin's archive action
goes through the record's service (history row, audit event, version raised), and an archived
record leaves every list, export, dashboard figure, plan page and board report at once, the
figures still equal to the lists they link to."""

import csv
import io
from http import HTTPStatus

import pytest
from django.urls import reverse
from pghistory.models import Events

from apps.plans.models import Deliverable, ODPlan, StatusUpdate
from apps.risks.models import Risk, RiskReview
from tests.dashboards.test_views import _list_count, _list_links, dashboard, every_bucket  # noqa: F401

pytestmark = pytest.mark.django_db


def _archive(client, model_name, objs, action="archive_selected"):
    response = client.post(
        reverse(f"admin:{model_name}_changelist"),
        {"action": action, "_selected_action": [o.pk for o in objs]},
    )
    assert response.status_code == HTTPStatus.FOUND
    for obj in objs:
        obj.refresh_from_db()


def _csv_rows(client, url):
    response = client.get(url, {"_export": "csv"})
    assert response.status_code == HTTPStatus.OK
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_archiving_a_deliverable_goes_through_its_service_and_hides_it_everywhere(client, admin_user, dorset):
    plan = ODPlan.objects.get(organisation=dorset)
    target = Deliverable.objects.filter(theme__plan=plan).order_by("pk").first()
    version = target.version
    client.force_login(admin_user)
    total_before = client.get(dashboard(dorset.slug)).context["figures"]["total"].count
    listed_before = _list_count(client, reverse("plans:deliverable_list"))
    exported_before = len(_csv_rows(client, "/deliverables/"))
    assert target.title in client.get(plan.get_absolute_url()).content.decode()

    _archive(client, "plans_deliverable", [target])

    assert target.archived_at is not None and target.version == version + 1
    update = StatusUpdate.objects.get(deliverable=target)
    assert (update.note, update.created_by, update.to_status) == (
        "Archived in the admin.",
        admin_user,
        target.status,
    )
    event = Events.objects.tracks(target).order_by("-pgh_id").first()
    assert "archived_at" in event.pgh_diff and event.pgh_context["via"] == "admin"
    # Gone from the list, its export, the plan page, the board report and the dashboard ...
    assert _list_count(client, reverse("plans:deliverable_list")) == listed_before - 1
    assert len(_csv_rows(client, "/deliverables/")) == exported_before - 1
    assert target.title not in client.get(plan.get_absolute_url()).content.decode()
    assert target.title not in client.get(reverse("reports:board_report", args=[plan.pk])).content.decode()
    assert client.get(dashboard(dorset.slug)).context["figures"]["total"].count == total_before - 1
    assert client.get(target.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND
    # ... still in the admin, with its history, and restored the same way.
    assert (
        client.get(reverse("admin:plans_deliverable_change", args=[target.pk])).status_code == HTTPStatus.OK
    )
    _archive(client, "plans_deliverable", [target], action="restore_selected")
    assert target.archived_at is None and target.version == version + 2
    assert _list_count(client, reverse("plans:deliverable_list")) == listed_before
    assert StatusUpdate.objects.filter(deliverable=target).count() == 2


def test_archiving_a_risk_hides_it_from_the_register_heat_map_dashboard_and_report(
    client, admin_user, darlington
):
    risk = Risk.objects.get(organisation=darlington, reference="R2")
    plan = ODPlan.objects.get(organisation=darlington)
    client.force_login(admin_user)
    register = _list_count(client, reverse("risks:risk_list"))
    exported = len(_csv_rows(client, "/risks/"))
    heat = client.get(reverse("risks:heatmap")).context["grids"]["inherent"]["total"]
    open_risks = client.get(dashboard(darlington.slug)).context["risk_figures"]["open"].count
    report = client.get(reverse("reports:board_report", args=[plan.pk])).context["snapshot"]["risks"]
    assert risk.pk in [r["id"] for r in report]

    _archive(client, "risks_risk", [risk])

    review = RiskReview.objects.get(risk=risk)
    assert (review.note, review.reviewed_by) == ("Archived in the admin.", admin_user)
    assert _list_count(client, reverse("risks:risk_list")) == register - 1
    assert client.get(reverse("risks:heatmap")).context["grids"]["inherent"]["total"] == heat - 1
    assert client.get(dashboard(darlington.slug)).context["risk_figures"]["open"].count == open_risks - 1
    summary = client.get(reverse("reports:board_report", args=[plan.pk])).context["snapshot"]
    assert risk.pk not in [r["id"] for r in summary["risks"]]
    assert len(_csv_rows(client, "/risks/")) == exported - 1
    exported = b"".join(client.get("/risks/", {"_export": "csv"}).streaming_content).decode("utf-8-sig")
    assert risk.description not in exported
    assert client.get(risk.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND


def test_every_dashboard_figure_still_equals_its_list_with_archived_rows(client, admin_user, every_bucket):  # noqa: F811
    """Archive an overdue, a delivered, a due-soon deliverable and an extreme risk of the generated
    CCG: every figure of its dashboard still equals the list it links to."""
    deliverables = Deliverable.objects.filter(theme__plan__organisation=every_bucket)
    chosen = [
        deliverables.get(title=t) for t in ("overdue in progress", "delivered late", "due soon proposed")
    ]
    extreme = Risk.objects.filter(organisation=every_bucket, severity=5, likelihood=5).get()
    client.force_login(admin_user)
    before = client.get(dashboard(every_bucket.slug)).context["figures"]
    _archive(client, "plans_deliverable", chosen)
    _archive(client, "risks_risk", [extreme])
    response = client.get(dashboard(every_bucket.slug))
    links = _list_links(response.content)
    assert len(links) > 25
    for url, figure in links:
        assert _list_count(client, url) == figure, url
    after = response.context["figures"]
    assert after["total"].count == before["total"].count - 3
    assert after["overdue"].count == before["overdue"].count - 1
    assert after["delivered"].count == before["delivered"].count - 1
    national = client.get(reverse("dashboards:national"))
    row = next(r for r in national.context["table"].data if r.pk == every_bucket.pk)
    assert row.deliverable_total == before["total"].count - 3


def test_staff_cannot_change_an_archived_deliverable(client, admin_user, staff_dorset, dorset):
    target = Deliverable.objects.filter(theme__plan__organisation=dorset).order_by("pk").first()
    client.force_login(admin_user)
    _archive(client, "plans_deliverable", [target])
    client.force_login(staff_dorset)
    response = client.post(
        reverse("plans:deliverable_status", args=[target.pk]),
        {"status": "not_started", "note": "Reopen", "version": target.version},
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    target.refresh_from_db()
    assert target.archived_at is not None and StatusUpdate.objects.filter(deliverable=target).count() == 1
