"""The API's two writes go through the pages' services and the one edit path: the version
required, a 409 with the current state, the pages' permissions, and history rows that name the
token's owner and say the change came through the API."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from apps.api.models import AccessToken
from apps.organisations.models import Membership
from apps.plans.models import Deliverable, StatusUpdate
from apps.risks.models import Risk, RiskReview
from tests.factories import MembershipFactory, UserFactory

from .conftest import make_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliverable(dorset):
    return (
        Deliverable.objects.current()
        .filter(theme__plan__organisation=dorset)
        .exclude(status="delivered")
        .first()
    )


@pytest.fixture
def risk(darlington):
    return Risk.objects.get(organisation=darlington, reference="R2")  # 4 x 4, residual 4 x 3


@pytest.fixture
def board_darlington(darlington):
    user = UserFactory(username="t.board.darlington")
    MembershipFactory(user=user, organisation=darlington, role=Membership.Role.GOVERNING_BODY)
    return user


def status_url(d):
    return reverse("api:deliverable-status-change", args=[d.pk])


def review_url(r):
    return reverse("api:risk-review", args=[r.pk])


def test_staff_change_a_status_through_the_api_and_the_history_names_them(api, staff_dorset, deliverable):
    token = make_token(staff_dorset)
    prefix = AccessToken.objects.get(user=staff_dorset).prefix
    response = api(
        token,
        status_url(deliverable),
        {"status": "delivered", "note": "Done.", "version": deliverable.version},
        "post",
    )
    assert response.status_code == HTTPStatus.OK, response.content
    body = response.json()
    assert body["status"] == "delivered" and body["version"] == deliverable.version + 1
    update = StatusUpdate.objects.filter(deliverable=deliverable).latest("created_at")
    assert (update.created_by, update.from_status, update.to_status, update.note) == (
        staff_dorset,
        deliverable.status,
        "delivered",
        "Done.",
    )
    context = update.audit_context.metadata
    assert context["via"] == "api" and context["api_token"] == prefix
    assert context["user"] == staff_dorset.pk
    # The deliverable's page says how the change was made.
    from apps.core.history.audit import audit_events

    assert audit_events(deliverable)[0].what == "Changed through the API"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"status": "delivered", "note": "Done."}, "version"),
        ({"note": "Done.", "version": 1}, "status"),
        ({"status": "not-a-status", "note": "Done.", "version": 1}, "status"),
        ({"status": "delivered", "note": "Done.", "version": "one"}, "version"),
    ],
)
def test_a_status_change_without_its_version_or_status_is_a_400(api, staff_dorset, deliverable, body, field):
    before = deliverable.status
    response = api(staff_dorset, status_url(deliverable), body, "post")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()
    deliverable.refresh_from_db()
    assert deliverable.status == before


def test_the_services_own_rule_is_a_400_with_its_message(api, staff_dorset, deliverable):
    response = api(
        staff_dorset, status_url(deliverable), {"status": "delivered", "version": deliverable.version}, "post"
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "progress note" in response.json()["note"][0]


def test_a_stale_version_is_a_409_with_the_current_state(api, staff_dorset, deliverable):
    token = make_token(staff_dorset)
    old = deliverable.version
    assert (
        api(
            token,
            status_url(deliverable),
            {"status": "in_progress", "note": "Begun.", "version": old},
            "post",
        ).status_code
        == 200
    )
    response = api(
        token, status_url(deliverable), {"status": "delivered", "note": "Done.", "version": old}, "post"
    )
    assert response.status_code == HTTPStatus.CONFLICT
    current = response.json()["current"]
    assert current["status"] == "in_progress" and current["version"] == old + 1
    deliverable.refresh_from_db()
    assert deliverable.status == "in_progress"


def test_write_permissions_follow_the_pages(
    api, deliverable, board_dorset, staff_darlington, admin_user, no_role_user
):
    body = {"status": "delivered", "note": "Done.", "version": deliverable.version}
    assert api(board_dorset, status_url(deliverable), body, "post").status_code == HTTPStatus.FORBIDDEN
    assert api(staff_darlington, status_url(deliverable), body, "post").status_code == HTTPStatus.NOT_FOUND
    assert api(no_role_user, status_url(deliverable), body, "post").status_code == HTTPStatus.NOT_FOUND
    deliverable.refresh_from_db()
    assert deliverable.status != "delivered"
    assert api(admin_user, status_url(deliverable), body, "post").status_code == HTTPStatus.OK


def test_a_read_only_token_changes_nothing(api, staff_dorset, deliverable):
    token = make_token(staff_dorset, scope=AccessToken.Scope.READ)
    body = {"status": "delivered", "note": "Done.", "version": deliverable.version}
    assert api(token, status_url(deliverable), body, "post").status_code == HTTPStatus.FORBIDDEN
    assert api(token, reverse("api:deliverable-detail", args=[deliverable.pk])).status_code == HTTPStatus.OK
    deliverable.refresh_from_db()
    assert deliverable.status != "delivered"


def test_a_session_write_needs_the_csrf_token(client, staff_dorset, deliverable):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(staff_dorset)
    response = strict.post(
        status_url(deliverable),
        {"status": "delivered", "note": "Done.", "version": deliverable.version},
        content_type="application/json",
    )
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_staff_review_a_risk_through_the_api(api, staff_darlington, risk):
    token = make_token(staff_darlington)
    body = {"residual_likelihood": 2, "note": "Controls now working.", "version": risk.version}
    response = api(token, review_url(risk), body, "post")
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json()["residual_likelihood"] == 2
    assert response.json()["residual_rating"] == 8
    review = RiskReview.objects.filter(risk=risk).latest("created_at")
    assert (review.reviewed_by, review.residual_likelihood_before, review.residual_likelihood_after) == (
        staff_darlington,
        3,
        2,
    )
    assert review.audit_context.metadata["via"] == "api"
    risk.refresh_from_db()
    assert (risk.severity, risk.likelihood, risk.residual_severity) == (4, 4, 4)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"note": "Reviewed."}, "version"),
        ({"version": 1}, "note"),
        ({"severity": 6, "note": "Reviewed.", "version": 1}, "severity"),
        ({"next_review_on": "tomorrow", "note": "Reviewed.", "version": 1}, "next_review_on"),
    ],
)
def test_a_review_without_its_version_or_note_is_a_400(api, staff_darlington, risk, body, field):
    response = api(staff_darlington, review_url(risk), body, "post")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.json()


def test_a_residual_above_the_inherent_is_refused_with_the_models_message(api, staff_darlington, risk):
    body = {"residual_severity": 5, "residual_likelihood": 5, "note": "Reviewed.", "version": risk.version}
    response = api(staff_darlington, review_url(risk), body, "post")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "mitigation does not make a risk worse" in str(response.json())
    assert not RiskReview.objects.filter(risk=risk, note="Reviewed.").exists()


def test_a_stale_review_is_a_409_with_the_current_state(api, staff_darlington, risk):
    token = make_token(staff_darlington)
    old = risk.version
    assert (
        api(token, review_url(risk), {"likelihood": 3, "note": "First.", "version": old}, "post").status_code
        == 200
    )
    response = api(token, review_url(risk), {"likelihood": 5, "note": "Second.", "version": old}, "post")
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["current"]["likelihood"] == 3
    assert response.json()["current"]["version"] == old + 1


def test_review_permissions_follow_the_pages(api, risk, board_darlington, staff_dorset, admin_user):
    body = {"likelihood": 3, "note": "Reviewed.", "version": risk.version}
    assert api(board_darlington, review_url(risk), body, "post").status_code == HTTPStatus.FORBIDDEN
    assert api(staff_dorset, review_url(risk), body, "post").status_code == HTTPStatus.NOT_FOUND
    assert not RiskReview.objects.filter(risk=risk, note="Reviewed.").exists()
    assert api(admin_user, review_url(risk), body, "post").status_code == HTTPStatus.OK
