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
        (
            "the deliverable's history",
            probe.get_absolute_url(),
            lambda r: b"the freshness probe" in r.content,
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


def test_a_risk_change_shows_on_the_next_heat_map_register_and_dashboard(client, admin_user):
    from apps.risks.models import Risk

    risk = Risk.objects.current().filter(status=Risk.Status.OPEN, severity__lt=5).order_by("pk")[0]
    dorset = risk.organisation  # the first register's organisation
    heatmap = reverse("risks:heatmap") + f"?organisation={dorset.pk}"
    register = reverse("risks:risk_list") + f"?organisation={dorset.pk}&status=open"
    dashboard = reverse("dashboards:organisation", args=[dorset.slug])
    client.force_login(admin_user)

    def cell(response):
        grid = response.context["grids"]["inherent"]
        return {(c["severity"], c["likelihood"]): c["count"] for row in grid["rows"] for c in row["cells"]}

    before = (cell(client.get(heatmap)), client.get(register).context["table"].paginator.count)
    open_before = client.get(dashboard).context["risk_figures"]["open"].count
    Risk.objects.filter(pk=risk.pk).update(status=Risk.Status.CLOSED, severity=5)
    after = (cell(client.get(heatmap)), client.get(register).context["table"].paginator.count)
    assert after[1] == before[1] - 1
    assert after[0][(risk.severity, risk.likelihood)] == before[0][(risk.severity, risk.likelihood)] - 1
    assert after[0][(5, risk.likelihood)] == before[0][(5, risk.likelihood)] + 1
    assert client.get(dashboard).context["risk_figures"]["open"].count == open_before - 1


def test_a_new_owner_shows_in_the_owner_filter_at_once(client, admin_user, dorset):
    from tests.factories import UserFactory

    deliverable = Deliverable.objects.filter(theme__plan__organisation=dorset).order_by("pk")[0]
    owner = UserFactory(username="new.owner", first_name="Nora", last_name="Newowner")
    client.force_login(admin_user)
    url = reverse("plans:deliverable_list")
    assert b"Nora Newowner" not in client.get(url).content
    Deliverable.objects.filter(pk=deliverable.pk).update(owner=owner)
    assert b"Nora Newowner" in client.get(url).content


def test_the_board_report_pdf_is_kept_until_the_data_changes(client, admin_user, staff_dorset, dorset):
    deliverable = (
        Deliverable.objects.filter(theme__plan__organisation=dorset)
        .exclude(status__in=Deliverable.DELIVERED_STATUSES)
        .first()
    )
    url = reverse("reports:board_report_pdf", args=[deliverable.theme.plan_id])
    client.force_login(admin_user)
    first = client.get(url)
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf"
    assert client.get(url).content == first.content  # the PDF already made
    deliverable_update(
        deliverable_id=deliverable.pk,
        acting_user=staff_dorset,
        expected_version=deliverable.version,
        changes={"status": Deliverable.Status.DELIVERED},
        note="Delivered.",
    )
    assert client.get(url).content != first.content


def test_a_board_report_kept_in_the_cache_says_it_was_read_now(client, admin_user, dorset):
    import datetime

    import time_machine
    from django.utils import timezone

    plan = Deliverable.objects.filter(theme__plan__organisation=dorset).first().theme.plan
    url = reverse("reports:board_report", args=[plan.pk])
    start = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    with time_machine.travel(start, tick=False):
        client.force_login(admin_user)
        first = client.get(url)
    with time_machine.travel(start + datetime.timedelta(minutes=12), tick=False):
        again = client.get(url)

    def report(response):
        html = response.content.decode()
        return html[html.index('<article class="board-report"') : html.index("</article>")]

    assert report(first).replace("10:00", "10:12") == report(again)  # the kept body, read now
    assert first.context["read_at"] == start
    assert again.context["read_at"] == start + datetime.timedelta(minutes=12)
    assert b"10:12" in again.content and b"10:00" not in again.content


def test_a_page_of_rows_is_read_by_its_keys_in_the_querysets_order(dorset, django_assert_num_queries):
    """page_rows: the keys of the page from a narrow query, then the rows by key, in the same
    order as reading the window at once (ties broken by pk), with what the queryset prefetches."""
    from apps.core.freshness import page_rows
    from apps.plans.models import Deliverable

    queryset = (
        Deliverable.objects.current()
        .select_related("theme__plan")
        .prefetch_related("domains")
        .order_by("-status", "deadline", "pk")
    )
    assert queryset.count() > 40
    for bottom, top in [(0, 10), (10, 30), (35, 10_000)]:
        expected = list(queryset[bottom:top])
        with django_assert_num_queries(3):  # the keys, the rows, their domains
            rows = page_rows(queryset, bottom, top)
            assert [row.theme.plan.pk for row in rows] == [row.theme.plan.pk for row in expected]
            assert all(isinstance(list(row.domains.all()), list) for row in rows)
        assert [row.pk for row in rows] == [row.pk for row in expected]
    # A DISTINCT queryset is read in one query, as it was.
    first = list(Deliverable.objects.order_by("pk").values_list("pk", flat=True)[:5])
    with django_assert_num_queries(1):
        assert [r.pk for r in page_rows(Deliverable.objects.distinct().order_by("pk"), 0, 5)] == first
