"""The API's read endpoints: the same rows per person as the pages, the pages' filters, cursor
pagination, and a fixed number of queries whatever the number of rows."""

import re
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.urls import reverse

from apps.organisations import permissions
from apps.organisations.models import Organisation
from apps.plans.models import Deliverable
from apps.risks.models import Risk
from tests.plans.factories import DeliverableFactory, ThemeFactory
from tests.risks.factories import RiskFactory

from .conftest import bearer, make_token

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    "organisation",
    "plan",
    "theme",
    "objective",
    "deliverable",
    "status-update",
    "risk",
    "risk-review",
    "self-assessment",
    "paper",
    "evidence",
    "evidence-revision",
]


def api_ids(client, token, name, **params):
    """Every id the API lists at ``name`` with ``params``, following the cursor's ``next``."""
    ids, url, query = [], reverse(f"api:{name}-list"), {**params, "page_size": 100}
    while url:
        response = client.get(url, query, **bearer(token))
        assert response.status_code == HTTPStatus.OK, response.content
        body = response.json()
        ids += [row["id"] for row in body["results"]]
        url, query = body["next"], None
    return ids


def page_ids(client, user, url_name, prefix, **params):
    """Every id the list page shows with ``params``, page after page."""
    client.force_login(user)
    ids, page = [], 1
    while True:
        response = client.get(reverse(url_name), {**params, "per_page": 500, "page": page})
        if response.status_code != HTTPStatus.OK:
            break
        found = [int(i) for i in re.findall(rf'<tr[^>]* id="{prefix}-(\d+)"', response.content.decode())]
        if not found or set(found) <= set(ids):
            break
        ids += found
        page += 1
    client.logout()
    return ids


@pytest.mark.parametrize("name", ENDPOINTS)
def test_every_list_refuses_a_request_without_a_token(client, name):
    response = client.get(reverse(f"api:{name}-list"))
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("name", ENDPOINTS)
def test_every_list_answers_a_member_with_a_token(client, staff_dorset, name):
    response = client.get(reverse(f"api:{name}-list"), **bearer(make_token(staff_dorset)))
    assert response.status_code == HTTPStatus.OK
    assert set(response.json()) >= {"results", "next", "previous"}


ROLES = ["admin_user", "staff_dorset", "board_dorset", "staff_darlington", "no_role_user"]
FILTERS = [{}, {"status": "in_progress"}, {"q": "governance"}, {"overdue": "true"}]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("params", FILTERS)
def test_the_api_lists_exactly_the_deliverables_the_page_lists(client, request, role, params):
    user = request.getfixturevalue(role)
    token = make_token(user)
    listed = page_ids(client, user, "plans:deliverable_list", "deliverable", **params)
    assert sorted(api_ids(client, token, "deliverable", **params)) == sorted(listed)
    if role != "no_role_user" and not params:
        assert listed, "the seed gives every member something to see"


RISK_FILTERS = [{}, {"band": "extreme"}, {"status": "open", "q": "capacity"}, {"review_overdue": "true"}]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("params", RISK_FILTERS)
def test_the_api_lists_exactly_the_risks_the_page_lists(client, request, role, params):
    user = request.getfixturevalue(role)
    token = make_token(user)
    listed = page_ids(client, user, "risks:risk_list", "risk", **params)
    assert sorted(api_ids(client, token, "risk", **params)) == sorted(listed)


def test_another_organisations_records_are_not_found(client, staff_dorset, darlington):
    token = make_token(staff_dorset)
    risk = Risk.objects.filter(organisation=darlington).first()
    deliverable = Deliverable.objects.filter(theme__plan__organisation=darlington).first()
    for name, pk in (("risk", risk.pk), ("deliverable", deliverable.pk)):
        assert client.get(reverse(f"api:{name}-detail", args=[pk]), **bearer(token)).status_code == 404


def test_organisations_carry_the_hierarchy(client, staff_dorset, dorset, darlington):
    """Every organisation, as the organisation pages show them to anyone signed in, and which of
    them the person reads the OD data of."""
    token = make_token(staff_dorset)
    listed = client.get(reverse("api:organisation-list"), {"page_size": 1000}, **bearer(token)).json()
    rows = {row["id"]: row for row in listed["results"]}
    assert set(rows) == set(Organisation.objects.values_list("pk", flat=True))
    readable = {pk for pk, row in rows.items() if row["readable"]}
    assert readable == set(permissions.visible_organisation_ids(staff_dorset))
    assert rows[darlington.pk]["readable"] is False
    assert rows[dorset.pk]["kind"] == "ccg"
    assert rows[dorset.pk]["parent"] == dorset.parent_id
    children = [row for row in rows.values() if row["parent"] == dorset.pk]
    assert children, "Dorset's localities are beneath it"
    within = client.get(
        reverse("api:organisation-list"), {"within": dorset.pk, "page_size": 1000}, **bearer(token)
    ).json()
    assert {row["id"] for row in within["results"]} == set(Organisation.objects.beneath_ids([dorset.pk]))
    assert {row["id"] for row in children} < {row["id"] for row in within["results"]}


def test_a_bad_filter_value_is_a_400_not_a_500(client, staff_dorset):
    token = make_token(staff_dorset)
    for params in ({"status": "nonsense"}, {"deadline_after": "not a date"}, {"organisation": "x"}):
        response = client.get(reverse("api:deliverable-list"), params, **bearer(token))
        assert response.status_code == HTTPStatus.BAD_REQUEST, params


def test_cursor_pages_read_every_row_once(client, admin_user, dorset):
    theme = ThemeFactory(plan__organisation=dorset)
    DeliverableFactory.create_batch(25, theme=theme)
    token = make_token(admin_user)
    ids = api_ids(client, token, "deliverable", plan=theme.plan_id)
    assert len(ids) == len(set(ids)) == 25
    first = client.get(
        reverse("api:deliverable-list"), {"plan": theme.plan_id, "page_size": 10}, **bearer(token)
    )
    body = first.json()
    assert len(body["results"]) == 10 and "cursor=" in body["next"]


def test_a_deliverable_shows_no_field_kept_for_administrators(client, staff_dorset):
    token = make_token(staff_dorset)
    row = client.get(reverse("api:deliverable-list"), **bearer(token)).json()["results"][0]
    assert "source_status" not in row
    assert {"id", "status", "version", "theme", "plan", "organisation", "web_page"} <= set(row)


BOUNDS = {
    "organisation": 12,
    "plan": 12,
    "theme": 12,
    "objective": 12,
    "deliverable": 15,
    "status-update": 12,
    "risk": 15,
    "risk-review": 12,
    "self-assessment": 13,
    "paper": 12,
    "evidence": 13,
    "evidence-revision": 12,
}


def _more_of_everything(dorset, user):
    """Sixty more rows of every kind the lists read: organisations, plans, themes, objectives,
    deliverables (with owners and domains), status updates, risks (with domains), reviews,
    self-assessments (with scores), and evidence (with files, supporting the deliverables and
    the risks)."""
    from apps.plans.models import (
        AuthorisationDomain,
        Objective,
        SelfAssessment,
        SelfAssessmentScore,
        StatusUpdate,
    )
    from apps.risks.models import RiskReview
    from tests.factories import OrganisationFactory

    domains = list(AuthorisationDomain.objects.all())
    localities = OrganisationFactory.create_batch(60, parent=dorset, kind="locality")
    themes = [ThemeFactory(plan__organisation=locality) for locality in localities]
    Objective.objects.bulk_create([Objective(theme=t, position=1, text="An objective.") for t in themes])
    deliverables = [DeliverableFactory(theme=t, owner=user) for t in themes]
    for deliverable in deliverables:
        deliverable.domains.set(domains[:2])
    StatusUpdate.objects.bulk_create(
        [
            StatusUpdate(deliverable=d, created_by=user, from_status="not_started", to_status="in_progress")
            for d in deliverables
        ]
    )
    risks = RiskFactory.create_batch(60, organisation=dorset, owner=user)
    for risk in risks:
        risk.domains.set(domains[:2])
    scores = {
        f"{name}_{when}": 2
        for name in ("severity", "likelihood", "residual_severity", "residual_likelihood")
        for when in ("before", "after")
    }
    RiskReview.objects.bulk_create(
        [RiskReview(risk=r, reviewed_by=user, note="Reviewed.", **scores) for r in risks]
    )
    for locality in localities:
        assessment = SelfAssessment.objects.create(organisation=locality, assessed_label="2013")
        SelfAssessmentScore.objects.bulk_create(
            [SelfAssessmentScore(assessment=assessment, domain=d, score_percent=50) for d in domains]
        )
    _more_evidence(localities, deliverables, risks, user)


def _more_evidence(localities, deliverables, risks, user):
    """An item of each locality with two files, supporting a deliverable and a risk (and once
    another deliverable: the link removed)."""
    import datetime

    from django.utils import timezone

    from apps.evidence.models import EvidenceItem, EvidenceLink, EvidenceRevision

    items = EvidenceItem.objects.bulk_create(
        [
            EvidenceItem(organisation=o, title="Minutes", speaks_for=datetime.date(2013, 1, 1), added_by=user)
            for o in localities
        ]
    )
    EvidenceRevision.objects.bulk_create(
        [
            EvidenceRevision(
                item=item,
                number=number,
                file=f"evidence/{item.pk}-{number}.pdf",
                sha256="0" * 64,
                size=10,
                content_type="application/pdf",
                original_name="minutes.pdf",
                uploaded_by=user,
            )
            for item in items
            for number in (1, 2)
        ]
    )
    now = timezone.now()
    EvidenceLink.objects.bulk_create(
        [
            link
            for item, deliverable, risk, other in zip(
                items, deliverables, risks, deliverables[1:] + deliverables[:1], strict=True
            )
            for link in (
                EvidenceLink(item=item, deliverable=deliverable, added_by=user),
                EvidenceLink(item=item, risk=risk, added_by=user),
                EvidenceLink(item=item, deliverable=other, added_by=user, removed_at=now),
            )
        ]
    )


@pytest.mark.parametrize("name", ENDPOINTS)
def test_query_count_stays_fixed_from_few_rows_to_many(
    client, admin_user, dorset, name, django_assert_max_num_queries
):
    from apps.evidence.services import evidence_link
    from tests.evidence.factories import add_file

    token = make_token(admin_user)
    url = reverse(f"api:{name}-list")
    # A little evidence to start with (the seed has none): an empty list skips its prefetches.
    deliverable = Deliverable.objects.current().filter(theme__plan__organisation=dorset).first()
    evidence_link(
        item=add_file(dorset, admin_user), acting_user=admin_user, target={"deliverable": deliverable}
    )
    client.get(url, **bearer(token))  # the token's first use writes its "last used"
    cache.clear()
    with django_assert_max_num_queries(BOUNDS[name]) as baseline:
        assert client.get(url, {"page_size": 1000}, **bearer(token)).status_code == HTTPStatus.OK
    _more_of_everything(dorset, admin_user)
    cache.clear()
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        assert client.get(url, {"page_size": 1000}, **bearer(token)).status_code == HTTPStatus.OK


def test_a_moment_with_an_offset_postgresql_refuses_is_read_in_utc(client, staff_dorset):
    """Found by the schema tests: "-18:22" was a 500 on the deliverables page and in the API."""
    token = make_token(staff_dorset)
    moment = {"changed_after": "2013-10-18T08:57:52-18:22"}
    assert client.get(reverse("api:deliverable-list"), moment, **bearer(token)).status_code == HTTPStatus.OK
    assert (
        client.get(
            reverse("api:status-update-list"), {"created_after": moment["changed_after"]}, **bearer(token)
        ).status_code
        == HTTPStatus.OK
    )
    client.force_login(staff_dorset)
    assert client.get(reverse("plans:deliverable_list"), moment).status_code == HTTPStatus.OK
    too_far = client.get(
        reverse("api:deliverable-list"), {"changed_after": "9999-12-31T23:59:59-15:00"}, **bearer(token)
    )
    assert too_far.status_code == HTTPStatus.BAD_REQUEST
