import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from pghistory.models import Events

from apps.plans import selectors, services
from apps.plans.models import Deliverable, StatusUpdate

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliverable(dorset):
    return (
        Deliverable.objects.filter(theme__plan__organisation=dorset, status="in_progress").first()
        or Deliverable.objects.filter(theme__plan__organisation=dorset).first()
    )


def _update(deliverable, user, **kwargs):
    kwargs.setdefault("expected_version", deliverable.version)
    return services.deliverable_update(deliverable_id=deliverable.pk, acting_user=user, **kwargs)


def test_status_change_records_who_when_from_to_and_note(deliverable, staff_dorset):
    before = deliverable.status
    updated = _update(
        deliverable, staff_dorset, changes={"status": "delivered"}, note="Signed off at the Executive."
    )
    assert updated.status == "delivered"
    assert updated.version == deliverable.version + 1
    update = StatusUpdate.objects.get(deliverable=deliverable)
    assert (update.from_status, update.to_status, update.created_by, update.note) == (
        before,
        "delivered",
        staff_dorset,
        "Signed off at the Executive.",
    )
    [linked], events = selectors.deliverable_history(deliverable)
    assert linked.changed["status"] == [before, "delivered"]  # read from the audit trail
    assert linked.row == update and update.audit_context_id == events[0].context_id


def test_the_audit_trail_records_the_change_with_the_note(deliverable, staff_dorset):
    _update(deliverable, staff_dorset, changes={"status": "delivered"}, note="Audited note")
    events = list(Events.objects.tracks(deliverable).order_by("pgh_created_at", "pgh_id"))
    assert events[-1].pgh_label == "update"
    assert events[-1].pgh_diff["status"][1] == "delivered"
    assert events[-1].pgh_context["note"] == "Audited note"


def test_bulk_updates_are_caught_by_the_audit_trail(dorset):
    qs = Deliverable.objects.filter(theme__plan__organisation=dorset)
    before = Events.objects.tracks(list(qs)).filter(pgh_label="update").count()
    qs.update(comments="bulk")
    assert Events.objects.tracks(list(qs)).filter(pgh_label="update").count() == before + qs.count()


def test_a_status_change_needs_a_note(deliverable, staff_dorset):
    with pytest.raises(ValidationError) as excinfo:
        _update(deliverable, staff_dorset, changes={"status": "delivered"}, note="  ")
    assert "note" in excinfo.value.message_dict
    deliverable.refresh_from_db()
    assert deliverable.status != "delivered"
    assert not StatusUpdate.objects.filter(deliverable=deliverable).exists()


def test_narrative_change_without_status_change_needs_no_note(deliverable, staff_dorset):
    updated = _update(deliverable, staff_dorset, changes={"in_progress_narrative": "New words."})
    assert updated.in_progress_narrative == "New words."
    [linked], _ = selectors.deliverable_history(deliverable)
    assert linked.changed["in_progress_narrative"][1] == "New words."


def test_a_stale_version_is_refused_and_nothing_changes(deliverable, staff_dorset):
    _update(deliverable, staff_dorset, changes={"status": "delivered"}, note="first editor")
    with pytest.raises(services.StaleVersionError) as excinfo:
        _update(
            deliverable,
            staff_dorset,
            expected_version=deliverable.version,
            changes={"status": "not_started"},
            note="second editor, stale",
        )
    assert excinfo.value.current.status == "delivered"
    deliverable.refresh_from_db()
    assert deliverable.status == "delivered"
    assert StatusUpdate.objects.filter(deliverable=deliverable).count() == 1


@pytest.mark.parametrize("who", ["staff_darlington", "board_dorset", "no_role_user"])
def test_only_staff_of_the_owning_organisation_may_update(request, deliverable, who):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        _update(deliverable, user, changes={"status": "delivered"}, note="not mine")
    deliverable.refresh_from_db()
    assert deliverable.status != "delivered"


def test_a_failure_after_the_save_rolls_everything_back(deliverable, staff_dorset, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(StatusUpdate.objects, "create", boom)
    with pytest.raises(RuntimeError):
        _update(deliverable, staff_dorset, changes={"status": "delivered"}, note="will roll back")
    deliverable.refresh_from_db()
    assert deliverable.status != "delivered"


def test_invalid_status_is_refused(deliverable, staff_dorset):
    with pytest.raises(ValidationError):
        _update(deliverable, staff_dorset, changes={"status": "finished"}, note="bad")


def test_overdue_means_deadline_passed_and_not_delivered(deliverable, staff_dorset):
    deliverable.deadline = datetime.date(2020, 1, 31)
    deliverable.status = "in_progress"
    deliverable.save()
    assert Deliverable.objects.overdue().filter(pk=deliverable.pk).exists()
    assert deliverable.overdue
    deliverable.status = "delivered_further_work"
    deliverable.save()
    assert not Deliverable.objects.overdue().filter(pk=deliverable.pk).exists()
