"""The import pages: upload, preview, confirm, conflicts and who may import."""

import io
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from apps.plans import imports as im
from apps.plans import services
from apps.plans.models import Deliverable, ODPlan, StatusUpdate
from tests.plans.import_files import column, plan_rows, to_csv, to_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    settings.PLAN_IMPORT_DIR = str(tmp_path)
    return tmp_path


@pytest.fixture
def plan(darlington):
    return ODPlan.objects.get(organisation=darlington)


def _rows(plan, reference="1.1", status="Delivered"):
    rows = plan_rows(plan)
    row = next(r for r in rows[1:] if r[column(rows, im.REFERENCE)] == reference)
    row[column(rows, im.STATUS)] = status
    return rows


def upload(client, url, data, name="plan.xlsx", **fields):
    return client.post(url, {"file": SimpleUploadedFile(name, data), **fields})


def token_of(response):
    return response.context["token"]


def test_staff_upload_preview_confirm_and_the_plan_is_updated(client, staff_darlington, plan, import_dir):
    client.force_login(staff_darlington)
    url = reverse("plans:plan_import", args=[plan.pk])
    assert client.get(url).status_code == HTTPStatus.OK
    response = upload(client, url, to_xlsx(_rows(plan)))
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert 'id="count-changed">1<' in page and 'id="count-unchanged">40<' in page
    assert "<strong>Status</strong>: In progress → Delivered" in page
    assert not StatusUpdate.objects.exists()  # nothing saved by the preview
    token = token_of(response)
    assert len(list(import_dir.iterdir())) == 1  # the file waits server-side
    response = client.post(reverse("plans:plan_import_confirm", args=[plan.pk]), {"token": token})
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == plan.get_absolute_url()
    deliverable = Deliverable.objects.get(theme__plan=plan, theme__number=1, position=1)
    assert deliverable.status == "delivered"
    assert deliverable.updates.get().note == "Imported from plan.xlsx"
    assert list(import_dir.iterdir()) == []  # and is gone once imported
    again = client.post(reverse("plans:plan_import_confirm", args=[plan.pk]), {"token": token})
    assert again.status_code == HTTPStatus.BAD_REQUEST  # a token is used once
    assert deliverable.updates.count() == 1


def test_the_same_file_uploaded_again_has_nothing_to_import(client, staff_darlington, plan):
    client.force_login(staff_darlington)
    url = reverse("plans:plan_import", args=[plan.pk])
    data = to_csv(_rows(plan))
    client.post(
        reverse("plans:plan_import_confirm", args=[plan.pk]), {"token": token_of(upload(client, url, data))}
    )
    response = upload(client, url, data, name="plan.csv")
    assert response.status_code == HTTPStatus.OK
    assert 'id="nothing-to-import"' in response.content.decode() and token_of(response) is None


def test_row_errors_are_listed_and_there_is_nothing_to_confirm(client, staff_darlington, plan):
    client.force_login(staff_darlington)
    response = upload(
        client, reverse("plans:plan_import", args=[plan.pk]), to_xlsx(_rows(plan, "1.3", "Done"))
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = response.content.decode()
    assert 'id="error-table"' in page and "&#x27;Done&#x27; is not a status" in page
    assert '<td class="num">4</td><td>Status</td><td>Done</td>' in page
    assert token_of(response) is None and 'id="confirm-form"' not in page
    assert 'id="upload-form"' in page  # upload the corrected file from here


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00", "plan.xlsx", "not a spreadsheet"),
        (b"name,age\nJo,3\n", "plan.csv", "no &#x27;Deliverable / action&#x27; column"),
        (b"PK\x03\x04xx", "plan.xlsm", "macros"),
    ],
)
def test_a_bad_file_gets_a_clear_message_and_nothing_is_kept(
    client, staff_darlington, plan, import_dir, data, name, expected
):
    client.force_login(staff_darlington)
    response = upload(client, reverse("plans:plan_import", args=[plan.pk]), data, name=name)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert expected in response.content.decode()
    assert list(import_dir.iterdir()) == []


def test_a_file_of_10_mb_is_refused_by_the_form(client, staff_darlington, plan):
    client.force_login(staff_darlington)
    response = upload(
        client, reverse("plans:plan_import", args=[plan.pk]), b"a" * im.MAX_FILE_BYTES, "big.csv"
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "an import takes files under 10 MB" in response.content.decode()


def test_a_change_between_preview_and_confirm_is_a_conflict_and_nothing_is_saved(
    client, staff_darlington, plan
):
    """Someone saves row 1.1 between the preview and the confirmation: nothing is imported, and
    the refreshed preview shows 1.1 as a conflict, their value beside the file's, not as an
    ordinary change (issue 25.5). Confirming without choosing it leaves their edit alone."""
    client.force_login(staff_darlington)
    response = upload(client, reverse("plans:plan_import", args=[plan.pk]), to_xlsx(_rows(plan)))
    token = token_of(response)
    other = Deliverable.objects.get(theme__plan=plan, theme__number=1, position=1)
    services.deliverable_update(
        deliverable_id=other.pk,
        acting_user=staff_darlington,
        expected_version=other.version,
        changes={"in_progress_narrative": "Someone else's words"},
    )
    confirm = reverse("plans:plan_import_confirm", args=[plan.pk])
    response = client.post(confirm, {"token": token})
    assert response.status_code == HTTPStatus.CONFLICT
    page = response.content.decode()
    assert "Someone changed this plan after your preview, so nothing was imported" in page
    other.refresh_from_db()
    assert other.status == "in_progress" and other.updates.count() == 1
    conflict = page.split(f'id="conflict-{other.pk}"')[1].split("</div>")[0]
    assert "<strong>Status</strong>: now In progress; the file says Delivered" in conflict
    assert "now Someone else&#x27;s words; the file says" in conflict
    assert 'id="changed-rows"' not in page  # not among the ordinary changes
    # Confirming without ticking it imports the rest and leaves their edit as it is.
    response = client.post(confirm, {"token": token_of(response)})
    assert response.status_code == HTTPStatus.FOUND
    other.refresh_from_db()
    assert (other.status, other.in_progress_narrative) == ("in_progress", "Someone else's words")


def test_a_conflict_is_applied_only_for_the_rows_the_importer_chooses(client, staff_darlington, plan):
    client.force_login(staff_darlington)
    response = upload(client, reverse("plans:plan_import", args=[plan.pk]), to_xlsx(_rows(plan)))
    token = token_of(response)
    other = Deliverable.objects.get(theme__plan=plan, theme__number=1, position=1)
    services.deliverable_update(
        deliverable_id=other.pk,
        acting_user=staff_darlington,
        expected_version=other.version,
        changes={"in_progress_narrative": "Someone else's words"},
    )
    confirm = reverse("plans:plan_import_confirm", args=[plan.pk])
    response = client.post(confirm, {"token": token})
    assert response.status_code == HTTPStatus.CONFLICT
    response = client.post(confirm, {"token": token_of(response), "accept": [str(other.pk)]})
    assert response.status_code == HTTPStatus.FOUND
    other.refresh_from_db()
    assert other.status == "delivered" and other.in_progress_narrative != "Someone else's words"
    assert other.updates.count() == 2


def test_a_token_is_bound_to_its_user_and_its_plan(client, staff_darlington, admin_user, plan, dorset):
    client.force_login(staff_darlington)
    token = token_of(upload(client, reverse("plans:plan_import", args=[plan.pk]), to_xlsx(_rows(plan))))
    client.force_login(admin_user)  # another session, another user
    response = client.post(reverse("plans:plan_import_confirm", args=[plan.pk]), {"token": token})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    client.force_login(staff_darlington)
    response = client.post(reverse("plans:plan_import_new_confirm"), {"token": token})
    assert response.status_code == HTTPStatus.BAD_REQUEST  # the token is for another page
    for bad in ("", "x" * 43, "../../etc/passwd"):
        assert (
            client.post(reverse("plans:plan_import_confirm", args=[plan.pk]), {"token": bad}).status_code
            == 400
        )
    assert not StatusUpdate.objects.exists()


def test_a_new_plan_is_imported_for_an_organisation_the_user_may_edit(
    client, staff_darlington, plan, darlington
):
    client.force_login(staff_darlington)
    url = reverse("plans:plan_import_new")
    page = client.get(url)
    assert list(page.context["form"].fields["organisation"].queryset) == [darlington]
    response = upload(
        client,
        url,
        to_csv(plan_rows(plan)),
        "next.csv",
        organisation=darlington.pk,
        title="OD 2025",
        period_label="2025-28",
    )
    assert response.status_code == HTTPStatus.OK and response.context["preview"].ok
    assert response.context["form"]["title"].value() == "OD 2025"  # kept for a re-upload
    response = client.post(reverse("plans:plan_import_new_confirm"), {"token": token_of(response)})
    new = ODPlan.objects.get(title="OD 2025")
    assert response["Location"] == new.get_absolute_url()
    assert (new.organisation, new.period_label, new.themes.count()) == (darlington, "2025-28", 7)
    assert Deliverable.objects.filter(theme__plan=new).count() == 41


def test_an_organisation_the_user_may_not_edit_is_refused(
    client, staff_dorset, board_dorset, plan, darlington
):
    client.force_login(staff_dorset)
    response = upload(
        client,
        reverse("plans:plan_import_new"),
        to_csv(plan_rows(plan)),
        "x.csv",
        organisation=darlington.pk,
        title="T",
        period_label="P",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Select a valid choice" in response.content.decode()
    assert client.get(reverse("plans:plan_import", args=[plan.pk])).status_code == HTTPStatus.NOT_FOUND
    dorset_plan = ODPlan.objects.get(organisation__slug="nhs-dorset-ccg")
    client.force_login(board_dorset)
    for url in (reverse("plans:plan_import", args=[dorset_plan.pk]), reverse("plans:plan_import_new")):
        assert client.get(url).status_code == HTTPStatus.FORBIDDEN
    assert (
        client.post(reverse("plans:plan_import", args=[dorset_plan.pk]), {}).status_code
        == HTTPStatus.FORBIDDEN
    )
    assert not ODPlan.objects.filter(title="T").exists()
    client.logout()
    assert client.get(reverse("plans:plan_import_new")).status_code == HTTPStatus.FOUND  # to the login page


def test_the_template_downloads_in_both_formats(client, staff_dorset):
    client.force_login(staff_dorset)
    response = client.get(reverse("plans:plan_import_template", args=["xlsx"]))
    assert response.status_code == HTTPStatus.OK and "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert tuple(c.value for c in sheet[1]) == im.TEMPLATE_COLUMNS
    response = client.get(reverse("plans:plan_import_template", args=["csv"]))
    assert response.content.decode("utf-8-sig").startswith(
        "Theme no.,Theme / priority area,Objective,Reference"
    )
    assert client.get(reverse("plans:plan_import_template", args=["pdf"])).status_code == HTTPStatus.NOT_FOUND


def test_the_plan_page_links_the_import_for_staff_only(client, staff_darlington, board_dorset, plan):
    client.force_login(staff_darlington)
    assert 'id="plan-import-link"' in client.get(plan.get_absolute_url()).content.decode()
    dorset_plan = ODPlan.objects.get(organisation__slug="nhs-dorset-ccg")
    client.force_login(board_dorset)
    assert 'id="plan-import-link"' not in client.get(dorset_plan.get_absolute_url()).content.decode()
