"""Evidence writes: the edit path's permission, history and notes; revisions; links; nothing
stored when a write is refused."""

import datetime
import os

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from pghistory.models import Events

from apps.evidence import services
from apps.evidence.files import check_upload
from apps.evidence.models import EvidenceItem, EvidenceLink, EvidenceRevision
from apps.plans.models import Deliverable, SelfAssessmentScore
from apps.risks.models import Risk
from tests.evidence.factories import add_file, add_link
from tests.evidence.samples import PDF, PNG, upload
from tests.risks.factories import RiskFactory

pytestmark = pytest.mark.django_db


def _files(media_root):
    return sorted(p.name for p in media_root.rglob("*") if p.is_file())


def test_a_file_is_kept_with_its_fingerprint_in_the_storage(darlington, staff_darlington, media_root):
    item = add_file(darlington, staff_darlington)
    [revision] = item.revisions.all()
    assert revision.number == 1 and revision.uploaded_by == staff_darlington
    assert revision.size == len(PDF) and revision.content_type == "application/pdf"
    assert revision.file.name.startswith(f"evidence/{darlington.slug}/item-{item.pk}/1-")
    assert (media_root / revision.file.name).read_bytes() == PDF
    assert item.added_by == staff_darlington
    event = Events.objects.tracks(item).get()
    assert event.pgh_label == "insert"
    assert "New file: minutes.pdf (SHA-256" not in event.pgh_context["note"]  # the note as typed
    assert revision.audit_context_id == event.pgh_context_id


def test_a_new_file_is_a_new_revision_and_the_old_one_stays(darlington, staff_darlington, media_root):
    item = add_file(darlington, staff_darlington)
    services.evidence_add_revision(
        item_id=item.pk,
        acting_user=staff_darlington,
        expected_version=item.version,
        file=check_upload(upload("minutes-v2.pdf", PDF + b"% corrected\n")),
        note="Corrected minutes approved.",
    )
    first, second = EvidenceRevision.objects.filter(item=item).order_by("number")
    assert (first.number, second.number) == (1, 2)
    assert first.sha256 != second.sha256
    assert (media_root / first.file.name).exists() and (media_root / second.file.name).exists()
    item.refresh_from_db()
    assert item.version == 2


def test_a_revision_is_history_that_cannot_be_changed(darlington, staff_darlington):
    revision = add_file(darlington, staff_darlington).revisions.get()
    with pytest.raises(Exception, match="permission denied|append_only"), transaction.atomic():
        EvidenceRevision.objects.filter(pk=revision.pk).update(note="rewritten")


def test_a_stale_revision_is_refused(darlington, staff_darlington, media_root):
    from apps.core.history.audit import StaleVersionError

    item = add_file(darlington, staff_darlington)
    before = _files(media_root)
    with pytest.raises(StaleVersionError):
        services.evidence_add_revision(
            item_id=item.pk,
            acting_user=staff_darlington,
            expected_version=item.version + 5,
            file=check_upload(upload("v2.pdf", PDF + b"%x\n")),
            note="New.",
        )
    assert _files(media_root) == before


def test_a_refused_write_stores_nothing(darlington, staff_darlington, media_root):
    checked = check_upload(upload("minutes.pdf", PDF))
    with pytest.raises(ValidationError):
        services.evidence_create(
            organisation=darlington,
            acting_user=staff_darlington,
            # The review date before the date it speaks for: refused by the rule, after the checks.
            values={
                "title": "Minutes",
                "kind": "file",
                "speaks_for": datetime.date(2012, 10, 31),
                "review_on": datetime.date(2012, 1, 1),
            },
            file=checked,
        )
    assert not EvidenceItem.objects.exists()
    assert _files(media_root) == []


def test_a_failure_after_the_file_is_written_deletes_it(darlington, staff_darlington, media_root):
    """A link refused after the item and its file were written: nothing stays, row or file."""
    deliverable = Deliverable.objects.filter(theme__plan__organisation__slug="nhs-dorset-ccg").first()
    with pytest.raises(PermissionDenied):
        services.evidence_create(
            organisation=darlington,
            acting_user=staff_darlington,
            values={"title": "Minutes", "kind": "file", "speaks_for": datetime.date(2012, 10, 31)},
            file=check_upload(upload("minutes.pdf", PDF)),
            link_to={"deliverable": deliverable},
        )
    assert not EvidenceItem.objects.exists()
    assert _files(media_root) == []


@pytest.mark.parametrize("who", ["staff_dorset", "board_dorset", "no_role_user"])
def test_only_the_organisations_editors_may_add(darlington, request, who, media_root):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        add_file(darlington, user)
    assert not EvidenceItem.objects.exists() and _files(media_root) == []


def test_an_administrator_may_add_anywhere(darlington, admin_user):
    assert add_file(darlington, admin_user).organisation == darlington


def test_a_link_needs_its_address(darlington, staff_darlington):
    with pytest.raises(ValidationError, match="address"):
        add_link(darlington, staff_darlington, url="")


def test_a_file_item_needs_a_file(darlington, staff_darlington):
    with pytest.raises(ValidationError) as excinfo:
        services.evidence_create(
            organisation=darlington,
            acting_user=staff_darlington,
            values={"title": "Minutes", "kind": "file", "speaks_for": datetime.date(2012, 10, 31)},
        )
    assert excinfo.value.message_dict["file"] == ["Choose a file to upload."]


def test_one_item_supports_several_records_and_a_link_is_removed_not_deleted(darlington, staff_darlington):
    item = add_link(darlington, staff_darlington)
    deliverable = Deliverable.objects.current().filter(theme__plan__organisation=darlington).first()
    risk = Risk.objects.current().filter(organisation=darlington).first()
    score = SelfAssessmentScore.objects.filter(assessment__organisation=darlington).first()
    for target in ({"deliverable": deliverable}, {"risk": risk}, {"assessment_score": score}):
        services.evidence_link(item=item, acting_user=staff_darlington, target=target)
    assert {link.target_label for link in item.links.all()} == {
        "Deliverable",
        "Risk",
        "Self-assessment domain",
    }
    with pytest.raises(ValidationError, match="already supports"):
        services.evidence_link(item=item, acting_user=staff_darlington, target={"risk": risk})
    link = item.links.get(risk=risk)
    services.evidence_unlink(
        link_id=link.pk, acting_user=staff_darlington, expected_version=link.version, note="Wrong risk."
    )
    link.refresh_from_db()
    assert link.removed_at is not None
    assert EvidenceLink.objects.current().filter(item=item).count() == 2
    assert Events.objects.tracks(link).order_by("pgh_id").last().pgh_context["note"] == "Wrong risk."
    # Once removed, it can be linked again.
    services.evidence_link(item=item, acting_user=staff_darlington, target={"risk": risk})


def test_a_link_to_another_organisations_record_is_refused(darlington, dorset, staff_darlington):
    item = add_link(darlington, staff_darlington)
    risk = RiskFactory(organisation=dorset)
    with pytest.raises(PermissionDenied):
        services.evidence_link(item=item, acting_user=staff_darlington, target={"risk": risk})
    assert not item.links.exists()


def test_the_database_holds_exactly_one_target_per_link(darlington, staff_darlington):
    item = add_link(darlington, staff_darlington)
    risk = Risk.objects.filter(organisation=darlington).first()
    deliverable = Deliverable.objects.filter(theme__plan__organisation=darlington).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        EvidenceLink.objects.create(item=item, risk=risk, deliverable=deliverable)
    with pytest.raises(IntegrityError), transaction.atomic():
        EvidenceLink.objects.create(item=item)


def test_archived_never_deleted_and_restored(darlington, staff_darlington):
    item = add_file(darlington, staff_darlington, data=PNG, name="chart.png")
    services.evidence_edit.set_archived(
        pk=item.pk,
        acting_user=staff_darlington,
        expected_version=item.version,
        archived=True,
        note="Superseded.",
    )
    assert not EvidenceItem.objects.current().filter(pk=item.pk).exists()
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017  (PROTECT: it has a revision)
        EvidenceItem.objects.filter(pk=item.pk).delete()
    item.refresh_from_db()
    services.evidence_edit.set_archived(
        pk=item.pk, acting_user=staff_darlington, expected_version=item.version, archived=False, note="Back."
    )
    assert EvidenceItem.objects.current().filter(pk=item.pk).exists()


def test_media_goes_to_the_temporary_folder(media_root, darlington, staff_darlington):
    item = add_file(darlington, staff_darlington)
    assert os.path.commonpath([media_root, media_root / item.revisions.get().file.name]) == str(media_root)
