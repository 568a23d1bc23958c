"""Past one machine: two app servers (gunicorn, as `make serve` runs it) against one PostgreSQL.
A user signed in through one is served by the other, each sees the other's writes on its next
request, and signing out through one ends the session on both. Run with sessions in PostgreSQL
(no shared cache) and with Redis as the shared cache (sessions read from it, written through)."""

import re
import socket
import uuid
from urllib.parse import urlencode

import pytest

from tests.core.serving import (
    Gunicorn,
    login,
    production_env,
    request,
)

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
