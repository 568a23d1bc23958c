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
from hypothesis import HealthCheck, given, settings
from rest_framework.throttling import SimpleRateThrottle
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.evidence.factories import add_file

from .assurance_data import framework_records
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


ROLES = ("admin_user", "staff_dorset", "board_dorset")
# Examples per operation and role: every operation, three roles, both modes, well under a minute.
POSITIVE_EXAMPLES, NEGATIVE_EXAMPLES = 5, 2


def _dorset_records(dorset, staff):
    """An id of each kind of record, Dorset's where Dorset has one (every role here reads them):
    a status update, a risk and a piece of evidence (a file, supporting both) made for them."""
    from apps.evidence.services import evidence_link
    from apps.plans.models import Deliverable, Objective, SelfAssessment, StatusUpdate
    from apps.plans.services import deliverable_update
    from apps.reports.models import IssuedPaper
    from apps.risks.services import risk_create

    deliverable = Deliverable.objects.visible_to(staff).filter(theme__plan__organisation=dorset).first()
    deliverable_update(
        deliverable_id=deliverable.pk,
        acting_user=staff,
        expected_version=deliverable.version,
        changes={"status": "in_progress"},
        note="Begun.",
    )
    values = {
        "description": "Capacity",
        "severity": 4,
        "likelihood": 4,
        "residual_severity": 3,
        "residual_likelihood": 3,
    }
    risk = risk_create(organisation=dorset, acting_user=staff, values=values, note="Added.")
    paper = IssuedPaper.objects.order_by("pk").first()
    evidence = add_file(dorset, staff)
    evidence_link(item=evidence, acting_user=staff, target={"deliverable": deliverable})
    evidence_link(item=evidence, acting_user=staff, target={"risk": risk})
    return {
        "organisations": dorset.pk,
        "plans": deliverable.theme.plan_id,
        "themes": deliverable.theme_id,
        "objectives": Objective.objects.filter(theme__plan__organisation=dorset).first().pk,
        "deliverables": deliverable.pk,
        "status-updates": StatusUpdate.objects.filter(deliverable=deliverable).first().pk,
        "risks": risk.pk,
        "risk-reviews": risk.reviews.first().pk,
        "self-assessments": SelfAssessment.objects.order_by("pk")
        .first()
        .pk,  # Darlington's: read by the administrator
        "papers": paper.pk if paper else 1,
        "evidence": evidence.pk,
        "evidence-revisions": evidence.revisions.get().pk,
        **framework_records(dorset),
    }


SCHEMA_CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _fuzz(operation, mode, examples, checks, headers, known):
    """``examples`` requests that schemathesis makes for ``operation``, each checked. Where the
    address takes an id, every other request names a record that exists (``known``: the first
    part of the path -> an id), so that the detail, the PDF and the writes are reached, not only
    their 404."""
    resource = operation.path.split("/")[3]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case):
        parameters = case.path_parameters or {}
        if (
            mode == GenerationMode.POSITIVE
            and isinstance(parameters.get("id"), int)
            and parameters["id"] % 2 == 0
        ):
            parameters["id"] = known[resource]
        case.call_and_validate(headers=headers, checks=checks)

    run()


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_every_role_as_its_schema_says(api_schema, request, role):
    """Every operation of the schema, with data the schema allows (the answer: no server error,
    the content type and body the schema gives for its status) and with data it does not allow
    (no server error). (Schemathesis' pytest plugin reads a pytest attribute that pytest 9 no
    longer has, so its strategies run here under Hypothesis directly.)"""
    headers = {"Authorization": f"Bearer {make_token(request.getfixturevalue(role))}"}
    known = _dorset_records(request.getfixturevalue("dorset"), request.getfixturevalue("staff_dorset"))
    failures = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        for mode, examples, checks in (
            (GenerationMode.POSITIVE, POSITIVE_EXAMPLES, SCHEMA_CHECKS),
            (GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES, [not_a_server_error]),
        ):
            try:
                _fuzz(operation, mode, examples, checks, headers, known)
            except Exception as failure:  # noqa: BLE001  every operation is tried; all failures are listed
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): {failure}")
    assert not failures, "\n\n".join(failures)


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
        "/api/v1/evidence/",
        "/api/v1/evidence/{id}/",
        "/api/v1/evidence-revisions/",
        "/api/v1/evidence-revisions/{id}/",
        "/api/v1/evidence-revisions/{id}/file/",
        *(f"/api/v1/{name}/{{id}}/" for name in FRAMEWORK_PATHS),
    ):
        assert path in paths, path
    assert body["components"]["securitySchemes"]["accessToken"]["scheme"] == "bearer"
    # The deliverables list takes the page's filters.
    names = {p["name"] for p in body["paths"]["/api/v1/deliverables/"]["get"]["parameters"]}
    assert {"q", "status", "overdue", "owner", "plan", "theme", "within", "cursor"} <= names
    # The evidence list takes the library's.
    names = {p["name"] for p in body["paths"]["/api/v1/evidence/"]["get"]["parameters"]}
    assert {"q", "within", "supports", "domain", "kind", "expired", "expiring", "without_file"} <= names
    # The principal risks take the framework's.
    names = {p["name"] for p in body["paths"]["/api/v1/principal-risks/"]["get"]["parameters"]}
    assert {"q", "within", "organisation", "outside_appetite", "committee", "category", "cursor"} <= names


FRAMEWORK_PATHS = (
    "strategic-objectives",
    "principal-risks",
    "controls",
    "assurances",
    "gaps",
    "risk-appetites",
    "committees",
)


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
