"""The pages' permission matrix, repeated for the API: for each role, a record the page shows is
one the API returns, a record the page refuses or hides the API does not find, a change the
page refuses the API refuses, and someone not signed in is asked to sign in (401)."""

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from apps.evidence.models import EvidenceItem
from apps.organisations.models import Membership
from apps.plans.models import Deliverable, ODPlan, SelfAssessment, StatusUpdate
from apps.risks.models import Risk, RiskReview
from tests.evidence.factories import add_file
from tests.reports.conftest import small_plan  # noqa: F401  the plan a paper is issued from
from tests.reports.helpers import issue

from .conftest import bearer, make_token

pytestmark = pytest.mark.django_db

ROLES = [
    "admin_user",
    "staff_dorset",
    "board_dorset",
    "org_admin_dorset",
    "staff_darlington",
    "no_role_user",
    None,
]


@pytest.fixture
def org_admin_dorset(dorset):
    from tests.factories import MembershipFactory, UserFactory

    user = UserFactory(username="t.orgadmin.dorset")
    MembershipFactory(user=user, organisation=dorset, role=Membership.Role.ORG_ADMIN)
    return user


@pytest.fixture
def records(dorset, darlington, staff_dorset, small_plan):  # noqa: F811
    client = Client()
    client.force_login(staff_dorset)
    paper = issue(client, small_plan)
    return {
        "dorset deliverable": Deliverable.objects.current().filter(theme__plan__organisation=dorset).first(),
        "darlington deliverable": Deliverable.objects.current()
        .filter(theme__plan__organisation=darlington)
        .first(),
        "darlington risk": Risk.objects.current().get(organisation=darlington, reference="R2"),
        "dorset plan": ODPlan.objects.filter(organisation=dorset).first(),
        "darlington plan": ODPlan.objects.filter(organisation=darlington).first(),
        "dorset paper": paper,
        "darlington self-assessment": SelfAssessment.objects.filter(organisation=darlington).first(),
        "dorset evidence": add_file(dorset, staff_dorset),
    }


def _page(record):
    if isinstance(record, SelfAssessment):
        return reverse("plans:self_assessment", args=[record.organisation.slug])
    return record.get_absolute_url()


def _api(record):
    name = {
        Deliverable: "deliverable",
        Risk: "risk",
        ODPlan: "plan",
        SelfAssessment: "self-assessment",
        EvidenceItem: "evidence",
    }.get(type(record), "paper")
    return reverse(f"api:{name}-detail", args=[record.pk])


def _expected(page_status):
    """What the API answers where the page answered ``page_status``."""
    return {
        HTTPStatus.OK: HTTPStatus.OK,
        HTTPStatus.NOT_FOUND: HTTPStatus.NOT_FOUND,
        HTTPStatus.FORBIDDEN: HTTPStatus.NOT_FOUND,  # no hint that another's record exists
        HTTPStatus.FOUND: HTTPStatus.UNAUTHORIZED,  # the page sends to sign in; a program gets a 401
    }[page_status]


@pytest.mark.parametrize("role", ROLES)
def test_the_api_reads_what_the_pages_show_each_role(client, request, role, records):
    user = request.getfixturevalue(role) if role else None
    headers = bearer(make_token(user)) if user else {}
    seen = {}
    for label, record in records.items():
        if user:
            client.force_login(user)
        page = client.get(_page(record)).status_code
        client.logout()
        api = client.get(_api(record), **headers).status_code
        seen[label] = (page, api)
        assert api == _expected(page), f"{role}: {label}: the page answered {page}, the API {api}"
        if label == "dorset paper":
            pdf_page = client.get(reverse("reports:paper_pdf", args=[record.pk]))
            if user:
                client.force_login(user)
                pdf_page = client.get(reverse("reports:paper_pdf", args=[record.pk]))
                client.logout()
            pdf_api = client.get(reverse("api:paper-pdf", args=[record.pk]), **headers)
            assert pdf_api.status_code == _expected(pdf_page.status_code)
            if pdf_api.status_code == HTTPStatus.OK:
                assert pdf_api["Content-Type"] == "application/pdf"
                assert pdf_api.content == pdf_page.content and pdf_api.content.startswith(b"%PDF")
    if role in ("admin_user", "staff_dorset", "board_dorset", "org_admin_dorset"):
        assert seen["dorset deliverable"] == (200, 200) and seen["dorset paper"] == (200, 200)
        assert seen["dorset evidence"] == (200, 200)
    if role in ("staff_dorset", "board_dorset", "no_role_user"):
        assert seen["darlington risk"][1] == 404
    if role in ("staff_darlington", "no_role_user"):
        assert seen["dorset evidence"][1] == 404


@pytest.mark.parametrize("role", ROLES)
def test_the_api_changes_what_the_pages_let_each_role_change(client, request, role, records):
    """The in-place status change of the list page and the API's, the risk review form and the
    API's: the same answer per role, and nothing changed where refused."""
    user = request.getfixturevalue(role) if role else None
    deliverable, risk = records["dorset deliverable"], records["darlington risk"]
    if user:
        client.force_login(user)
    page = client.post(
        reverse("plans:deliverable_status", args=[deliverable.pk]),
        {"status": "in_progress", "note": "From the page.", "version": deliverable.version},
    ).status_code
    review_page = client.post(
        risk.get_absolute_url(),
        {
            "severity": risk.severity,
            "likelihood": risk.likelihood,
            "residual_severity": risk.residual_severity,
            "residual_likelihood": risk.residual_likelihood,
            "mitigation": risk.mitigation,
            "owner": "",
            "next_review_on": "",
            "status": risk.status,
            "note": "From the page.",
            "version": risk.version,
        },
    ).status_code
    client.logout()
    page_changed = StatusUpdate.objects.filter(deliverable=deliverable, note="From the page.").exists()
    page_reviewed = RiskReview.objects.filter(risk=risk, note="From the page.").exists()
    deliverable.refresh_from_db()
    risk.refresh_from_db()

    headers = bearer(make_token(user)) if user else {}
    api = client.post(
        reverse("api:deliverable-status-change", args=[deliverable.pk]),
        {"status": "not_started", "note": "From the API.", "version": deliverable.version},
        content_type="application/json",
        **headers,
    ).status_code
    review_api = client.post(
        reverse("api:risk-review", args=[risk.pk]),
        {"note": "From the API.", "version": risk.version},
        content_type="application/json",
        **headers,
    ).status_code
    api_changed = StatusUpdate.objects.filter(deliverable=deliverable, note="From the API.").exists()
    api_reviewed = RiskReview.objects.filter(risk=risk, note="From the API.").exists()

    assert (page_changed, page_reviewed) == (api_changed, api_reviewed), role
    assert api == (HTTPStatus.OK if page_changed else _refusal(page)), (role, page, api)
    assert review_api == (HTTPStatus.OK if page_reviewed else _refusal(review_page)), (role, review_page)
    expected = {
        "admin_user": (True, True),
        "staff_dorset": (True, False),
        "org_admin_dorset": (True, False),
        "staff_darlington": (False, True),
    }.get(role, (False, False))
    assert (api_changed, api_reviewed) == expected, role


def _refusal(page_status):
    """The API's refusal where the page refused with ``page_status``: 403 where the page let the
    role read the record (board members), 404 where it hid it, 401 for no sign-in."""
    return {
        HTTPStatus.FORBIDDEN: HTTPStatus.FORBIDDEN,
        HTTPStatus.NOT_FOUND: HTTPStatus.NOT_FOUND,
        HTTPStatus.FOUND: HTTPStatus.UNAUTHORIZED,
    }[page_status]
