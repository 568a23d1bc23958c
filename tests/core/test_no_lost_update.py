"""No lost update, whatever wrote first: PostgreSQL raises the version of a deliverable, a risk
or a board report on every UPDATE (a bulk ``update()``, raw SQL, ``loaddata``, the edit path),
so a form opened before any of them gets a 409 that shows the current values and, beside them,
what the user typed."""

import json
from http import HTTPStatus

import pytest
from django.core import serializers
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from apps.plans import services as plan_services
from apps.plans.models import Deliverable, StatusUpdate
from apps.reports.models import BoardReport
from apps.risks.models import Risk, RiskReview

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliverable(dorset):
    return Deliverable.objects.filter(theme__plan__organisation=dorset).order_by("pk").first()


@pytest.fixture
def risk(darlington):
    return Risk.objects.get(organisation=darlington, reference="R2")


@pytest.fixture
def report(db):
    return BoardReport.objects.get(pk=1)


def _version(obj):
    return type(obj).objects.values_list("version", flat=True).get(pk=obj.pk)


@pytest.mark.parametrize("which", ["deliverable", "risk", "report"])
def test_every_update_raises_the_version_in_the_database(request, which):
    obj = request.getfixturevalue(which)
    model, start = type(obj), _version(obj)
    model.objects.filter(pk=obj.pk).update(updated_at=obj.updated_at)  # a bulk update() changing nothing
    assert _version(obj) == start + 1
    with connection.cursor() as cursor:  # raw SQL that even tries to set the version back
        cursor.execute(f"UPDATE {model._meta.db_table} SET version = 1 WHERE id = %s", [obj.pk])
    assert _version(obj) == start + 2
    obj.refresh_from_db()
    obj.save()  # a plain save() of what was read, as any code outside the edit path might do
    assert _version(obj) == start + 3


def test_loaddata_over_an_existing_record_raises_its_version(tmp_path, deliverable):
    start = _version(deliverable)
    record = json.loads(serializers.serialize("json", [deliverable]))
    record[0]["fields"]["comments"] = "Loaded over the top."
    path = tmp_path / "over.json"
    path.write_text(json.dumps(record))
    call_command("loaddata", str(path), verbosity=0)
    deliverable.refresh_from_db()
    assert (deliverable.comments, deliverable.version) == ("Loaded over the top.", start + 1)


def test_the_edit_path_returns_the_version_the_database_gave(staff_dorset, deliverable):
    saved = plan_services.deliverable_update(
        deliverable_id=deliverable.pk,
        acting_user=staff_dorset,
        expected_version=deliverable.version,
        changes={"in_progress_narrative": "Under way."},
        note="Progress.",
    )
    assert saved.version == _version(deliverable) == deliverable.version + 1


# --- A form opened before a write that bypassed the edit path gets a 409 --------------------


def _deliverable_form(deliverable, **typed):
    data = {
        "status": deliverable.status,
        "note": "",
        "delivered_narrative": deliverable.delivered_narrative,
        "in_progress_narrative": deliverable.in_progress_narrative,
        "owner": "",
        "deadline": deliverable.deadline.isoformat() if deliverable.deadline else "",
        "version": deliverable.version,
    }
    data.update(typed)
    return data


def _risk_form(risk, **typed):
    data = {
        "severity": risk.severity,
        "likelihood": risk.likelihood,
        "residual_severity": risk.residual_severity,
        "residual_likelihood": risk.residual_likelihood,
        "mitigation": risk.mitigation,
        "owner": "",
        "next_review_on": "",
        "status": risk.status,
        "note": "Quarterly review.",
        "version": risk.version,
    }
    data.update(typed)
    return data


def _report_form(report, **typed):
    from apps.reports.models import COVER_FIELDS

    data = {name: getattr(report, name) for name in COVER_FIELDS}
    data.update(meeting_date=report.meeting_date.isoformat(), version=report.version, report=report.pk)
    data.update(typed)
    return data


def _submitted(html):
    return html.split('id="submitted-values"')[1].split("</dl>")[0]


def test_a_deliverable_form_opened_before_a_bulk_update_gets_a_409_showing_what_was_typed(
    client, staff_dorset, deliverable
):
    client.force_login(staff_dorset)
    assert (
        client.get(deliverable.get_absolute_url()).context["form"].initial["version"] == deliverable.version
    )
    Deliverable.objects.filter(pk=deliverable.pk).update(in_progress_narrative="Written by an import.")
    typed = _deliverable_form(
        deliverable, status="delivered", note="My progress note.", in_progress_narrative="My narrative."
    )
    updates_before = StatusUpdate.objects.filter(deliverable=deliverable).count()
    response = client.post(deliverable.get_absolute_url(), typed)
    assert response.status_code == HTTPStatus.CONFLICT
    html = response.content.decode()
    assert 'id="version-conflict"' in html
    assert response.context["form"].initial["in_progress_narrative"] == "Written by an import."
    submitted = _submitted(html)
    assert "My progress note." in submitted and "My narrative." in submitted and "Delivered" in submitted
    deliverable.refresh_from_db()
    assert deliverable.in_progress_narrative == "Written by an import."
    assert StatusUpdate.objects.filter(deliverable=deliverable).count() == updates_before


def test_a_risk_form_opened_before_a_raw_sql_update_gets_a_409_showing_what_was_typed(
    client, staff_darlington, risk
):
    client.force_login(staff_darlington)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE risks_risk SET mitigation = 'Changed in SQL.' WHERE id = %s", [risk.pk])
    response = client.post(
        risk.get_absolute_url(), _risk_form(risk, residual_likelihood=1, note="My review note.")
    )
    assert response.status_code == HTTPStatus.CONFLICT
    html = response.content.decode()
    assert response.context["form"].initial["mitigation"] == "Changed in SQL."
    assert "My review note." in _submitted(html)
    risk.refresh_from_db()
    assert risk.residual_likelihood != 1 and not RiskReview.objects.filter(risk=risk).exists()


def test_a_cover_sheet_opened_before_a_bulk_update_gets_a_409_showing_what_was_typed(
    client, staff_dorset, report
):
    client.force_login(staff_dorset)
    BoardReport.objects.filter(pk=report.pk).update(purpose="Set by an import.")
    response = client.post(
        reverse("reports:cover_edit", args=[report.plan_id]), _report_form(report, purpose="My purpose.")
    )
    assert response.status_code == HTTPStatus.CONFLICT
    assert "My purpose." in _submitted(response.content.decode())
    report.refresh_from_db()
    assert report.purpose == "Set by an import."


@pytest.mark.parametrize("which", ["deliverable", "risk", "report"])
def test_an_admin_form_opened_before_a_bulk_update_gets_a_conflict(client, admin_user, request, which):
    from tests.core.test_edit_path import _admin_form_data, _admin_url

    obj = request.getfixturevalue(which)
    field = {"deliverable": "comments", "risk": "mitigation", "report": "purpose"}[which]
    client.force_login(admin_user)
    opened = _admin_form_data(client, obj, **{field: "Admin's edit", "edit_note": "Admin"})
    type(obj).objects.filter(pk=obj.pk).update(**{field: "Bulk update."})
    response = client.post(_admin_url(obj), opened)
    assert response.status_code == HTTPStatus.OK
    assert "Someone else changed this record" in str(response.context["adminform"].form.non_field_errors())
    obj.refresh_from_db()
    assert getattr(obj, field) == "Bulk update."


def test_an_in_place_status_change_refused_as_stale_keeps_what_was_typed(client, staff_dorset, deliverable):
    client.force_login(staff_dorset)
    status_before = deliverable.status
    Deliverable.objects.filter(pk=deliverable.pk).update(comments="Someone else's change.")
    response = client.post(
        reverse("plans:deliverable_status", args=[deliverable.pk]),
        {"status": "delivered", "note": "Signed off <today>.", "version": deliverable.version},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == HTTPStatus.CONFLICT
    html = response.content.decode()
    assert "Someone else changed this deliverable" in html
    assert "You chose: Delivered, with the note: “Signed off &lt;today&gt;.”" in html
    assert ">Signed off &lt;today&gt;.</textarea>" in html  # back in the note box
    assert f'name="version" value="{deliverable.version + 1}"' in html
    deliverable.refresh_from_db()
    assert deliverable.status == status_before
    assert not StatusUpdate.objects.filter(deliverable=deliverable).exists()
