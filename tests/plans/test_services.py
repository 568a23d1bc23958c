import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from pghistory.models import Events

from apps.core.bounds import NOTE_MAX_LENGTH
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


def test_a_status_change_without_any_note_argument_is_refused(deliverable, staff_dorset):
    """The note defaults to none at all: a caller that forgets it cannot change the status."""
    with pytest.raises(ValidationError) as excinfo:
        services.deliverable_update(
            deliverable_id=deliverable.pk,
            acting_user=staff_dorset,
            expected_version=deliverable.version,
            changes={"status": "delivered"},
        )
    assert excinfo.value.message_dict["note"] == ["Write a progress note to say why the status changed."]
    assert not StatusUpdate.objects.filter(deliverable=deliverable).exists()


def test_the_edit_path_itself_defaults_to_no_note_and_to_ccgtrack(deliverable, staff_dorset):
    """Called without note or via (as an import would), the one edit path still asks for a note
    on a status change, and records the change as made in ccgtrack."""
    edit = dict(pk=deliverable.pk, acting_user=staff_dorset, expected_version=deliverable.version)
    with pytest.raises(ValidationError) as excinfo:
        services.deliverable_edit(**edit, changes={"status": "delivered"})
    assert "note" in excinfo.value.message_dict
    services.deliverable_edit(**edit, changes={"in_progress_narrative": "Imported."})
    event = Events.objects.tracks(deliverable).order_by("-pgh_created_at", "-pgh_id").first()
    assert (event.pgh_context["via"], event.pgh_context["note"]) == ("ccgtrack", "")


def test_an_update_by_the_service_is_recorded_as_made_in_ccgtrack(deliverable, staff_dorset):
    _update(deliverable, staff_dorset, changes={"in_progress_narrative": "Words."})
    event = Events.objects.tracks(deliverable).order_by("-pgh_created_at", "-pgh_id").first()
    assert (event.pgh_context["via"], event.pgh_context["user"]) == ("ccgtrack", staff_dorset.pk)
    assert StatusUpdate.objects.get(deliverable=deliverable).note == ""


def test_a_save_that_changes_nothing_needs_a_note_and_a_note_alone_is_recorded(deliverable, staff_dorset):
    unchanged = {"status": deliverable.status, "in_progress_narrative": deliverable.in_progress_narrative}
    with pytest.raises(ValidationError) as excinfo:
        _update(deliverable, staff_dorset, changes=unchanged)
    assert excinfo.value.messages == ["Nothing was changed: change a field or write a progress note."]
    assert not StatusUpdate.objects.filter(deliverable=deliverable).exists()
    _update(deliverable, staff_dorset, changes=unchanged, note="Discussed at the Executive; no change.")
    update = StatusUpdate.objects.get(deliverable=deliverable)
    assert (update.from_status, update.to_status) == (deliverable.status, deliverable.status)
    assert update.note == "Discussed at the Executive; no change."


@pytest.mark.parametrize("via", ["in-place", "import"])
def test_the_audit_trail_says_how_the_change_was_made(deliverable, staff_dorset, via):
    _update(deliverable, staff_dorset, changes={"in_progress_narrative": "Words."}, via=via)
    event = Events.objects.tracks(deliverable).order_by("-pgh_created_at", "-pgh_id").first()
    assert event.pgh_context["via"] == via


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
    with pytest.raises(PermissionDenied, match=r"^Only staff of the owning organisation may change this\.$"):
        _update(deliverable, user, changes={"status": "delivered"}, note="not mine")
    deliverable.refresh_from_db()
    assert deliverable.status != "delivered"


def test_a_note_may_be_exactly_as_long_as_the_limit_and_no_longer(deliverable, staff_dorset):
    with pytest.raises(ValidationError) as excinfo:
        _update(deliverable, staff_dorset, changes={"status": "delivered"}, note="x" * (NOTE_MAX_LENGTH + 1))
    assert excinfo.value.message_dict == {"note": [f"Keep the note to {NOTE_MAX_LENGTH} characters."]}
    assert not StatusUpdate.objects.filter(deliverable=deliverable).exists()
    _update(deliverable, staff_dorset, changes={"status": "delivered"}, note="x" * NOTE_MAX_LENGTH)
    assert StatusUpdate.objects.get(deliverable=deliverable).note == "x" * NOTE_MAX_LENGTH


def test_staff_may_not_change_what_the_plan_says_and_are_told_which_fields(deliverable, staff_dorset):
    before = (deliverable.title, deliverable.version)
    with pytest.raises(ValidationError) as excinfo:
        _update(
            deliverable, staff_dorset, changes={"title": "Mine now", "theme": None, "status": "delivered"}
        )
    assert excinfo.value.messages == ["These fields cannot be changed here: theme, title."]
    deliverable.refresh_from_db()
    assert (deliverable.title, deliverable.version) == before


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
