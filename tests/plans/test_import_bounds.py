"""Uploads bounded by their cost, not their size on the wire (issue 25, item 6): rows, cells
and styles counted while reading, a time budget, request bodies limited before they are read,
anonymous uploads refused unread, a cap on kept uploads per person, and every bound checked in
the preview as the confirmation checks it."""

import io
import re
import time
import zipfile
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from apps.plans import imports as im
from apps.plans.models import Objective, ODPlan
from tests.plans.import_files import plan_rows, to_csv, to_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(darlington):
    return ODPlan.objects.get(organisation=darlington)


def blank_styled_rows_workbook(rows):
    """A small workbook whose sheet goes on for ``rows`` formatted but empty rows below a real
    header and one deliverable (what the security probe's 243 KB file did, with 95 MB)."""
    header = to_xlsx([[im.REFERENCE, im.TITLE], ["1.1", "A deliverable"]])
    source = zipfile.ZipFile(io.BytesIO(header))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                blank = "".join(
                    f'<row r="{n}" s="1" customFormat="1"><c r="A{n}" s="1"/><c r="B{n}" s="1"/></row>'
                    for n in range(3, rows + 3)
                )
                data = data.replace(b"</sheetData>", blank.encode() + b"</sheetData>")
                data = re.sub(
                    rb'<dimension ref="[^"]*"/>', f'<dimension ref="A1:B{rows + 2}"/>'.encode(), data
                )
            target.writestr(info, data)
    return out.getvalue()


def test_blank_styled_rows_are_counted_and_reading_stops_at_the_limit(plan):
    data = blank_styled_rows_workbook(im.MAX_ROWS_READ + 5000)
    assert len(data) < 300_000  # small on the wire
    started = time.monotonic()
    with pytest.raises(im.FileRejected, match="blank ones included"):
        im.build_preview(target=im.Target.load(plan.organisation, plan), file_name="plan.xlsx", data=data)
    assert time.monotonic() - started < im.TIME_BUDGET  # stopped at the count, not at the clock


def test_a_preview_past_its_time_budget_is_stopped(plan, monkeypatch):
    monkeypatch.setattr("apps.plans.imports.reading.TIME_BUDGET", 0.0)
    with pytest.raises(im.FileRejected, match="took longer than"):
        im.build_preview(
            target=im.Target.load(plan.organisation, plan),
            file_name="plan.csv",
            data=to_csv(plan_rows(plan)),
            budget=im.Budget(deadline=time.monotonic() - 1),
        )


def test_a_nul_past_the_first_64_kib_is_a_row_error_in_the_preview_not_a_500(client, staff_darlington, plan):
    rows = plan_rows(plan)
    filler = [[f"9.{n + 1}", "Bulk", "x" * 900] for n in range(80)]  # push the NUL past 64 KiB
    header = [im.REFERENCE, im.THEME_TITLE, im.TITLE]
    data = to_csv([header, *filler, ["9.99", "Bulk", "Has a \x00 in it"]])
    assert data.index(b"\x00") > 65536
    client.force_login(staff_darlington)
    response = client.post(
        reverse("plans:plan_import", args=[plan.pk]), {"file": SimpleUploadedFile("plan.csv", data)}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = response.content.decode()
    assert 'id="error-table"' in page and "NUL character" in page and "\x00" not in page
    assert rows  # the plan is untouched


def test_an_objective_too_long_for_the_plan_is_a_row_error_in_the_preview(plan):
    long = "An objective. " * 180  # 2,520 characters: Objective.text takes 2,000
    data = to_csv([[im.REFERENCE, im.THEME_TITLE, im.OBJECTIVE, im.TITLE], ["9.1", "New", long, "Row"]])
    preview = im.build_preview(target=im.Target.load(plan.organisation, plan), file_name="p.csv", data=data)
    assert not preview.ok
    assert [(e.row, e.column) for e in preview.errors] == [(2, im.OBJECTIVE)]
    assert not Objective.objects.filter(text=long).exists()


def test_a_request_body_over_the_limit_is_refused_before_it_is_read(client, staff_darlington, plan, settings):
    settings.MAX_REQUEST_BYTES = 1000
    client.force_login(staff_darlington)
    response = client.post(
        reverse("plans:plan_import", args=[plan.pk]), {"file": SimpleUploadedFile("plan.csv", b"x" * 5000)}
    )
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE


def test_an_anonymous_upload_is_refused_before_its_body_is_read(plan, staff_darlington):
    """Refused on its headers: the body is never parsed (a body that would fail to parse as
    multipart shows it), even with a CSRF cookie; the login form itself still works."""
    from tests.conftest import PASSWORD

    client = Client()
    client.cookies["csrftoken"] = "x" * 32
    response = client.generic(
        "POST",
        reverse("plans:plan_import_new"),
        b"this is not multipart at all" * 3000,  # 84 KB, over the 64 KB anyone may send
        content_type="multipart/form-data; boundary=nothing",
    )
    assert response.status_code == HTTPStatus.FOUND and "/accounts/login/" in response["Location"]
    signin = Client().post("/accounts/login/", {"username": staff_darlington.username, "password": PASSWORD})
    assert signin.status_code == HTTPStatus.FOUND and signin["Location"] == "/"


def test_kept_uploads_are_capped_per_person_over_all_their_sessions(
    staff_darlington, plan, settings, tmp_path
):
    settings.PLAN_IMPORT_DIR = ""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    data = to_xlsx(plan_rows(plan))
    for _ in range(im.MAX_PENDING_PER_USER + 3):
        client = Client()  # a new session each time
        client.force_login(staff_darlington)
        rows = plan_rows(plan)
        rows[1][rows[0].index(im.STATUS)] = "Delivered"
        response = client.post(
            reverse("plans:plan_import", args=[plan.pk]),
            {"file": SimpleUploadedFile("p.xlsx", to_xlsx(rows))},
        )
        assert response.context["token"]
    kept = list((tmp_path / "media" / "plan-imports").iterdir())
    assert len(kept) == im.MAX_PENDING_PER_USER  # through the default storage, at most five
    assert data
