"""Bounded input, never a 500: every text has a maximum length and every deadline, review date
and meeting date a range, in the form (a message beside the field) and in PostgreSQL (a CHECK on
the column); bad query strings (per_page, the audit trail's obj, NUL characters) answer 4xx;
``next`` leads only to this site."""

import datetime
from http import HTTPStatus

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from apps.assurance.models import Committee, CommitteePaper
from apps.core.bounds import NARRATIVE_MAX_LENGTH, NOTE_MAX_LENGTH, BoundedDateField, BoundedTextField
from apps.plans.models import Deliverable, StatusUpdate
from apps.reports.models import BoardReport, IssuedPaper
from apps.risks.models import Risk, RiskReview
from tests.core.test_no_lost_update import _deliverable_form, _report_form, _risk_form
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

APPS = ("plans", "risks", "reports")


def _bounded(field_class):
    """(model, field) for every bounded field of ccgtrack's own models (not the audit copies,
    nor the proxies that read them as the records they were)."""
    return [
        (model, field)
        for label in APPS
        for model in apps.get_app_config(label).get_models()
        if not model._meta.concrete_model._meta.label.endswith("Event")
        for field in model._meta.concrete_fields
        if isinstance(field, field_class)
    ]


def _id(value):
    return value._meta.label if hasattr(value, "_meta") else getattr(value, "name", str(value))


def test_every_text_field_of_the_od_data_is_bounded():
    """No unbounded TextField is left in plans, risks or reports."""
    from django.db import models

    unbounded = [
        f"{model._meta.label}.{field.name}"
        for label in APPS
        for model in apps.get_app_config(label).get_models()
        # pghistory's copies, written by triggers only (and the as-at proxies reading them)
        if not model._meta.concrete_model._meta.label.endswith("Event")
        for field in model._meta.concrete_fields
        if isinstance(field, models.TextField) and not field.max_length
    ]
    assert unbounded == []


@pytest.fixture
def deliverable(dorset):
    return Deliverable.objects.filter(theme__plan__organisation=dorset).order_by("pk").first()


@pytest.fixture
def risk(darlington):
    return Risk.objects.get(organisation=darlington, reference="R2")


def _a_row(model, deliverable, risk):
    """A saved row of ``model`` (history rows are made fresh: they cannot be updated)."""
    if model is StatusUpdate:
        return StatusUpdate(deliverable=deliverable, to_status="in_progress")
    if model is RiskReview:
        scores = {
            f"{n}_{w}": 1
            for n in ("severity", "likelihood", "residual_severity", "residual_likelihood")
            for w in ("before", "after")
        }
        return RiskReview(risk=risk, note="n", **scores)
    if model is CommitteePaper:  # immutable once written: made fresh, like an issued paper
        return CommitteePaper(
            committee=Committee.objects.order_by("pk").first(),
            number=1,
            meeting_date=datetime.date(2013, 1, 9),
            title="A committee paper",
            read_at=timezone.now(),
            issued_by=UserFactory(),
            issued_by_name="A Person",
            snapshot={},
            html="<p>The paper.</p>",
            html_sha256="0" * 64,
            pdf="committee-papers/paper-1.pdf",
            pdf_sha256="0" * 64,
            pdf_size=1,
            principal_risk_count=0,
            outside_appetite_count=0,
        )
    if model is IssuedPaper:  # immutable once written: made fresh, like a history row
        cover = BoardReport.objects.order_by("pk").first()
        return IssuedPaper(
            plan=cover.plan,
            number=1,
            cover_sheet=cover,
            meeting_date=cover.meeting_date,
            title=cover.title,
            read_at=timezone.now(),
            issued_by=UserFactory(),
            issued_by_name="A Person",
            snapshot={},
            html="<p>The paper.</p>",
            html_sha256="0" * 64,
            pdf="issued-papers/paper-1.pdf",
            pdf_sha256="0" * 64,
            pdf_size=1,
            **dict.fromkeys(("deliverable_count", "delivered_count", "overdue_count", "open_risk_count"), 0),
            red_risk_count=0,
            red_residual_risk_count=0,
        )
    return model.objects.order_by("pk").first()


@pytest.mark.parametrize(("model", "field"), _bounded(BoundedTextField), ids=_id)
def test_postgresql_refuses_a_text_longer_than_its_bound(model, field, deliverable, risk):
    row = _a_row(model, deliverable, risk)
    assert row is not None, f"the seed has a {model._meta.label}"
    if row.pk is None:  # a history row or an issued paper: the bound holds on insert
        setattr(row, field.name, "x" * (field.max_length + 1))
        with pytest.raises(IntegrityError, match="check"), transaction.atomic():
            row.save()
        setattr(row, field.name, "x" * field.max_length)
        row.save()
        return
    with pytest.raises(IntegrityError, match="check"), transaction.atomic():
        model.objects.filter(pk=row.pk).update(**{field.name: "x" * (field.max_length + 1)})
    model.objects.filter(pk=row.pk).update(**{field.name: "x" * field.max_length})


@pytest.mark.parametrize(("model", "field"), _bounded(BoundedDateField), ids=_id)
@pytest.mark.parametrize("day", [datetime.date(1999, 12, 31), datetime.date(2101, 1, 1)])
def test_postgresql_refuses_a_date_outside_2000_to_2100(model, field, day, deliverable, risk):
    row = _a_row(model, deliverable, risk)
    with pytest.raises(IntegrityError, match="check"), transaction.atomic():
        model.objects.filter(pk=row.pk).update(**{field.name: day})
    model.objects.filter(pk=row.pk).update(**{field.name: datetime.date(2100, 12, 31)})
    model.objects.filter(pk=row.pk).update(**{field.name: datetime.date(2000, 1, 1)})


def _snapshot(*objs):
    return [list(type(o).objects.filter(pk=o.pk).values()) for o in objs] + [
        StatusUpdate.objects.count(),
        RiskReview.objects.count(),
    ]


TOO_LONG = "x" * (NARRATIVE_MAX_LENGTH + 1)
A_MILLION = "narrative " * 100_000


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"in_progress_narrative": TOO_LONG, "note": "n"}, "in_progress_narrative"),
        ({"delivered_narrative": A_MILLION, "note": "n"}, "delivered_narrative"),
        ({"note": "x" * (NOTE_MAX_LENGTH + 1), "status": "delivered"}, "note"),
        ({"deadline": "1999-12-31", "note": "n"}, "deadline"),
        ({"deadline": "2101-01-01", "note": "n"}, "deadline"),
        ({"deadline": "0001-01-01", "note": "n"}, "deadline"),
        ({"note": "a\x00b"}, "note"),
        ({"in_progress_narrative": "a\x00b", "note": "n"}, "in_progress_narrative"),
    ],
)
def test_deliverable_form_refuses_long_text_far_dates_and_nul(
    client, staff_dorset, deliverable, overrides, field
):
    client.force_login(staff_dorset)
    before = _snapshot(deliverable)
    response = client.post(deliverable.get_absolute_url(), _deliverable_form(deliverable, **overrides))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.context["form"].errors
    assert _snapshot(deliverable) == before


def test_the_form_shows_the_bounds_to_the_browser(client, staff_dorset, deliverable):
    client.force_login(staff_dorset)
    html = client.get(deliverable.get_absolute_url()).content.decode()
    assert f'maxlength="{NARRATIVE_MAX_LENGTH}"' in html
    assert 'min="2000-01-01"' in html and 'max="2100-12-31"' in html


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"mitigation": TOO_LONG}, "mitigation"),
        ({"note": "x" * (NOTE_MAX_LENGTH + 1)}, "note"),
        ({"next_review_on": "2101-01-01"}, "next_review_on"),
        ({"note": "\x00"}, "note"),
    ],
)
def test_risk_review_refuses_long_text_far_dates_and_nul(client, staff_darlington, risk, overrides, field):
    client.force_login(staff_darlington)
    before = _snapshot(risk)
    response = client.post(risk.get_absolute_url(), _risk_form(risk, **overrides))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.context["form"].errors
    assert _snapshot(risk) == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"purpose": TOO_LONG}, "purpose"),
        ({"meeting_date": "1999-01-15"}, "meeting_date"),
        ({"meeting_date": "2200-01-15"}, "meeting_date"),
        ({"recommendation": "\x00"}, "recommendation"),
    ],
)
def test_cover_sheet_refuses_long_text_far_dates_and_nul(client, staff_dorset, overrides, field):
    report = BoardReport.objects.get(pk=1)
    client.force_login(staff_dorset)
    before = _snapshot(report)
    response = client.post(
        reverse("reports:cover_edit", args=[report.plan_id]), _report_form(report, **overrides)
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert field in response.context["form"].errors
    assert _snapshot(report) == before


@pytest.mark.parametrize("note", ["x" * (NOTE_MAX_LENGTH + 1), "a\x00b"])
def test_in_place_status_change_refuses_a_long_or_nul_note(client, staff_dorset, deliverable, note):
    client.force_login(staff_dorset)
    before = _snapshot(deliverable)
    response = client.post(
        reverse("plans:deliverable_status", args=[deliverable.pk]),
        {"status": "delivered", "note": note, "version": deliverable.version},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert _snapshot(deliverable) == before


# --- Query strings -------------------------------------------------------------------------

LISTS = ["plans:deliverable_list", "risks:risk_list", "organisations:national", "dashboards:national"]


@pytest.mark.parametrize("url_name", LISTS)
@pytest.mark.parametrize("per_page", ["-1", "0", "501", "99999999999999999999", "abc", "1.5", "\x00"])
def test_a_bad_per_page_is_a_400_that_says_why(client, admin_user, url_name, per_page):
    client.force_login(admin_user)
    response = client.get(reverse(url_name), {"per_page": per_page})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert b"must be a whole number from 1 to 500" in response.content
    export = client.get(reverse(url_name), {"per_page": per_page, "_export": "csv"})
    assert export.status_code == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize("url_name", LISTS)
def test_a_sane_per_page_still_works(client, admin_user, url_name):
    client.force_login(admin_user)
    assert client.get(reverse(url_name), {"per_page": "5"}).status_code == HTTPStatus.OK


def test_per_page_sets_the_page_size(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("plans:deliverable_list"), {"per_page": "7"})
    assert len(response.context["table"].page.object_list) == 7


def test_the_national_dashboard_refuses_a_non_member_before_reading_per_page(client, staff_dorset):
    client.force_login(staff_dorset)
    assert client.get(reverse("dashboards:national"), {"per_page": "-1"}).status_code == HTTPStatus.FORBIDDEN


def test_the_audit_trail_answers_4xx_for_an_object_it_cannot_find(client, admin_user, deliverable):
    client.force_login(admin_user)
    url = reverse("admin:pghistory_events_changelist")
    for query, status in [
        ({"obj": "plans.deliverable:abc"}, HTTPStatus.BAD_REQUEST),
        ({"obj": "plans.deliverable:abc", "method": "tracks"}, HTTPStatus.BAD_REQUEST),
        ({"obj": "plans.deliverable:999999999"}, HTTPStatus.NOT_FOUND),
        ({"obj": "nonsense"}, HTTPStatus.BAD_REQUEST),
        ({"obj": "no.such:1"}, HTTPStatus.BAD_REQUEST),
        ({"obj": f"plans.deliverable:{deliverable.pk}", "method": "rewrites"}, HTTPStatus.BAD_REQUEST),
        ({"model": "x.y"}, HTTPStatus.BAD_REQUEST),
        ({"event_model": "plans.deliverable"}, HTTPStatus.BAD_REQUEST),
        ({"obj": f"plans.deliverable:{deliverable.pk}", "method": "tracks"}, HTTPStatus.OK),
        ({"obj": f"plans.deliverable:{deliverable.pk}"}, HTTPStatus.OK),
        ({"model": "plans.deliverable"}, HTTPStatus.OK),
        ({"event_model": "plans.deliverableevent"}, HTTPStatus.OK),
    ]:
        assert client.get(url, query).status_code == status, query


@pytest.mark.parametrize(
    "url",
    [
        "/admin/autocomplete/?term=%00&app_label=plans&model_name=deliverable&field_name=owner",
        "/admin/plans/deliverable/?q=%00",
        "/admin/plans/deliverable/?status=%00",
        "/admin/auth/user/?q=a%00b",
        "/admin/pghistory/events/?label=%00",
    ],
)
def test_a_nul_character_anywhere_in_the_admin_is_a_400(client, admin_user, url):
    client.force_login(admin_user)
    response = client.get(url)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert b"NUL character" in response.content


def test_a_nul_character_posted_to_the_admin_is_a_400_and_changes_nothing(client, admin_user, deliverable):
    from tests.core.test_edit_path import _admin_form_data, _admin_url

    client.force_login(admin_user)
    data = _admin_form_data(client, deliverable, comments="a\x00b", edit_note="n")
    before = _snapshot(deliverable)
    assert client.post(_admin_url(deliverable), data).status_code == HTTPStatus.BAD_REQUEST
    assert _snapshot(deliverable) == before


def test_anonymous_admin_requests_with_nul_still_go_to_the_login_page(client):
    response = client.get("/admin/plans/deliverable/?q=%00")
    assert response.status_code == HTTPStatus.FOUND and "/login/" in response["Location"]


def test_the_app_lists_treat_nul_as_a_form_error(client, admin_user):
    client.force_login(admin_user)
    for url_name in ("plans:deliverable_list", "risks:risk_list"):
        response = client.get(reverse(url_name), {"q": "a\x00b"})
        assert response.status_code == HTTPStatus.OK
        assert "q" in response.context["filter"].form.errors


# --- next ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("https://evil.example/", reverse("plans:deliverable_list")),
        ("//evil.example/path", reverse("plans:deliverable_list")),
        ("https:/\\evil.example", reverse("plans:deliverable_list")),
        ("javascript:alert(1)", reverse("plans:deliverable_list")),
        ("0", reverse("plans:deliverable_list")),  # found by the fuzz: redirect() took it for a view name
        ("deliverables", reverse("plans:deliverable_list")),
        ("/deliverables/?status=delivered", "/deliverables/?status=delivered"),
    ],
)
def test_next_on_the_status_change_leads_only_to_this_site(
    client, staff_dorset, deliverable, next_url, expected
):
    client.force_login(staff_dorset)
    response = client.post(
        reverse("plans:deliverable_status", args=[deliverable.pk]),
        {
            "status": "under_development",
            "note": "Moved on.",
            "version": deliverable.version,
            "next": next_url,
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == expected
