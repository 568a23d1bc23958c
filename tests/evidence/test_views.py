"""Evidence pages through the test client: adding (a file, a link, from a record's page),
refusals as form errors with nothing stored, the item's page, new files, links, downloads."""

import datetime
from http import HTTPStatus

import pytest
from django.urls import reverse

from apps.evidence.models import EvidenceItem, EvidenceLink, EvidenceRevision
from apps.plans.models import Deliverable, SelfAssessmentScore
from apps.risks.models import Risk
from tests.evidence.factories import add_file, add_link
from tests.evidence.samples import EXE, HTML, PDF, PNG, office, upload

pytestmark = pytest.mark.django_db


def _files(media_root):
    return sorted(p.name for p in media_root.rglob("*") if p.is_file())


@pytest.fixture
def deliverable(darlington):
    return Deliverable.objects.current().filter(theme__plan__organisation=darlington).order_by("pk").first()


def _post_file(client, organisation, name, data, query=""):
    return client.post(
        reverse("evidence:item_create", args=[organisation.slug]) + query,
        {
            "kind": "file",
            "title": "Governing body minutes",
            "speaks_for": "2012-10-31",
            "review_on": "",
            "note": "Shows the committee met.",
            "file": upload(name, data),
        },
    )


def test_staff_add_a_file_from_a_deliverables_page_and_it_is_listed_there(
    client, darlington, staff_darlington, deliverable, media_root
):
    client.force_login(staff_darlington)
    page = client.get(deliverable.get_absolute_url())
    add_url = reverse("evidence:item_create", args=[darlington.slug]) + f"?deliverable={deliverable.pk}"
    assert add_url.replace("&", "&amp;") in page.content.decode()
    form = client.get(add_url)
    assert form.status_code == HTTPStatus.OK and b'enctype="multipart/form-data"' in form.content
    response = _post_file(client, darlington, "Minutes Oct 2012.pdf", PDF, f"?deliverable={deliverable.pk}")
    assert response.status_code == HTTPStatus.FOUND and response.url == deliverable.get_absolute_url()
    item = EvidenceItem.objects.get()
    assert item.links.get().deliverable == deliverable
    revision = item.revisions.get()
    page = client.get(deliverable.get_absolute_url()).content.decode()
    assert "Governing body minutes" in page and revision.sha256[:16] in page
    detail = client.get(item.get_absolute_url()).content.decode()
    assert revision.sha256 in detail and "Minutes Oct 2012.pdf" in detail and deliverable.title in detail


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("minutes.pdf", EXE, "program"),
        ("report.docm", office("docm"), "macro"),
        ("report.docx", office("docm"), "macro"),
        ("minutes.pdf", HTML, "web page"),
    ],
)
def test_a_refused_file_is_a_form_error_and_nothing_is_stored(
    client, darlington, staff_darlington, media_root, name, data, words
):
    client.force_login(staff_darlington)
    response = _post_file(client, darlington, name, data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert words in response.content.decode()
    assert "Nothing was saved" in response.content.decode()
    assert not EvidenceItem.objects.exists() and _files(media_root) == []


def test_an_oversize_file_is_refused_with_the_limit(
    client, darlington, staff_darlington, media_root, settings
):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 2048
    client.force_login(staff_darlington)
    response = _post_file(client, darlington, "big.pdf", PDF + b"0" * 4096)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "the largest file ccgtrack keeps is 2 KB" in response.content.decode()
    assert not EvidenceItem.objects.exists() and _files(media_root) == []


def test_a_link_is_added_without_a_file(client, darlington, staff_darlington):
    client.force_login(staff_darlington)
    response = client.post(
        reverse("evidence:item_create", args=[darlington.slug]),
        {
            "kind": "link",
            "title": "Training log",
            "url": "https://nhs.sharepoint.com/sites/od/log.xlsx",
            "speaks_for": "2012-09-01",
            "note": "The log.",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    item = EvidenceItem.objects.get()
    assert item.kind == "link" and not item.revisions.exists()


def test_a_link_without_an_address_is_a_form_error(client, darlington, staff_darlington):
    client.force_login(staff_darlington)
    response = client.post(
        reverse("evidence:item_create", args=[darlington.slug]),
        {"kind": "link", "title": "Log", "url": "", "speaks_for": "2012-09-01", "note": "x"},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Enter the address of the document" in response.content.decode()


@pytest.mark.parametrize("who", ["board_dorset", "staff_dorset"])
def test_others_may_not_add(client, darlington, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("evidence:item_create", args=[darlington.slug])).status_code == 403


def test_a_new_file_is_uploaded_as_a_revision(client, darlington, staff_darlington, media_root):
    item = add_file(darlington, staff_darlington)
    client.force_login(staff_darlington)
    url = reverse("evidence:revision_create", args=[item.pk])
    response = client.post(
        url,
        {"file": upload("minutes-approved.pdf", PDF + b"%2\n"), "note": "Approved.", "version": item.version},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert list(item.revisions.order_by("number").values_list("number", flat=True)) == [1, 2]
    stale = client.post(
        url, {"file": upload("v3.pdf", PDF + b"%3\n"), "note": "Again.", "version": item.version}
    )
    assert stale.status_code == HTTPStatus.CONFLICT
    assert item.revisions.count() == 2 and len(_files(media_root)) == 2


def test_linking_existing_evidence_to_a_risk_and_removing_the_link(client, darlington, staff_darlington):
    item = add_link(darlington, staff_darlington)
    risk = Risk.objects.current().filter(organisation=darlington).first()
    client.force_login(staff_darlington)
    url = reverse("evidence:link_create") + f"?risk={risk.pk}"
    assert item.title in client.get(url).content.decode()
    response = client.post(url, {"item": item.pk, "note": "The controls are shown in it."})
    assert response.status_code == HTTPStatus.FOUND and response.url == risk.get_absolute_url()
    assert item.title in client.get(risk.get_absolute_url()).content.decode()
    link = EvidenceLink.objects.get()
    response = client.post(
        reverse("evidence:link_remove", args=[link.pk]), {"note": "Wrong risk.", "version": link.version}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert EvidenceLink.objects.current().count() == 0 and EvidenceLink.objects.count() == 1


def test_the_self_assessment_lists_each_domains_evidence(client, darlington, staff_darlington):
    score = SelfAssessmentScore.objects.filter(assessment__organisation=darlington).first()
    item = add_link(darlington, staff_darlington, title="Provider relationships review")
    from apps.evidence import services

    services.evidence_link(item=item, acting_user=staff_darlington, target={"assessment_score": score})
    client.force_login(staff_darlington)
    page = client.get(reverse("plans:self_assessment", args=[darlington.slug])).content.decode()
    assert "Provider relationships review" in page
    assert f"?assessment_score={score.pk}" in page


def test_archive_and_restore(client, darlington, staff_darlington):
    item = add_file(darlington, staff_darlington)
    client.force_login(staff_darlington)
    response = client.post(
        reverse("evidence:item_archive", args=[item.pk]), {"note": "Superseded.", "version": item.version}
    )
    assert response.status_code == HTTPStatus.FOUND
    item.refresh_from_db()
    assert item.archived_at is not None
    response = client.post(
        reverse("evidence:item_restore", args=[item.pk]), {"note": "Needed.", "version": item.version}
    )
    assert response.status_code == HTTPStatus.FOUND
    item.refresh_from_db()
    assert item.archived_at is None


# --- Downloads --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("staff_darlington", 200),
        ("admin_user", 200),
        ("staff_dorset", 404),
        ("board_dorset", 404),
        ("no_role_user", 404),
    ],
)
def test_downloads_are_checked_like_the_record(client, darlington, staff_darlington, request, who, status):
    revision = add_file(darlington, staff_darlington).revisions.get()
    client.force_login(request.getfixturevalue(who))
    response = client.get(revision.get_download_url())
    assert response.status_code == status
    if status == 200:
        assert b"".join(response.streaming_content) == PDF


def test_a_board_member_of_the_organisation_may_download(client, darlington, staff_darlington):
    from tests.factories import MembershipFactory, UserFactory

    board = UserFactory(username="t.board.darlington")
    MembershipFactory(user=board, organisation=darlington, role="governing_body")
    revision = add_file(darlington, staff_darlington).revisions.get()
    client.force_login(board)
    assert client.get(revision.get_download_url()).status_code == 200
    # ... but not add or change.
    assert client.get(reverse("evidence:revision_create", args=[revision.item_id])).status_code == 403


def test_signed_out_download_goes_to_sign_in(client, darlington, staff_darlington):
    revision = add_file(darlington, staff_darlington).revisions.get()
    response = client.get(revision.get_download_url())
    assert response.status_code == HTTPStatus.FOUND and "/accounts/login/" in response.url


def test_a_download_is_an_attachment_never_rendered(client, darlington, staff_darlington):
    revision = add_file(darlington, staff_darlington, data=PNG, name="chart<script>.png").revisions.get()
    client.force_login(staff_darlington)
    response = client.get(revision.get_download_url())
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="chart-script.png"' in response["Content-Disposition"]
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_every_earlier_file_stays_downloadable(client, darlington, staff_darlington):
    from apps.evidence import services
    from apps.evidence.files import check_upload

    item = add_file(darlington, staff_darlington)
    services.evidence_add_revision(
        item_id=item.pk,
        acting_user=staff_darlington,
        expected_version=item.version,
        file=check_upload(upload("v2.pdf", PDF + b"%v2\n")),
        note="v2",
    )
    client.force_login(staff_darlington)
    for revision in EvidenceRevision.objects.filter(item=item):
        response = client.get(revision.get_download_url())
        assert response.status_code == 200
        import hashlib

        assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == revision.sha256


def test_the_items_page_is_hidden_from_other_organisations(
    client, darlington, staff_darlington, staff_dorset
):
    item = add_file(darlington, staff_darlington)
    client.force_login(staff_dorset)
    assert client.get(item.get_absolute_url()).status_code == 404


_ = datetime


def _link_many(organisation, user, n, **target):
    for i in range(n):
        item = add_link(organisation, user, title=f"Evidence {i}")
        from apps.evidence import services

        services.evidence_link(item=item, acting_user=user, target=target)


def test_record_pages_read_a_fixed_number_of_queries_however_much_evidence(
    client, darlington, staff_darlington, deliverable, django_assert_max_num_queries
):
    """A deliverable's, a risk's and the self-assessment's pages: the same queries with one
    piece of evidence as with many (on every domain, for the self-assessment)."""
    risk = Risk.objects.current().filter(organisation=darlington).first()
    scores = list(SelfAssessmentScore.objects.filter(assessment__organisation=darlington))
    pages = {
        "deliverable": (deliverable.get_absolute_url(), {"deliverable": deliverable}),
        "risk": (risk.get_absolute_url(), {"risk": risk}),
    }
    client.force_login(staff_darlington)
    for url, target in pages.values():
        _link_many(darlington, staff_darlington, 1, **target)
        client.get(url)
        with django_assert_max_num_queries(60) as few:
            client.get(url)
        _link_many(darlington, staff_darlington, 8, **target)
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert client.get(url).content.decode().count("Evidence 7") == 1
    url = reverse("plans:self_assessment", args=[darlington.slug])
    _link_many(darlington, staff_darlington, 1, assessment_score=scores[0])
    with django_assert_max_num_queries(60) as few:
        client.get(url)
    for score in scores:
        _link_many(darlington, staff_darlington, 3, assessment_score=score)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_details_are_corrected_through_the_edit_path(client, darlington, staff_darlington):
    from pghistory.models import Events

    item = add_link(darlington, staff_darlington)
    client.force_login(staff_darlington)
    url = reverse("evidence:item_edit", args=[item.pk])
    response = client.post(
        url,
        {
            "title": "Training log 2012",
            "url": "nhs.sharepoint.com/sites/od/log-2012.xlsx",  # https:// assumed
            "speaks_for": "2012-09-01",
            "review_on": "2013-09-01",
            "note": "The 2012 log.",
            "version": item.version,
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    item.refresh_from_db()
    assert (
        item.title == "Training log 2012" and item.url == "https://nhs.sharepoint.com/sites/od/log-2012.xlsx"
    )
    event = Events.objects.tracks(item).order_by("-pgh_id").first()
    assert event.pgh_context["note"] == "The 2012 log." and event.pgh_context["via"] == "form"
    # A review date before the date it speaks for: the rule's message beside the field.
    response = client.post(
        url,
        {
            "title": "Training log 2012",
            "url": item.url,
            "speaks_for": "2012-09-01",
            "review_on": "2011-01-01",
            "note": "Oops.",
            "version": item.version,
        },
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "cannot be before the date the evidence speaks for" in response.content.decode()


def test_the_item_page_shows_its_history_in_words(client, darlington, staff_darlington):
    from apps.evidence import services
    from apps.evidence.files import check_upload

    item = add_file(darlington, staff_darlington)
    services.evidence_add_revision(
        item_id=item.pk,
        acting_user=staff_darlington,
        expected_version=item.version,
        file=check_upload(upload("v2.pdf", PDF + b"%v2\n")),
        note="The approved minutes.",
    )
    client.force_login(staff_darlington)
    page = client.get(item.get_absolute_url()).content.decode()
    assert "The approved minutes." in page and "Added for the audit." in page
    assert "(file 2, current)" in page and "(file 1)" in page


def test_the_admin_reads_evidence_and_changes_nothing(client, darlington, staff_darlington, admin_user):
    item = add_file(darlington, staff_darlington)
    client.force_login(admin_user)
    page = client.get(reverse("admin:evidence_evidenceitem_change", args=[item.pk]))
    assert page.status_code == HTTPStatus.OK
    assert item.revisions.get().sha256 in page.content.decode()
    assert client.get(reverse("admin:evidence_evidenceitem_add")).status_code == 403


def test_the_items_page_keeps_its_removed_links(client, darlington, staff_darlington):
    from apps.evidence import services

    item = add_link(darlington, staff_darlington)
    risk = Risk.objects.current().filter(organisation=darlington).first()
    link = services.evidence_link(
        item=item, acting_user=staff_darlington, target={"risk": risk}, note="Shows the controls."
    )
    services.evidence_unlink(
        link_id=link.pk, acting_user=staff_darlington, expected_version=link.version, note="Wrong risk."
    )
    client.force_login(staff_darlington)
    response = client.get(item.get_absolute_url())
    supports = response.content.decode().split('id="supports"')[1].split("</section>")[0]
    assert risk.reference in supports and "Removed " in supports
    assert reverse("evidence:link_remove", args=[link.pk]) not in supports
