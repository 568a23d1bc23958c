import time
from http import HTTPStatus
from unittest import mock

import pytest
from django.db.utils import OperationalError
from django.urls import reverse

from apps.core.middleware import SESSION_STARTED_KEY
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

# Every page of the app, with arguments from the seed data. Issues add their pages here.
PAGES = [
    "/",
    "/national/",
    "/national/?_export=csv",
    "/organisations/nhs-dorset-ccg/",
    "/organisations/nhs-darlington-ccg/self-assessment/",
    "/plans/1/",
    "/deliverables/",
    "/deliverables/?_export=xlsx",
    "/deliverables/10001/",
    "/risks/",
    "/risks/heatmap/",
    "/risks/1/",
    "/plans/1/report/",
    "/plans/1/report/pdf/",
    "/plans/1/report/cover/",
    "/dashboard/",
    "/dashboard/nhs-dorset-ccg/",
    "/admin/",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_redirects_anonymous_users_to_login(client, path):
    response = client.get(path)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("login") if path != "/admin/" else "/admin/login/")


def test_healthz_answers_ok_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == HTTPStatus.OK
    assert response.content == b"ok"


def test_healthz_answers_503_when_the_database_does_not(client):
    with mock.patch("apps.core.views.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE


def test_login_page_renders_and_logs_in(client, staff_dorset):
    assert client.get(reverse("login")).status_code == HTTPStatus.OK
    response = client.post(reverse("login"), {"username": staff_dorset.username, "password": PASSWORD})
    assert response.status_code == HTTPStatus.FOUND
    assert client.get("/national/").status_code == HTTPStatus.OK


def test_logout_ends_the_session(client, staff_dorset):
    client.force_login(staff_dorset)
    client.post(reverse("logout"))
    assert client.get("/national/").status_code == HTTPStatus.FOUND


def test_logout_by_get_is_refused(client, staff_dorset):
    client.force_login(staff_dorset)
    assert client.get(reverse("logout")).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_failed_logins_lock_out_that_username_from_that_address_only(client, staff_dorset, staff_darlington):
    for _ in range(5):
        client.post(
            reverse("login"), {"username": staff_dorset.username, "password": "wrong"}, REMOTE_ADDR="10.0.0.1"
        )
    locked = client.post(
        reverse("login"), {"username": staff_dorset.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )
    assert locked.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert b"Too many failed log-in attempts" in locked.content
    # A colleague behind the same office address still logs in.
    colleague = client.post(
        reverse("login"),
        {"username": staff_darlington.username, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
    )
    assert colleague.status_code == HTTPStatus.FOUND


def test_session_idle_timeout_is_30_minutes_and_renewed(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_session_ends_after_12_hours_in_all(client, staff_dorset, settings):
    client.force_login(staff_dorset)
    assert client.get("/national/").status_code == HTTPStatus.OK
    session = client.session
    session[SESSION_STARTED_KEY] = time.time() - settings.SESSION_ABSOLUTE_LIFETIME - 1
    session.save()
    response = client.get("/national/")
    assert response.status_code == HTTPStatus.FOUND
    assert reverse("login") in response["Location"]
    assert client.get("/national/").status_code == HTTPStatus.FOUND  # logged out, not just redirected


def test_pages_send_a_content_security_policy_without_inline_script(client, staff_dorset):
    client.force_login(staff_dorset)
    response = client.get("/national/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert b"<script>" not in response.content  # no inline script blocks anywhere


def test_forms_carry_csrf_tokens(client):
    assert b"csrfmiddlewaretoken" in client.get(reverse("login")).content


def test_unknown_page_is_a_404_not_a_500(client, staff_dorset):
    client.force_login(staff_dorset)
    assert client.get("/organisations/no-such-organisation/").status_code == HTTPStatus.NOT_FOUND
