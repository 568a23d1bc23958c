"""History cannot be rewritten: PostgreSQL refuses UPDATE and DELETE of status updates, risk
reviews, the audit trail's events and its contexts, whatever the path (SQL, the ORM, the
admin); records and people with history cannot be deleted; and edits still work, including two
edits under one audit context (pghistory upserts the context row)."""

from http import HTTPStatus

import pghistory
import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError
from django.urls import reverse
from pghistory.models import Context, Events

from apps.plans import services as plan_services
from apps.plans.models import Deliverable, DeliverableEvent, StatusUpdate, Theme
from apps.reports import services as report_services
from apps.reports.models import BoardReport, BoardReportEvent
from apps.risks import services as risk_services
from apps.risks.models import Risk, RiskEvent, RiskReview
from tests.factories import UserFactory

# The triggers hold whoever writes: these tests run as the owner role, which holds UPDATE and
# DELETE on every table (the app role does not even get that far: tests/core/test_db_roles.py).
pytestmark = [pytest.mark.django_db, pytest.mark.owner_role]


@pytest.fixture
def deliverables(db):
    return list(Deliverable.objects.exclude(status__in=Deliverable.DELIVERED_STATUSES).order_by("pk")[:2])


@pytest.fixture
def risk(darlington):
    return Risk.objects.filter(organisation=darlington).order_by("pk").first()


@pytest.fixture
def history(staff_dorset, staff_darlington, dorset, risk):
    """One of each history row: a status update, a risk review, an audit event of each tracked
    model, and their contexts."""
    deliverable = Deliverable.objects.filter(theme__plan__organisation=dorset).order_by("pk").first()
    update_deliverable = plan_services.deliverable_update(
        deliverable_id=deliverable.pk,
        acting_user=staff_dorset,
        expected_version=deliverable.version,
        changes={"in_progress_narrative": "Signed off at the Executive."},
        note="Signed off.",
    )
    risk_services.risk_review(
        risk_id=risk.pk,
        acting_user=staff_darlington,
        expected_version=risk.version,
        changes={"residual_likelihood": 1},
        note="Reviewed.",
    )
    report = BoardReport.objects.get(pk=1)
    report_services.board_report_save(
        plan=report.plan, report_id=1, acting_user=staff_dorset, expected_version=1, data={"author": "New"}
    )
    return {
        "deliverable": update_deliverable,
        "update": StatusUpdate.objects.get(deliverable=update_deliverable),
        "review": RiskReview.objects.get(risk=risk),
        "report": report,
    }


def _refused(sql, params=()):
    """Run ``sql`` in a savepoint and expect PostgreSQL to refuse it."""
    with pytest.raises(DatabaseError, match="append-only|Cannot update or delete"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)


HISTORY_TABLES = [
    (StatusUpdate, "note = 'rewritten'"),
    (RiskReview, "note = 'rewritten'"),
    (DeliverableEvent, "pgh_label = 'rewritten'"),
    (RiskEvent, "pgh_label = 'rewritten'"),
    (BoardReportEvent, "pgh_label = 'rewritten'"),
    (Context, "metadata = '{}'::jsonb"),
]


@pytest.mark.parametrize(("model", "assignment"), HISTORY_TABLES, ids=lambda v: getattr(v, "__name__", ""))
def test_sql_update_and_delete_of_history_are_refused(history, model, assignment):
    table = model._meta.db_table
    rows_before = list(model.objects.order_by("pk").values())
    assert rows_before, f"{table} has a row to attack"
    _refused(f"UPDATE {table} SET {assignment}")
    _refused(f"DELETE FROM {table}")
    assert list(model.objects.order_by("pk").values()) == rows_before


@pytest.mark.parametrize("model", [StatusUpdate, RiskReview, DeliverableEvent, Context])
def test_orm_update_and_delete_of_history_are_refused(history, model):
    row = model.objects.order_by("pk").first()
    field = "metadata" if model is Context else ("pgh_label" if model is DeliverableEvent else "note")
    value = {} if model is Context else "rewritten"
    with pytest.raises(DatabaseError), transaction.atomic():
        model.objects.filter(pk=row.pk).update(**{field: value})
    with pytest.raises(DatabaseError), transaction.atomic():
        model.objects.filter(pk=row.pk).delete()
    assert model.objects.filter(pk=row.pk).exists()


def test_two_edits_under_one_audit_context_still_work_and_the_context_is_then_closed(
    admin_user, deliverables
):
    """pghistory upserts the context row (INSERT ... ON CONFLICT DO UPDATE of its metadata) when a
    second change shares the context, as two saves in one web request do. That update is let
    through; a later UPDATE of the same row is not."""
    first, second = deliverables
    with pghistory.context(url="/one-request/") as audit:
        for deliverable, note in ((first, "First note."), (second, "Second note.")):
            plan_services.deliverable_update(
                deliverable_id=deliverable.pk,
                acting_user=admin_user,
                expected_version=deliverable.version,
                changes={"status": "delivered"},
                note=note,
            )
        # Inside the context, only its own row may be updated, and only its metadata.
        _refused(
            "UPDATE pghistory_context SET created_at = now() - interval '1 day' WHERE id = %s", [audit.id]
        )
        other = Context.objects.exclude(pk=audit.id).order_by("created_at").first()
        if other is not None:
            _refused("UPDATE pghistory_context SET metadata = '{}'::jsonb WHERE id = %s", [other.pk])
    updates = StatusUpdate.objects.filter(deliverable__in=deliverables)
    assert updates.count() == 2
    assert {u.audit_context_id for u in updates} == {audit.id}
    context = Context.objects.get(pk=audit.id)
    assert context.metadata["url"] == "/one-request/" and context.metadata["user"] == admin_user.pk
    assert Events.objects.filter(pgh_context_id=audit.id).count() == 2
    # Still in the same transaction, an UPDATE other than pghistory's own is refused ...
    _refused("UPDATE pghistory_context SET metadata = '{}'::jsonb WHERE id = %s", [audit.id])
    _refused("DELETE FROM pghistory_context WHERE id = %s", [audit.id])
    # ... and later (a new transaction starts with pghistory's settings unset), any UPDATE is.
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pghistory.context_id', '', true)")
        cursor.execute("SELECT set_config('pghistory.context_metadata', '', true)")
    _refused("UPDATE pghistory_context SET metadata = metadata WHERE id = %s", [audit.id])
    assert Context.objects.get(pk=audit.id).metadata == context.metadata


def test_an_admin_bulk_action_saves_several_records_in_one_request(client, admin_user, deliverables):
    """One request, one audit context, one transaction per record: each save upserts the
    context, and each is let through."""
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:plans_deliverable_changelist"),
        {"action": "mark_delivered", "_selected_action": [d.pk for d in deliverables]},
    )
    assert response.status_code == HTTPStatus.FOUND
    updates = StatusUpdate.objects.filter(deliverable__in=deliverables)
    assert sorted(u.to_status for u in updates) == ["delivered", "delivered"]
    assert len({u.audit_context_id for u in updates}) == 1


# --- The admin offers no delete of history or of records with history -----------------------


@pytest.mark.parametrize(
    ("url_name", "which"),
    [
        ("admin:plans_statusupdate", "update"),
        ("admin:risks_riskreview", "review"),
        ("admin:plans_deliverable", "deliverable"),
        ("admin:risks_risk", "risk"),
    ],
)
def test_the_admin_offers_no_delete_singly_or_in_bulk(client, admin_user, history, url_name, which):
    obj = history[which] if which in history else history["review"].risk
    model = type(obj)
    client.force_login(admin_user)
    changelist = client.get(reverse(f"{url_name}_changelist"))
    assert changelist.status_code == HTTPStatus.OK
    assert b'value="delete_selected"' not in changelist.content
    assert client.get(reverse(f"{url_name}_delete", args=[obj.pk])).status_code == HTTPStatus.FORBIDDEN
    assert client.post(reverse(f"{url_name}_delete", args=[obj.pk]), {"post": "yes"}).status_code == 403
    client.post(
        reverse(f"{url_name}_changelist"),
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
    )
    assert model.objects.filter(pk=obj.pk).exists()


def test_history_rows_are_read_only_in_the_admin(client, admin_user, history):
    client.force_login(admin_user)
    update = history["update"]
    page = client.get(reverse("admin:plans_statusupdate_change", args=[update.pk]))
    assert page.status_code == HTTPStatus.OK
    assert b'name="_save"' not in page.content
    response = client.post(reverse("admin:plans_statusupdate_change", args=[update.pk]), {"note": "x"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert client.get(reverse("admin:plans_statusupdate_add")).status_code == HTTPStatus.FORBIDDEN
    update.refresh_from_db()
    assert update.note == "Signed off."


def test_the_audit_trail_admin_is_read_only(client, admin_user, history):
    client.force_login(admin_user)
    deliverable = history["deliverable"]
    url = reverse("admin:pghistory_events_changelist")
    page = client.get(url, {"obj": f"plans.deliverable:{deliverable.pk}", "method": "tracks"})
    assert page.status_code == HTTPStatus.OK
    assert b"Signed off." in page.content or b"update" in page.content
    assert b'name="action"' not in page.content  # no actions at all, so no bulk delete
    events_before = Events.objects.count()
    client.post(url, {"action": "delete_selected", "_selected_action": ["x"], "post": "yes"})
    assert Events.objects.count() == events_before


# --- No cascade: records and people with history are archived or deactivated ----------------


def test_a_deliverable_or_risk_with_history_cannot_be_deleted(history):
    deliverable, risk = history["deliverable"], history["review"].risk
    with pytest.raises(ProtectedError), transaction.atomic():
        deliverable.delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        Theme.objects.get(pk=deliverable.theme_id).delete()  # no cascade from above either
    with pytest.raises(ProtectedError), transaction.atomic():
        risk.delete()
    assert StatusUpdate.objects.filter(deliverable=deliverable).exists()
    assert RiskReview.objects.filter(risk=risk).exists()


def test_a_user_with_history_cannot_be_deleted(history, staff_dorset, staff_darlington):
    for user in (staff_dorset, staff_darlington):
        with pytest.raises(ProtectedError), transaction.atomic():
            user.delete()
    history["update"].refresh_from_db()
    assert history["update"].created_by == staff_dorset


def test_the_admin_deactivates_people_with_history_instead_of_deleting_them(
    client, admin_user, staff_dorset, history
):
    User = get_user_model()
    cover_sheet_editor = UserFactory(username="t.cover.editor", is_superuser=True, is_staff=True)
    report_services.board_report_save(  # history only in the audit trail (no status update)
        plan=history["report"].plan,
        report_id=1,
        acting_user=cover_sheet_editor,
        expected_version=2,
        data={"author": "Newer"},
    )
    newcomer = UserFactory(username="t.newcomer")
    client.force_login(admin_user)
    for user in (staff_dorset, cover_sheet_editor):
        url = reverse("admin:auth_user_delete", args=[user.pk])
        assert client.get(url).status_code == HTTPStatus.FORBIDDEN
        assert (
            b"Delete"
            not in client.get(reverse("admin:auth_user_change", args=[user.pk]))
            .content.split(b'class="submit-row"')[-1]
            .split(b"</div>")[0]
        )
    assert client.get(reverse("admin:auth_user_delete", args=[newcomer.pk])).status_code == HTTPStatus.OK
    bulk = client.post(
        reverse("admin:auth_user_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [cover_sheet_editor.pk, newcomer.pk],
            "post": "yes",
        },
    )
    assert bulk.status_code == HTTPStatus.OK  # the confirmation page, listing what is protected
    assert b"t.cover.editor: has history" in bulk.content, bulk.content.decode()[-3000:]
    assert User.objects.filter(pk__in=[cover_sheet_editor.pk, newcomer.pk]).count() == 2
    response = client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "deactivate_selected", "_selected_action": [staff_dorset.pk, cover_sheet_editor.pk]},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert not User.objects.filter(pk__in=[staff_dorset.pk, cover_sheet_editor.pk], is_active=True).exists()
    assert StatusUpdate.objects.filter(created_by=staff_dorset).exists()
