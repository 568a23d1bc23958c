"""A member of a Dorset locality reads the Dorset CCG's plan, deliverables, risks, dashboard and
board report, changes none of them, and sees nothing of Darlington."""

from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.urls import reverse

from apps.organisations.models import Membership, Organisation
from apps.plans.models import Deliverable, ODPlan, StatusUpdate
from apps.reports.models import BoardReport
from apps.risks.models import Risk, RiskReview
from tests.factories import MembershipFactory, UserFactory
from tests.risks.factories import RiskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def locality_member(db):
    user = UserFactory(username="t.poole.bay")
    MembershipFactory(
        user=user, organisation=Organisation.objects.get(slug="poole-bay"), role=Membership.Role.STAFF
    )
    return user


@pytest.fixture
def dorset_risk(dorset):
    return RiskFactory(organisation=dorset, description="A Dorset risk", severity=4, likelihood=4)


def test_a_locality_member_reads_the_ccgs_plan_lists_dashboard_and_report(
    client, locality_member, dorset, darlington, dorset_risk
):
    plan = ODPlan.objects.get(organisation=dorset)
    client.force_login(locality_member)
    assert client.get(plan.get_absolute_url()).status_code == HTTPStatus.OK
    deliverables = client.get(reverse("plans:deliverable_list"), {"per_page": 500})
    listed = {row.record.pk for row in deliverables.context["table"].page.object_list}
    assert listed == set(Deliverable.objects.filter(theme__plan=plan).values_list("pk", flat=True))
    risks = client.get(reverse("risks:risk_list"))
    assert [row.record.pk for row in risks.context["table"].page.object_list] == [dorset_risk.pk]
    dashboard = client.get(reverse("dashboards:organisation", args=[dorset.slug]))
    assert dashboard.status_code == HTTPStatus.OK
    assert dashboard.context["figures"]["total"].count == len(listed)
    assert client.get(reverse("reports:board_report", args=[plan.pk])).status_code == HTTPStatus.OK
    assert client.get(dorset_risk.get_absolute_url()).status_code == HTTPStatus.OK
    # Darlington stays out of sight.
    darlington_plan = ODPlan.objects.get(organisation=darlington)
    assert client.get(darlington_plan.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND
    assert client.get(reverse("dashboards:organisation", args=[darlington.slug])).status_code == 403
    darlington_risk = Risk.objects.filter(organisation=darlington).first()
    assert client.get(darlington_risk.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND


def test_a_locality_member_changes_nothing_of_the_ccgs(client, locality_member, dorset, dorset_risk):
    deliverable = Deliverable.objects.filter(theme__plan__organisation=dorset).order_by("pk").first()
    plan = deliverable.theme.plan
    client.force_login(locality_member)
    page = client.get(deliverable.get_absolute_url())
    assert page.status_code == HTTPStatus.OK and page.context["form"] is None
    assert client.get(dorset_risk.get_absolute_url()).context["form"] is None
    version = deliverable.version
    forged = {"status": "delivered", "note": "forged", "version": version}
    assert client.post(deliverable.get_absolute_url(), forged).status_code == HTTPStatus.FORBIDDEN
    assert (
        client.post(reverse("plans:deliverable_status", args=[deliverable.pk]), forged).status_code
        == HTTPStatus.FORBIDDEN
    )
    review = {"severity": 1, "likelihood": 1, "residual_severity": 1, "residual_likelihood": 1}
    review.update(status="open", note="forged", version=dorset_risk.version)
    assert client.post(dorset_risk.get_absolute_url(), review).status_code == HTTPStatus.FORBIDDEN
    assert client.get(reverse("reports:cover_edit", args=[plan.pk])).status_code == HTTPStatus.FORBIDDEN
    deliverable.refresh_from_db()
    dorset_risk.refresh_from_db()
    assert (deliverable.version, dorset_risk.version) == (version, 1)
    assert not StatusUpdate.objects.filter(deliverable=deliverable).exists()
    assert not RiskReview.objects.filter(risk=dorset_risk).exists()
    assert BoardReport.objects.get(pk=1).version == 1


def test_the_deliverables_list_costs_a_locality_member_no_more_queries_than_ccg_staff(
    client, locality_member, staff_dorset, django_assert_max_num_queries
):
    client.force_login(staff_dorset)
    client.get(reverse("plans:deliverable_list"))
    cache.clear()  # counted as computed, not as read from the cache
    with django_assert_max_num_queries(30) as staff:
        client.get(reverse("plans:deliverable_list"))
    staff_queries = len(staff.captured_queries)
    assert staff_queries > 5
    client.force_login(locality_member)
    client.get(reverse("plans:deliverable_list"))
    cache.clear()  # counted as computed, not as read from the cache
    with django_assert_max_num_queries(staff_queries):
        assert client.get(reverse("plans:deliverable_list")).status_code == HTTPStatus.OK
