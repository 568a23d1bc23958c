"""The API's Board Assurance Framework endpoints: the principal risks the pages list per role
(the pages' filterset), the ratings and outside appetite as the framework computes them, the
related records by id, the pages' permission matrix, and a fixed number of queries whatever the
size of the framework."""

from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from apps.assurance.models import PrincipalRisk
from tests.factories import OrganisationFactory

from .assurance_data import build_framework
from .conftest import bearer, make_token
from .test_reads import api_ids, page_ids

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    "strategic-objective",
    "principal-risk",
    "control",
    "assurance",
    "gap",
    "risk-appetite",
    "committee",
]
ROLES = ["admin_user", "staff_dorset", "board_dorset", "staff_darlington", "no_role_user"]


@pytest.fixture
def framework(dorset):
    return build_framework(dorset, 4)


@pytest.mark.parametrize("name", ENDPOINTS)
def test_every_framework_list_refuses_a_request_without_a_token(client, name):
    response = client.get(reverse(f"api:{name}-list"))
    assert response.status_code == HTTPStatus.UNAUTHORIZED
    assert response["WWW-Authenticate"].startswith("Bearer")


PRINCIPAL_RISK_FILTERS = [
    {},
    {"outside_appetite": "true"},
    {"outside_appetite": "false", "category": "finance"},
    {"weak_assurance": "true"},
    {"overdue_actions": "true"},
    {"q": "financial balance"},
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("params", PRINCIPAL_RISK_FILTERS)
def test_the_api_lists_exactly_the_principal_risks_the_page_lists(client, request, framework, role, params):
    """Dorset's framework (made here) and Darlington's (the seed's nine risks), as each role
    sees them on the principal risks' list page and through the API, with the page's filters."""
    user = request.getfixturevalue(role)
    listed = page_ids(client, user, "assurance:principal_risk_list", "principal-risk", **params)
    assert sorted(api_ids(client, make_token(user), "principal-risk", **params)) == sorted(listed)
    if not params:
        expected = {
            "admin_user": PrincipalRisk.objects.current().count(),
            "staff_dorset": 4,
            "board_dorset": 4,
            "staff_darlington": 9,
            "no_role_user": 0,
        }[role]
        assert len(listed) == expected


def test_the_committee_filter_is_the_pages_and_another_organisations_committee_is_a_400(
    client, framework, staff_dorset, darlington
):
    from apps.assurance.models import Committee

    token = make_token(staff_dorset)
    ids = api_ids(client, token, "principal-risk", committee=framework["committee"].pk)
    assert sorted(ids) == sorted(p.pk for p in framework["principal_risks"])
    theirs = (
        Committee.objects.filter(organisation=darlington).first()
        or build_framework(darlington, 1)["committee"]
    )
    response = client.get(reverse("api:principal-risk-list"), {"committee": theirs.pk}, **bearer(token))
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_a_principal_risk_carries_its_ratings_appetite_and_relations(client, framework, board_dorset):
    token = make_token(board_dorset)
    rows = {
        row["id"]: row
        for row in client.get(reverse("api:principal-risk-list"), **bearer(token)).json()["results"]
    }
    first, second = framework["principal_risks"][:2]
    row = rows[first.pk]
    assert (row["inherent_severity"], row["inherent_likelihood"], row["inherent_rating"]) == (5, 4, 20)
    assert (row["current_severity"], row["current_likelihood"], row["current_rating"]) == (4, 3, 12)
    assert (row["target_severity"], row["target_likelihood"], row["target_rating"]) == (2, 2, 4)
    # No tolerance of its own: the finance appetite's 9, which 12 is above.
    assert (row["tolerance"], row["tolerance_in_force"], row["outside_appetite"]) == (None, 9, True)
    assert row["category"] == "finance" and row["category_label"] == "Finance"
    assert row["objectives"] == [framework["objectives"][0].pk]
    assert row["committee"] == framework["committee"].pk
    assert row["organisation"] == first.risk.organisation_id and row["risk"] == first.risk_id
    assert row["web_page"].endswith(first.get_absolute_url())
    other = rows[second.pk]
    # A tolerance of its own (20), above its current 4 x 2: inside; no target yet.
    assert (other["tolerance_in_force"], other["outside_appetite"], other["target_rating"]) == (
        20,
        False,
        None,
    )
    assert other["objectives"] == sorted(o.pk for o in framework["objectives"])
    # The one definition and its Python twin agree with what the API says.
    appetites = {"finance": 9}
    for principal in PrincipalRisk.objects.filter(pk__in=rows).select_related("risk"):
        assert rows[principal.pk]["outside_appetite"] == principal.is_outside_appetite(appetites)


def test_controls_assurances_and_gaps_carry_their_parts(client, framework, board_dorset):
    token = make_token(board_dorset)
    principal = framework["principal_risks"][0]

    def listed(name, **params):
        url = reverse(f"api:{name}-list")
        return client.get(url, {"page_size": 1000, **params}, **bearer(token)).json()["results"]

    controls = listed("control", principal_risk=principal.pk)
    assert [c["id"] for c in controls] == sorted(c.pk for c in principal.controls.all())
    assert controls[0]["effectiveness"] == "partly" and controls[0]["owner"] == "Chief Finance Officer"
    assurances = listed("assurance", principal_risk=principal.pk)
    assert len(assurances) == 2
    limited = [a for a in assurances if a["level"] == "limited"]
    assert len(limited) == 1
    assert limited[0]["line"] == "management" and limited[0]["line_label"] == "First line: management"
    assert limited[0]["received_on"] == "2013-04-01" and limited[0]["committee"] == framework["committee"].pk
    assert limited[0]["principal_risk"] == principal.pk
    gaps = listed("gap", principal_risk=principal.pk)
    opened = [g for g in gaps if not g["closed"]]
    closed = [g for g in gaps if g["closed"]]
    assert len(opened) == len(closed) == 1
    assert opened[0]["kind"] == "control" and opened[0]["deliverables"] == [framework["deliverable"].pk]
    assert closed[0]["kind"] == "assurance" and closed[0]["closed_on"] == "2013-05-01"
    assert [g["id"] for g in listed("gap", principal_risk=principal.pk, closed="false")] == [opened[0]["id"]]
    appetites = listed("risk-appetite", organisation=principal.risk.organisation_id)
    assert [(a["category"], a["level"], a["tolerance"]) for a in appetites] == [("finance", "cautious", 9)]
    committees = listed("committee", organisation=principal.risk.organisation_id)
    assert [c["id"] for c in committees] == [framework["committee"].pk]
    objectives = listed("strategic-objective", organisation=principal.risk.organisation_id)
    assert {o["id"] for o in objectives} == {o.pk for o in framework["objectives"]}
    assert all(o["wording"] for o in objectives)


# --- The permission matrix ---------------------------------------------------------------------

MATRIX_ROLES = ["admin_user", "staff_dorset", "board_dorset", "staff_darlington", "no_role_user", None]


def _page_of(name, record):
    """The page that shows the record: its own where it has one, else its organisation's
    framework (the controls, assurances and gaps are on their principal risk's page)."""
    if name == "principal-risk":
        return reverse("assurance:principal_risk_detail", args=[record.pk])
    if name == "committee":
        return reverse("assurance:committee_detail", args=[record.pk])
    if name in ("control", "gap"):
        return reverse("assurance:principal_risk_detail", args=[record.principal_risk_id])
    if name == "assurance":
        return reverse("assurance:principal_risk_detail", args=[record.control.principal_risk_id])
    return reverse("assurance:framework", args=[record.organisation.slug])


def _expected(page_status):
    return {
        HTTPStatus.OK: HTTPStatus.OK,
        HTTPStatus.NOT_FOUND: HTTPStatus.NOT_FOUND,
        HTTPStatus.FORBIDDEN: HTTPStatus.NOT_FOUND,  # no hint that another's record exists
        HTTPStatus.FOUND: HTTPStatus.UNAUTHORIZED,  # the page sends to sign in; a program gets a 401
    }[page_status]


@pytest.mark.parametrize("role", MATRIX_ROLES)
def test_the_api_reads_the_framework_the_pages_show_each_role(client, request, role, framework):
    user = request.getfixturevalue(role) if role else None
    headers = bearer(make_token(user)) if user else {}
    records = {
        "strategic-objective": framework["objectives"][0],
        "principal-risk": framework["principal_risks"][0],
        "control": framework["controls"][0],
        "assurance": framework["assurances"][0],
        "gap": framework["gaps"][0],
        "risk-appetite": framework["appetite"],
        "committee": framework["committee"],
    }
    page_client = Client()
    if user:
        page_client.force_login(user)
    seen = {}
    for name, record in records.items():
        page = page_client.get(_page_of(name, record)).status_code
        api = client.get(reverse(f"api:{name}-detail", args=[record.pk]), **headers).status_code
        listed = client.get(reverse(f"api:{name}-list"), {"page_size": 1000}, **headers)
        seen[name] = api
        assert api == _expected(page), f"{role}: {name}: the page answered {page}, the API {api}"
        if user:
            ids = {row["id"] for row in listed.json()["results"]}
            assert (record.pk in ids) == (api == HTTPStatus.OK), (role, name)
        else:
            assert listed.status_code == HTTPStatus.UNAUTHORIZED
    expected = {
        "admin_user": HTTPStatus.OK,
        "staff_dorset": HTTPStatus.OK,
        "board_dorset": HTTPStatus.OK,  # a board member reads the framework
        "staff_darlington": HTTPStatus.NOT_FOUND,  # another organisation sees nothing of it
        "no_role_user": HTTPStatus.NOT_FOUND,
        None: HTTPStatus.UNAUTHORIZED,
    }[role]
    assert set(seen.values()) == {expected}, (role, seen)


def test_the_framework_endpoints_are_read_only(client, framework, admin_user):
    token = make_token(admin_user)
    principal = framework["principal_risks"][0]
    for method in ("post", "put", "patch", "delete"):
        url = reverse(
            "api:principal-risk-detail" if method != "post" else "api:principal-risk-list",
            **({"args": [principal.pk]} if method != "post" else {}),
        )
        response = getattr(client, method)(url, {}, content_type="application/json", **bearer(token))
        assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED, method
    principal.refresh_from_db()
    assert principal.version == 1


def test_an_archived_risks_framework_records_leave_the_api_as_they_leave_the_pages(
    client, framework, staff_dorset
):
    from django.utils import timezone

    principal = framework["principal_risks"][0]
    type(principal.risk).objects.filter(pk=principal.risk_id).update(archived_at=timezone.now())
    token = make_token(staff_dorset)
    for name, pk in (
        ("principal-risk", principal.pk),
        ("control", principal.controls.first().pk),
        ("assurance", principal.controls.first().assurances.first().pk),
        ("gap", principal.gaps.first().pk),
    ):
        assert client.get(reverse(f"api:{name}-detail", args=[pk]), **bearer(token)).status_code == 404, name
    client.force_login(staff_dorset)
    assert client.get(reverse("assurance:principal_risk_detail", args=[principal.pk])).status_code == 404


# --- Queries -----------------------------------------------------------------------------------

BOUNDS = {name: 12 for name in ENDPOINTS} | {"principal-risk": 13, "gap": 13}


@pytest.mark.parametrize("name", ENDPOINTS)
def test_query_count_stays_fixed_from_a_small_framework_to_a_large_one(
    client, admin_user, dorset, name, django_assert_max_num_queries
):
    build_framework(dorset, 2)
    token = make_token(admin_user)
    url = reverse(f"api:{name}-list")
    client.get(url, **bearer(token))  # the token's first use writes its "last used"
    cache.clear()
    with django_assert_max_num_queries(BOUNDS[name]) as baseline:
        response = client.get(url, {"page_size": 1000}, **bearer(token))
    assert response.status_code == HTTPStatus.OK
    small = len(response.json()["results"])
    for i in range(6):
        build_framework(OrganisationFactory(parent=dorset, kind="locality"), 8, label=str(i))
    cache.clear()
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        response = client.get(url, {"page_size": 1000}, **bearer(token))
    assert response.status_code == HTTPStatus.OK
    assert len(response.json()["results"]) > small
