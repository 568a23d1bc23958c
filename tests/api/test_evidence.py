"""Evidence through the API: the library's rows per person and its filters, each item's links
(removed ones too), the files' fingerprints, the file itself with the evidence page's own
permission and headers, and the evidence ids on deliverables and risks."""

import datetime
from http import HTTPStatus

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from apps.evidence import services
from apps.evidence.files import check_upload
from apps.evidence.models import EvidenceRevision
from apps.organisations.models import Membership
from apps.plans.models import Deliverable
from apps.risks.models import Risk
from apps.risks.services import risk_create
from tests.evidence.factories import add_file, add_link
from tests.evidence.samples import PDF, PNG, upload

from .conftest import bearer, make_token
from .test_reads import api_ids, page_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_admin_dorset(dorset):
    from tests.factories import MembershipFactory, UserFactory

    user = UserFactory(username="t.orgadmin.dorset")
    MembershipFactory(user=user, organisation=dorset, role=Membership.Role.ORG_ADMIN)
    return user


@pytest.fixture
def library(dorset, darlington, staff_dorset, staff_darlington):
    """Dorset's evidence: minutes (two files) supporting a deliverable and a risk, a link once
    supporting a deliverable (the link removed), an expired link, an archived file; Darlington's:
    a file supporting one of its risks."""
    deliverable = Deliverable.objects.current().filter(theme__plan__organisation=dorset).first()
    risk = risk_create(
        organisation=dorset,
        acting_user=staff_dorset,
        values={
            "description": "Capacity",
            "severity": 4,
            "likelihood": 4,
            "residual_severity": 3,
            "residual_likelihood": 3,
        },
        note="Added.",
    )
    minutes = add_file(dorset, staff_dorset, review_on=datetime.date.today() + datetime.timedelta(days=10))
    services.evidence_add_revision(
        item_id=minutes.pk,
        acting_user=staff_dorset,
        expected_version=minutes.version,
        file=check_upload(upload("minutes-signed.png", PNG)),
        note="The signed copy.",
    )
    services.evidence_link(item=minutes, acting_user=staff_dorset, target={"deliverable": deliverable})
    services.evidence_link(item=minutes, acting_user=staff_dorset, target={"risk": risk})
    log = add_link(dorset, staff_dorset)
    removed = services.evidence_link(item=log, acting_user=staff_dorset, target={"deliverable": deliverable})
    services.evidence_unlink(
        link_id=removed.pk, acting_user=staff_dorset, expected_version=removed.version, note="Wrong one."
    )
    expired = add_link(dorset, staff_dorset, title="Old appraisal audit", review_on=datetime.date(2013, 1, 1))
    archived = add_file(dorset, staff_dorset, title="Draft minutes")
    services.evidence_edit.set_archived(
        pk=archived.pk,
        acting_user=staff_dorset,
        expected_version=archived.version,
        archived=True,
        note="Draft.",
    )
    darlington_risk = Risk.objects.current().filter(organisation=darlington).first()
    theirs = add_file(darlington, staff_darlington, title="Darlington risk workshop")
    services.evidence_link(item=theirs, acting_user=staff_darlington, target={"risk": darlington_risk})
    return {
        "deliverable": deliverable,
        "risk": risk,
        "minutes": minutes,
        "log": log,
        "removed link": removed,
        "expired": expired,
        "archived": archived,
        "darlington": theirs,
        "darlington risk": darlington_risk,
    }


ROLES = ["admin_user", "staff_dorset", "board_dorset", "org_admin_dorset", "staff_darlington", "no_role_user"]
FILTERS = [
    {},
    {"supports": "deliverable"},
    {"supports": "nothing"},
    {"kind": "link"},
    {"expired": "true"},
    {"expiring": "true"},
    {"without_file": "true"},
    {"q": "minutes"},
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("params", FILTERS)
def test_the_api_lists_exactly_the_evidence_the_library_lists(client, request, library, role, params):
    user = request.getfixturevalue(role)
    listed = page_ids(client, user, "evidence:item_list", "evidence", **params)
    assert sorted(api_ids(client, make_token(user), "evidence", **params)) == sorted(listed)
    if not params:
        expected = {
            "admin_user": {"minutes", "log", "expired", "darlington"},
            "staff_dorset": {"minutes", "log", "expired"},
            "board_dorset": {"minutes", "log", "expired"},
            "org_admin_dorset": {"minutes", "log", "expired"},
            "staff_darlington": {"darlington"},
            "no_role_user": set(),
        }[role]
        mine = {library[name].pk for name in ("minutes", "log", "expired", "darlington", "archived")}
        assert set(listed) & mine == {library[name].pk for name in expected}


def test_an_item_carries_its_links_removed_ones_too_and_its_latest_file(client, staff_dorset, library):
    token = make_token(staff_dorset)
    minutes = client.get(reverse("api:evidence-detail", args=[library["minutes"].pk]), **bearer(token)).json()
    assert {(link["kind"], link["record"], link["active"]) for link in minutes["links"]} == {
        ("deliverable", library["deliverable"].pk, True),
        ("risk", library["risk"].pk, True),
    }
    latest = library["minutes"].revisions.get(number=2)
    assert (minutes["latest_sha256"], minutes["latest_file_name"], minutes["has_file"]) == (
        latest.sha256,
        latest.original_name,
        True,
    )
    assert minutes["is_expiring"] and not minutes["is_expired"]
    log = client.get(reverse("api:evidence-detail", args=[library["log"].pk]), **bearer(token)).json()
    [link] = log["links"]
    assert (link["kind"], link["record"], link["active"]) == ("deliverable", library["deliverable"].pk, False)
    assert link["removed_at"] and log["kind"] == "link" and log["has_file"] is False
    # Archived evidence is out of the API as it is out of the library.
    archived = client.get(reverse("api:evidence-detail", args=[library["archived"].pk]), **bearer(token))
    assert archived.status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("role", ROLES)
def test_the_revisions_are_those_of_the_evidence_listed(client, request, library, role):
    user = request.getfixturevalue(role)
    token = make_token(user)
    items = set(api_ids(client, token, "evidence"))
    revisions = api_ids(client, token, "evidence-revision")
    assert sorted(revisions) == sorted(
        EvidenceRevision.objects.filter(item__in=items).values_list("pk", flat=True)
    )


def test_a_revisions_metadata(client, staff_dorset, library):
    token = make_token(staff_dorset)
    rows = client.get(
        reverse("api:evidence-revision-list"), {"item": library["minutes"].pk}, **bearer(token)
    ).json()["results"]
    assert [row["number"] for row in rows] == [1, 2]
    first, second = rows
    revision = EvidenceRevision.objects.get(pk=second["id"])
    assert second == {
        "id": revision.pk,
        "item": library["minutes"].pk,
        "number": 2,
        "sha256": revision.sha256,
        "size": len(PNG),
        "content_type": "image/png",
        "file_name": "minutes-signed.png",
        "uploaded_by": staff_dorset.pk,
        "uploaded_by_name": staff_dorset.get_full_name() or staff_dorset.get_username(),
        "uploaded_at": second["uploaded_at"],
        "note": "The signed copy.",
        "file": "http://testserver" + reverse("api:evidence-revision-file", args=[revision.pk]),
    }
    assert first["size"] == len(PDF) and first["content_type"] == "application/pdf"


DOWNLOAD_ROLES = [*ROLES, None]


@pytest.mark.parametrize("role", DOWNLOAD_ROLES)
@pytest.mark.parametrize("which", ["minutes", "archived", "darlington"])
def test_a_file_downloads_through_the_api_as_from_the_evidence_page(client, request, library, role, which):
    """The permission matrix of the evidence page's download, repeated for the API: the owning
    organisation's staff and administrators, its governing-body members and the site's
    administrators download the file (an archived item's too, as its page does); another
    organisation's staff and someone with no role get a 404; no token, a 401."""
    user = request.getfixturevalue(role) if role else None
    revision = library[which].revisions.order_by("number").first()
    if user:
        client.force_login(user)
    page = client.get(reverse("evidence:revision_download", args=[revision.pk]))
    client.logout()
    headers = bearer(make_token(user)) if user else {}
    api = client.get(reverse("api:evidence-revision-file", args=[revision.pk]), **headers)
    expected_page = {
        "admin_user": HTTPStatus.OK,
        "staff_dorset": HTTPStatus.OK if which != "darlington" else HTTPStatus.NOT_FOUND,
        "board_dorset": HTTPStatus.OK if which != "darlington" else HTTPStatus.NOT_FOUND,
        "org_admin_dorset": HTTPStatus.OK if which != "darlington" else HTTPStatus.NOT_FOUND,
        "staff_darlington": HTTPStatus.OK if which == "darlington" else HTTPStatus.NOT_FOUND,
        "no_role_user": HTTPStatus.NOT_FOUND,
        None: HTTPStatus.FOUND,  # to sign in
    }[role]
    assert page.status_code == expected_page
    signed_out = {HTTPStatus.FOUND: HTTPStatus.UNAUTHORIZED}
    assert api.status_code == signed_out.get(page.status_code, page.status_code)
    if api.status_code == HTTPStatus.OK:
        body = b"".join(api.streaming_content)
        assert body == b"".join(page.streaming_content) == PDF
        for header in ("Content-Type", "Content-Disposition", "X-Content-Type-Options", "Cache-Control"):
            assert api[header] == page[header], header
        assert api["Content-Disposition"].startswith("attachment;")
        assert api["X-Content-Type-Options"] == "nosniff"
        assert api["Content-Type"] == "application/pdf"


def test_a_file_asked_for_by_its_own_type_is_served(client, staff_dorset, library):
    revision = library["minutes"].revisions.get(number=2)
    response = client.get(
        reverse("api:evidence-revision-file", args=[revision.pk]),
        HTTP_ACCEPT="image/png",
        **bearer(make_token(staff_dorset)),
    )
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "image/png" and b"".join(response.streaming_content) == PNG


def test_a_missing_or_unknown_file_is_not_a_server_error(client, staff_dorset, library):
    token = make_token(staff_dorset)
    for pk in ("not-an-id", "0", str(2**70)):
        response = client.get(f"/api/v1/evidence-revisions/{pk}/file/", **bearer(token))
        assert response.status_code == HTTPStatus.NOT_FOUND, pk
    revision = library["minutes"].revisions.get(number=1)
    default_storage.delete(revision.file.name)
    response = client.get(reverse("api:evidence-revision-file", args=[revision.pk]), **bearer(token))
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert "missing" in response.json()["detail"]


def test_deliverables_and_risks_carry_their_current_evidence(client, staff_dorset, staff_darlington, library):
    token = make_token(staff_dorset)
    deliverable = client.get(
        reverse("api:deliverable-detail", args=[library["deliverable"].pk]), **bearer(token)
    ).json()
    assert deliverable["evidence"] == [library["minutes"].pk]  # not the link removed
    risk = client.get(reverse("api:risk-detail", args=[library["risk"].pk]), **bearer(token)).json()
    assert risk["evidence"] == [library["minutes"].pk]
    rows = client.get(reverse("api:risk-list"), {"page_size": 1000}, **bearer(make_token(staff_darlington)))
    by_id = {row["id"]: row["evidence"] for row in rows.json()["results"]}
    assert by_id[library["darlington risk"].pk] == [library["darlington"].pk]
    # An archived item no longer supports anything.
    services.evidence_edit.set_archived(
        pk=library["minutes"].pk,
        acting_user=staff_dorset,
        expected_version=library["minutes"].__class__.objects.get(pk=library["minutes"].pk).version,
        archived=True,
        note="Superseded.",
    )
    again = client.get(reverse("api:deliverable-detail", args=[library["deliverable"].pk]), **bearer(token))
    assert again.json()["evidence"] == []


def test_the_library_filters_reach_the_api_and_a_bad_value_is_a_400(client, staff_dorset, library):
    token = make_token(staff_dorset)
    for params in ({"supports": "everything"}, {"domain": "x"}, {"kind": "fax"}):
        response = client.get(reverse("api:evidence-list"), params, **bearer(token))
        assert response.status_code == HTTPStatus.BAD_REQUEST, params
    assert api_ids(client, token, "evidence", expired="true") == [library["expired"].pk]
