"""Serving through faults: what the error pages and the logs say while the database is
unreachable, and about refused requests.

The load test starts a PostgreSQL server of its own (tests/core/serving.py: pgserver, in a temporary
directory, never the machine's shared server), migrates it, serves ccgtrack from it with
gunicorn as `make serve` does (DEBUG off), and loads it from threads on loopback.
"""

import logging
import sys
from http import HTTPStatus

import psycopg2
import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.exceptions import SessionInterrupted
from django.db import DatabaseError, OperationalError, connections
from django.template.loader import render_to_string
from django.test import RequestFactory

from apps.core import errors
from apps.core.logging import OneLinePerRequest


def _unreachable_database_error():
    """A real OperationalError, as Django raises it: psycopg2 connecting to a port where no
    PostgreSQL listens, its error wrapped by the database backend."""
    try:
        with connections["default"].wrap_database_errors:
            psycopg2.connect(host="127.0.0.1", port=1, dbname="x", connect_timeout=2)
    except OperationalError as exc:
        return exc
    raise AssertionError("something answered on port 1")


def _session_interrupted_by(cause):
    """The exception SessionMiddleware raises when the session cannot be saved, as it raises it
    (django.contrib.sessions: DatabaseError -> UpdateError -> SessionInterrupted)."""
    try:
        try:
            try:
                raise cause
            except DatabaseError:
                raise UpdateError  # noqa: B904  (as Django raises it: the cause is its __context__)
        except UpdateError:
            raise SessionInterrupted("The request's session was deleted before the request completed.")  # noqa: B904
    except SessionInterrupted as interrupted:
        return interrupted


def test_a_session_lost_with_the_database_is_a_503_not_a_400():
    request = RequestFactory().get("/deliverables/")
    response = errors.bad_request(request, _session_interrupted_by(_unreachable_database_error()))
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Retry-After"] == "30"
    # A session really deleted meanwhile (logged out in another tab) stays the client's 400.
    deleted = _session_interrupted_by(DatabaseError("Forced update did not affect any rows."))
    assert errors.bad_request(request, deleted).status_code == HTTPStatus.BAD_REQUEST


def test_the_unavailable_and_error_pages_render_without_a_request_or_the_database():
    # No django_db mark: any query here would raise (pytest-django blocks the database).
    unavailable = render_to_string("503.html")
    error = render_to_string("500.html")
    assert "ccgtrack is temporarily unavailable" in unavailable and 'class="brand"' in unavailable
    assert "Something went wrong" in error and 'class="brand"' in error


def test_a_500_for_an_unreachable_database_is_the_503_page():
    try:
        raise _unreachable_database_error()
    except OperationalError:
        response = errors.server_error(RequestFactory().get("/"))
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    try:
        raise ValueError("a bug")
    except ValueError:
        assert errors.server_error(RequestFactory().get("/")).status_code == HTTPStatus.INTERNAL_SERVER_ERROR


@pytest.mark.django_db
def test_a_refused_request_is_one_log_line(client, staff_dorset, caplog):
    client.force_login(staff_dorset)
    with caplog.at_level(logging.INFO):
        assert client.get("/dashboard/nhs-darlington-ccg/").status_code == HTTPStatus.FORBIDDEN
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1
    assert records[0].exc_info is None
    assert records[0].getMessage() == (
        "Forbidden (Permission denied): /dashboard/nhs-darlington-ccg/ (user=t.staff.dorset "
        "address=127.0.0.1; PermissionDenied: You do not have access to this organisation's dashboard.)"
    )
    assert "Traceback" not in caplog.text


@pytest.mark.django_db
def test_a_404_is_left_to_the_servers_request_line(client, staff_dorset, caplog):
    client.force_login(staff_dorset)
    with caplog.at_level(logging.INFO):
        assert client.get("/plans/2/").status_code == HTTPStatus.NOT_FOUND
    assert not [r for r in caplog.records if r.name == "django.request"]


def _record(status, exc):
    try:
        raise exc
    except type(exc):
        return logging.makeLogRecord(
            {
                "name": "django.request",
                "msg": "%s: %s",
                "args": ("Status", "/x"),
                "status_code": status,
                "exc_info": sys.exc_info(),
                "levelno": logging.ERROR,
            }
        )


def test_a_real_500_keeps_its_traceback_and_a_database_outage_does_not():
    bug = _record(500, ValueError("a bug"))
    assert OneLinePerRequest().filter(bug) and bug.exc_info is not None
    outage = _record(503, _unreachable_database_error())
    assert OneLinePerRequest().filter(outage) and outage.exc_info is None
    assert outage.getMessage().startswith("Status: /x (OperationalError: ")
    assert "\n" not in outage.getMessage()
