"""Personal access tokens: made on their owner's page and shown once, stored as a SHA-256 only,
refused once revoked or expired, revoked by their owner or an organisation administrator of
theirs, throttled per token."""

import datetime
import hashlib
import re
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.api.models import AccessToken
from apps.api.services import token_create
from apps.organisations.models import Membership
from tests.factories import MembershipFactory, UserFactory

from .conftest import bearer, make_token

pytestmark = pytest.mark.django_db
MY = reverse("tokens:my_tokens")
LIST = reverse("api:deliverable-list")


@pytest.fixture
def org_admin_dorset(dorset):
    user = UserFactory(username="t.orgadmin.dorset")
    MembershipFactory(user=user, organisation=dorset, role=Membership.Role.ORG_ADMIN)
    return user


def test_a_person_makes_a_token_on_their_page_and_sees_it_once(client, staff_dorset):
    client.force_login(staff_dorset)
    assert client.get(reverse("plans:my_work")).content.decode().count(MY) == 1
    response = client.post(MY, {"name": "Power BI", "scope": "read", "days": "90"})
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    text = re.search(r'id="new-token-text" value="(ccg-[^"]+)"', page).group(1)
    token = AccessToken.objects.get(user=staff_dorset)
    # Only the hash is kept; the page shows the prefix afterwards, never the secret.
    assert token.secret_hash == hashlib.sha256(text.encode()).hexdigest()
    assert text not in str(AccessToken.objects.filter(pk=token.pk).values().get())
    assert token.scope == "read" and token.name == "Power BI"
    assert abs(token.expires_at - (timezone.now() + datetime.timedelta(days=90))) < datetime.timedelta(
        minutes=1
    )
    again = client.get(MY).content.decode()
    assert text not in again and token.display in again
    # The token works, as its owner, and its use is recorded.
    client.logout()
    assert client.get(LIST, **bearer(text)).status_code == HTTPStatus.OK
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "scope": "read", "days": "90"},
        {"name": "x", "scope": "all", "days": "90"},
        {"name": "x", "scope": "read", "days": "7"},
    ],
)
def test_a_bad_form_makes_no_token(client, staff_dorset, data):
    client.force_login(staff_dorset)
    assert client.post(MY, data).status_code == HTTPStatus.BAD_REQUEST
    assert not AccessToken.objects.exists()


def test_unknown_revoked_and_expired_tokens_are_refused(client, staff_dorset):
    text = make_token(staff_dorset)
    assert client.get(LIST, **bearer(text)).status_code == HTTPStatus.OK
    assert client.get(LIST, **bearer(text[:-1] + ("A" if text[-1] != "A" else "B"))).status_code == 401
    assert client.get(LIST, **bearer("not-a-token")).status_code == 401
    assert client.get(LIST, HTTP_AUTHORIZATION="Bearer").status_code == 401
    token = AccessToken.objects.get(user=staff_dorset)
    past = timezone.now() - datetime.timedelta(days=31)
    AccessToken.objects.filter(pk=token.pk).update(
        created_at=past, expires_at=past + datetime.timedelta(days=30)
    )
    assert client.get(LIST, **bearer(text)).status_code == 401
    other = make_token(staff_dorset, name="Second")
    client.force_login(staff_dorset)
    second = AccessToken.objects.get(name="Second")
    assert client.post(reverse("tokens:token_revoke", args=[second.pk])).status_code == HTTPStatus.FOUND
    client.logout()
    assert client.get(LIST, **bearer(other)).status_code == 401
    second.refresh_from_db()
    assert second.revoked_by == staff_dorset


def test_a_deactivated_accounts_token_is_refused(client, staff_dorset):
    text = make_token(staff_dorset)
    staff_dorset.is_active = False
    staff_dorset.save()
    assert client.get(LIST, **bearer(text)).status_code == 401


def test_an_organisation_administrator_lists_and_revokes_their_peoples_tokens(
    client, org_admin_dorset, staff_dorset, staff_darlington, dorset
):
    mine = token_create(user=staff_dorset, name="Dorset report", scope="read", days=30)[0]
    theirs = token_create(user=staff_darlington, name="Darlington report", scope="read", days=30)[0]
    client.force_login(org_admin_dorset)
    people = client.get(reverse("organisations:people", args=[dorset.slug])).content.decode()
    assert reverse("tokens:organisation_tokens", args=[dorset.slug]) in people
    page = client.get(reverse("tokens:organisation_tokens", args=[dorset.slug]))
    assert page.status_code == HTTPStatus.OK
    text = page.content.decode()
    assert "Dorset report" in text and "Darlington report" not in text
    # Another organisation's person's token: not theirs to revoke, and no hint it exists.
    assert client.post(reverse("tokens:token_revoke", args=[theirs.pk])).status_code == HTTPStatus.NOT_FOUND
    response = client.post(reverse("tokens:token_revoke", args=[mine.pk]), {"organisation": dorset.slug})
    assert response.status_code == HTTPStatus.FOUND
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_by == org_admin_dorset and theirs.revoked_at is None


@pytest.mark.parametrize("role", ["staff_dorset", "board_dorset", "staff_darlington"])
def test_only_organisation_administrators_see_the_organisations_tokens(client, request, role, dorset):
    client.force_login(request.getfixturevalue(role))
    assert (
        client.get(reverse("tokens:organisation_tokens", args=[dorset.slug])).status_code
        == HTTPStatus.FORBIDDEN
    )


def test_nobody_else_revokes_a_persons_token(client, staff_dorset, board_dorset):
    token = token_create(user=staff_dorset, name="Mine", scope="read", days=30)[0]
    client.force_login(board_dorset)
    assert client.post(reverse("tokens:token_revoke", args=[token.pk])).status_code == HTTPStatus.NOT_FOUND
    token.refresh_from_db()
    assert token.revoked_at is None


def test_each_token_has_its_own_allowance(client, staff_dorset, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "token": "3/hour"}
    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = rates
    try:
        first, second = make_token(staff_dorset), make_token(staff_dorset, name="Other")
        assert [client.get(LIST, **bearer(first)).status_code for _ in range(4)] == [200, 200, 200, 429]
        assert client.get(LIST, **bearer(second)).status_code == 200
        assert "Retry-After" in client.get(LIST, **bearer(first))
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original


def test_the_token_pages_need_a_sign_in(client, dorset):
    assert client.get(MY).status_code == HTTPStatus.FOUND
    assert (
        client.get(reverse("tokens:organisation_tokens", args=[dorset.slug])).status_code == HTTPStatus.FOUND
    )


def test_the_audit_trail_records_who_made_and_revoked_a_token_not_its_uses(
    client, staff_dorset, org_admin_dorset, dorset
):
    from apps.core.history.audit import audit_events

    client.force_login(staff_dorset)
    page = client.post(MY, {"name": "Excel", "scope": "read", "days": "30"}).content.decode()
    text = re.search(r'id="new-token-text" value="(ccg-[^"]+)"', page).group(1)
    client.logout()
    for _ in range(2):
        client.get(LIST, **bearer(text))
    token = AccessToken.objects.get(user=staff_dorset)
    AccessToken.objects.filter(pk=token.pk).update(last_used_at=None)  # another use, written
    client.force_login(org_admin_dorset)
    client.post(reverse("tokens:token_revoke", args=[token.pk]), {"organisation": dorset.slug})
    events = audit_events(token)
    assert [e.label for e in reversed(events)] == ["insert", "update"]
    made, revoked = reversed(events)
    assert made.actor == staff_dorset and revoked.actor == org_admin_dorset
    assert set(revoked.changed) == {"revoked_at", "revoked_by_id"}  # not "last used"
    assert all(token.secret_hash not in str(e.data) for e in events)
