"""ccgtrack served as `make serve` serves it (gunicorn, DEBUG off), from a PostgreSQL server of
the test process's own (tests/core/serving.py: pgserver, in a temporary directory, never the
machine's shared server) holding a copy of the migrated and seeded database prepared there once.
The tests are in one module so that they run in one test process and share that preparation.

Serving through faults: PostgreSQL stopped and restarted under a bounded load from threads on
loopback, and what the logs and error pages say about it and about refused requests.

Past one machine: two app servers against one PostgreSQL. A user signed in through one is served
by the other, each sees the other's writes on its next request, and signing out through one ends
the session on both. Run with sessions in PostgreSQL (no shared cache) and with Redis as the
shared cache (sessions read from it, written through).
"""

import logging
import re
import socket
import sys
import threading
import time
import uuid
from collections import Counter
from http import HTTPStatus
from urllib.parse import urlencode

import psycopg2
import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.exceptions import SessionInterrupted
from django.db import DatabaseError, OperationalError, connections
from django.template.loader import render_to_string
from django.test import RequestFactory

from apps.core import errors
from apps.core.logging import OneLinePerRequest
from tests.core.serving import (
    Gunicorn,
    login,
    production_env,
    request,
    run_load,
)

PAGES = ["/deliverables/", "/national/", "/risks/", "/deliverables/?_export=csv"]


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
    # The driver's own error, as a server-side cursor raises it while a page renders.
    try:
        psycopg2.connect(host="127.0.0.1", port=1, dbname="x", connect_timeout=2)
    except psycopg2.OperationalError:
        assert errors.server_error(RequestFactory().get("/")).status_code == HTTPStatus.SERVICE_UNAVAILABLE
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
    lost_session = _record(503, _session_interrupted_by(_unreachable_database_error()))
    lost_session.request = RequestFactory().get("/risks/")
    assert OneLinePerRequest().filter(lost_session)
    assert lost_session.getMessage().startswith(
        "Service Unavailable (database): /risks/ (user=- address=127.0.0.1; OperationalError: "
    )
    assert "\n" not in outage.getMessage()


@pytest.fixture(scope="module")
def served(prepared_site):
    env = production_env(prepared_site.database(), prepared_site.static_root, WEB_CONCURRENCY="2")
    server = Gunicorn(env)
    try:
        yield prepared_site.postgres, server
    finally:
        server.close()
        prepared_site.postgres.start()  # for the next module, whatever this one left


def counts(results):
    return Counter(result.status for result in results)


def assert_unavailable_page(result):
    assert result.status == 503
    assert result.headers.get("Retry-After") == "30"
    assert b"ccgtrack is temporarily unavailable" in result.body


def test_postgresql_stopped_and_restarted_under_load(served, capsys):
    postgres, server = served
    port = server.port
    cookie = login(port)
    started = time.monotonic()

    warm = run_load(port, PAGES, cookie=cookie, users=8, requests=24)
    assert counts(warm) == {200: 24}, server.output()

    # Stop PostgreSQL while 8 users keep loading pages: requests in flight lose their
    # connection, later ones find no server. Each is a 200 or the 503 page, never a 400 or 500.
    during = []
    load = threading.Thread(
        target=lambda: during.extend(run_load(port, PAGES, cookie=cookie, users=8, seconds=3))
    )
    load.start()
    time.sleep(1)
    postgres.stop()
    load.join()
    assert set(counts(during)) <= {200, 503}, (counts(during), server.output()[-6000:])
    assert counts(during)[503] > 0
    for result in during:
        if result.status == 503:
            assert_unavailable_page(result)

    # While it is down: pages, a sign-in and the health check all say so.
    assert_unavailable_page(request(port, "/deliverables/", cookie=cookie))
    signin = request(
        port,
        "/accounts/login/",
        method="POST",
        body="username=serving&password=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        cookie=cookie,
    )
    assert signin.status in {403, 503}  # 403: the form's CSRF token was not sent; never a 500
    health = request(port, "/healthz")
    assert (health.status, health.body) == (503, b"database unavailable")
    assert health.headers.get("Retry-After") == "30"

    postgres.start()
    deadline = time.monotonic() + 20
    while request(port, "/healthz").status != 200:
        assert time.monotonic() < deadline, "the server did not recover within 20 s"
        time.sleep(0.2)
    recovered_after = time.monotonic()

    # After recovery every request succeeds: the workers' dead connections are replaced.
    after = run_load(port, PAGES, cookie=cookie, users=8, requests=120)
    failures = [result for result in after if result.status != 200]
    assert not failures, (counts(after), server.output()[-3000:])

    # One log line per unavailable request, no tracebacks.
    log = server.output()
    assert "Traceback" not in log, log[-3000:]
    unavailable = (
        r"Service Unavailable \(database\): /\S+ \(user=(serving|-) address=127\.0\.0\.1; OperationalError: "
    )
    assert re.search(unavailable, log), log[-3000:]

    with capsys.disabled():
        print(
            f"\n  fault test: warm {dict(counts(warm))}, during the stop {dict(counts(during))}, "
            f"recovered {recovered_after - started:.1f} s after the start, after recovery "
            f"{dict(counts(after))} ({len(failures)} failed), {time.monotonic() - started:.1f} s in all"
        )


# --- Past one machine: two app servers ----------------------------------------------------------

REDIS = ("127.0.0.1", 6379)


def _redis_answers():
    try:
        with socket.create_connection(REDIS, timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="module", params=["sessions in PostgreSQL", "Redis cache"])
def servers(request, prepared_site):
    extra = {"WEB_CONCURRENCY": "1"}
    if request.param == "Redis cache":
        if not _redis_answers():
            pytest.skip("no Redis at 127.0.0.1:6379 (CI and these machines have one, so CI runs this)")
        extra.update(REDIS_URL=f"redis://{REDIS[0]}:{REDIS[1]}/0", CACHE_KEY_PREFIX=f"test-{uuid.uuid4()}")
    env = production_env(prepared_site.database(), prepared_site.static_root, **extra)
    started = []
    try:
        started.append(Gunicorn(env))
        started.append(Gunicorn(env))
        yield started
    finally:
        for server in started:
            server.close()


def _csrf_token(page):
    return re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1).decode()


def _version(page):
    return re.search(rb'name="version" value="(\d+)"', page.body).group(1).decode()


DELIVERABLE = "/deliverables/10001/"


def test_a_user_signed_in_on_one_server_is_served_by_the_other_and_sees_its_writes(servers):
    one, two = servers
    cookie = login(one.port)

    page = request(two.port, DELIVERABLE, cookie=cookie)
    assert page.status == 200, two.output()[-3000:]  # the session made on one is read on two
    note = f"Written through the second server {uuid.uuid4().hex[:8]}"
    saved = request(
        two.port,
        f"{DELIVERABLE}status/",
        method="POST",
        cookie=cookie,
        body=urlencode(
            {
                "csrfmiddlewaretoken": _csrf_token(page),
                "status": "delivered",
                "note": note,
                "version": _version(page),
            }
        ),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Referer": f"http://127.0.0.1{DELIVERABLE}",
        },
    )
    assert saved.status in (200, 302), (saved.status, saved.body[:2000], two.output()[-3000:])

    seen = request(one.port, DELIVERABLE, cookie=cookie)  # the next request on the first server
    assert seen.status == 200
    assert note.encode() in seen.body
    dashboard = request(one.port, "/deliverables/?status=delivered&q=", cookie=cookie)
    assert dashboard.status == 200

    out = request(
        one.port,
        "/accounts/logout/",
        method="POST",
        cookie=cookie,
        body=urlencode({"csrfmiddlewaretoken": _csrf_token(seen)}),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert out.status == 302
    after = request(two.port, DELIVERABLE, cookie=cookie)  # signed out on one: out on two as well
    assert after.status == 302 and "/accounts/login/" in after.headers["Location"]
