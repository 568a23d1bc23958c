"""The API tested by its own schema: schemathesis generates requests for every operation of the
OpenAPI schema drf-spectacular writes and sends each as an administrator, a member of staff
and a governing-body member (through the WSGI application, in the test's transaction): no
answer is a server error, and every answer matches the schema. And the documentation is
served from the vendored files, under the site's Content-Security-Policy."""

from http import HTTPStatus

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core import signals
from django.db import close_old_connections
from django.urls import reverse
from hypothesis import HealthCheck, settings
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from .conftest import make_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_schema(db):
    """The schema, read from /api/schema/ through the WSGI application. The requests run in
    this thread, in the test's transaction: the signals that close a request's connection are
    held off, as Django's test client holds them off."""
    from django.core.handlers.wsgi import WSGIHandler

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = {**original, "token": "100000/hour"}
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler())
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def role_tokens(admin_user, staff_dorset, board_dorset):
    return {
        name: make_token(user)
        for name, user in (("admin", admin_user), ("staff", staff_dorset), ("board", board_dorset))
    }


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_every_operation_answers_every_role_as_its_schema_says(case, role_tokens):
    for token in role_tokens.values():
        case.call_and_validate(
            headers={"Authorization": f"Bearer {token}"},
            checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
        )


def test_the_schema_names_every_endpoint_and_the_token_scheme(client):
    response = client.get(reverse("api:schema"), HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == HTTPStatus.OK
    body = response.json()
    assert body["openapi"].startswith("3.")
    paths = set(body["paths"])
    for path in (
        "/api/v1/organisations/",
        "/api/v1/plans/",
        "/api/v1/themes/",
        "/api/v1/objectives/",
        "/api/v1/deliverables/",
        "/api/v1/deliverables/{id}/status/",
        "/api/v1/status-updates/",
        "/api/v1/risks/",
        "/api/v1/risks/{id}/review/",
        "/api/v1/risk-reviews/",
        "/api/v1/self-assessments/",
        "/api/v1/papers/",
        "/api/v1/papers/{id}/pdf/",
    ):
        assert path in paths, path
    assert body["components"]["securitySchemes"]["accessToken"]["scheme"] == "bearer"
    # The deliverables list takes the page's filters.
    names = {p["name"] for p in body["paths"]["/api/v1/deliverables/"]["get"]["parameters"]}
    assert {"q", "status", "overdue", "owner", "plan", "theme", "within", "cursor"} <= names


def test_the_documentation_is_served_from_vendored_files_without_inline_script(client):
    response = client.get(reverse("api:docs"))
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in page and "https://" not in page
    for name in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        assert f"/static/drf_spectacular_sidecar/swagger-ui-dist/{name}" in page
        assert finders.find(f"drf_spectacular_sidecar/swagger-ui-dist/{name}")
    script = client.get(reverse("api:docs"), {"script": ""})
    assert script.status_code == HTTPStatus.OK
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()
