import datetime as dt
from http import HTTPStatus
from unittest import mock

import pytest
import time_machine
from django.db import connection
from django.db.utils import OperationalError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

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
    assert response["Retry-After"] == "30"  # as the pages' 503: when to ask again


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


def _logged_in_at(client, user, when):
    """Log ``user`` in through the login page at ``when``; a clock that moves only when told."""
    traveller = time_machine.travel(when, tick=False)
    clock = traveller.start()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == HTTPStatus.FOUND
    assert client.get(response["Location"], follow=True).status_code == HTTPStatus.OK  # followed at once
    return traveller, clock


def _sent_to_login(response):
    return response.status_code == HTTPStatus.FOUND and response["Location"].startswith(reverse("login"))


def test_session_ends_after_30_minutes_idle_and_each_request_renews_it(client, staff_dorset):
    traveller, clock = _logged_in_at(client, staff_dorset, dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    try:
        for _ in range(4):  # active every 29 minutes: almost two hours and still logged in
            clock.shift(dt.timedelta(minutes=29))
            assert client.get("/national/").status_code == HTTPStatus.OK
        clock.shift(dt.timedelta(minutes=30, seconds=1))  # then away for just over 30 minutes
        assert _sent_to_login(client.get("/national/"))
        clock.shift(dt.timedelta(seconds=1))
        assert _sent_to_login(client.get("/national/"))  # logged out, not just redirected once
    finally:
        traveller.stop()


def test_session_ends_after_12_hours_in_all_however_active(client, staff_dorset):
    traveller, clock = _logged_in_at(client, staff_dorset, dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC))
    try:
        for _ in range(12 * 60 // 20 - 1):  # a request every 20 minutes until 11 h 40 min
            clock.shift(dt.timedelta(minutes=20))
            assert client.get("/national/").status_code == HTTPStatus.OK
        clock.shift(dt.timedelta(minutes=20, seconds=1))  # 12 hours and a second after logging in
        assert _sent_to_login(client.get("/national/"))
        assert _sent_to_login(client.get("/national/"))  # logged out, not just redirected once
        response = client.post(reverse("login"), {"username": staff_dorset.username, "password": PASSWORD})
        assert response.status_code == HTTPStatus.FOUND  # logging in again starts a new session
        assert client.get("/national/").status_code == HTTPStatus.OK
    finally:
        traveller.stop()


def _session_writes(queries):
    return [
        q["sql"]
        for q in queries
        if "django_session" in q["sql"] and q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
    ]


def test_a_page_view_writes_the_session_at_most_once_a_minute(client, staff_dorset):
    traveller, clock = _logged_in_at(client, staff_dorset, dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    try:
        for _ in range(5):  # five requests within the minute: the session is read, never written
            clock.shift(dt.timedelta(seconds=10))
            with CaptureQueriesContext(connection) as captured:
                assert client.get("/national/").status_code == HTTPStatus.OK
            assert _session_writes(captured.captured_queries) == []
        clock.shift(dt.timedelta(seconds=15))  # a minute since activity was last recorded
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/national/").status_code == HTTPStatus.OK
        assert len(_session_writes(captured.captured_queries)) == 1
    finally:
        traveller.stop()


def test_activity_inside_the_minute_still_counts_towards_the_idle_limit(client, staff_dorset):
    # Activity is recorded once a minute, so a session ends between 29 and 30 minutes after the
    # user's last request, never later than 30.
    traveller, clock = _logged_in_at(client, staff_dorset, dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    try:
        clock.shift(dt.timedelta(seconds=59))
        assert client.get("/national/").status_code == HTTPStatus.OK  # not recorded (inside the minute)
        clock.shift(dt.timedelta(minutes=29, seconds=2))  # 30 min 1 s after the recorded activity
        assert _sent_to_login(client.get("/national/"))
    finally:
        traveller.stop()


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
