"""The app's database role cannot rewrite history (issue 25, items 1 and 2).

Every test of the suite runs as the app role made for its test database (tests/conftest.py,
apps/core/dbroles.py): it owns nothing and holds only the app's privileges. Here, as that role,
every statement an attacker holding the app's connection could try against the history is sent
and each must be refused by PostgreSQL; the same guard is then shown to let the owner (the role
that migrates) through, so the test would fail if the app ran as the owner."""

import datetime
import json
import uuid

import pgtrigger
import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from pghistory.models import Context

from apps.core import dbroles
from apps.organisations.models import Membership, MembershipChange
from apps.plans.models import Deliverable
from apps.reports.models import BoardReport, IssuedPaper
from apps.signon.models import AllowedDomain
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# What the models say is append-only, checked against the list the issue names, so that a table
# dropped from the models' protection fails here rather than silently losing it.
EXPECTED_APPEND_ONLY = {
    "plans_statusupdate",
    "risks_riskreview",
    "plans_deliverableevent",
    "plans_themeevent",
    "plans_objectiveevent",
    "plans_selfassessmentevent",
    "plans_selfassessmentscoreevent",
    "risks_riskevent",
    "reports_boardreportevent",
    "organisations_membershipevent",
    "organisations_membershipchange",
    "reports_issuedpaper",
    "assurance_committeepaper",  # committee papers (issue 21), immutable as the board's
    "pghistory_context",
    # The Board Assurance Framework's audit trails (issue 21).
    "assurance_committeeevent",
    "assurance_riskappetiteevent",
    "assurance_strategicobjectiveevent",
    "assurance_principalriskevent",
    "assurance_controlevent",
    "assurance_assuranceevent",
    "assurance_gapevent",
    # Evidence (issue 22): its files, and the audit trail of items and their links.
    "evidence_evidencerevision",
    "evidence_evidenceitemevent",
    "evidence_evidencelinkevent",
    "api_accesstokenevent",
    "signon_alloweddomainevent",
}


def _one(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _refused(sql, params=(), *, before=None):
    """Run ``sql`` (after the statements ``before``) in a savepoint; PostgreSQL must refuse it."""
    with pytest.raises(DatabaseError) as refusal:
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in before or ():
                cursor.execute(statement)
            cursor.execute(sql, params)
    return str(refusal.value)


@pytest.fixture
def rows(dorset, staff_dorset, admin_user):
    """A row in every append-only table: a status update, a risk review, a cover sheet saved,
    a membership and its change, an API token made, an issued paper (the seed has none of
    these)."""
    from apps.plans import services as plan_services
    from apps.reports import services as report_services
    from apps.risks import services as risk_services
    from apps.risks.models import Risk

    deliverable = Deliverable.objects.filter(theme__plan__organisation=dorset).order_by("pk").first()
    plan_services.deliverable_update(
        deliverable_id=deliverable.pk,
        acting_user=admin_user,
        expected_version=deliverable.version,
        changes={"in_progress_narrative": "Signed off."},
        note="Signed off.",
    )
    risk = Risk.objects.order_by("pk").first()
    risk_services.risk_review(
        risk_id=risk.pk,
        acting_user=admin_user,
        expected_version=risk.version,
        changes={"residual_likelihood": 1},
        note="Reviewed.",
    )
    report = BoardReport.objects.get(pk=1)
    report_services.board_report_save(
        plan=report.plan, report_id=1, acting_user=admin_user, expected_version=1, data={"author": "New"}
    )
    # The framework: the seed has committees, objectives, principal risks and controls, and no
    # appetite, assurance or gap.
    from apps.assurance import services as assurance_services
    from apps.assurance.models import Control

    control = Control.objects.order_by("pk").first()
    organisation = control.principal_risk.risk.organisation
    assurance_services.appetite_edit.create(
        acting_user=admin_user,
        values={"organisation": organisation, "category": "finance", "level": "open", "tolerance": 12},
        note="Set.",
    )
    assurance_services.assurance_edit.create(
        acting_user=admin_user,
        values={"control": control, "description": "Audit", "line": "independent", "level": "limited"},
    )
    assurance_services.gap_edit.create(
        acting_user=admin_user,
        values={"principal_risk": control.principal_risk, "kind": "control", "description": "A gap"},
    )
    person = UserFactory(username="t.newcomer")
    Membership.objects.create(user=person, organisation=dorset, role=Membership.Role.STAFF)
    MembershipChange.objects.create(
        acting_user=admin_user,
        organisation=dorset,
        user=person,
        user_label="t.newcomer",
        action=MembershipChange.Action.ADDED,
        role_after=Membership.Role.STAFF,
    )
    from apps.api.services import token_create

    token_create(user=staff_dorset, name="A report", scope="read", days=30)  # its audit event
    AllowedDomain.objects.create(organisation=dorset, domain="dorset.example", role=Membership.Role.STAFF)
    report.refresh_from_db()
    IssuedPaper.objects.create(
        plan=report.plan,
        number=99,
        cover_sheet=report,
        meeting_date=datetime.date(2013, 1, 1),
        title="A paper",
        read_at=timezone.now(),
        issued_by=staff_dorset,
        issued_by_name="Staff",
        snapshot={},
        html="<p>paper</p>",
        html_sha256="0" * 64,
        pdf="papers/none.pdf",
        pdf_sha256="0" * 64,
        pdf_size=1,
        deliverable_count=0,
        delivered_count=0,
        overdue_count=0,
        open_risk_count=0,
        red_risk_count=0,
        red_residual_risk_count=0,
    )
    from apps.assurance.models import CommitteePaper

    CommitteePaper.objects.create(
        committee=assurance_services.committee_edit.create(
            acting_user=admin_user, values={"organisation": dorset, "name": "Audit Committee"}
        ),
        number=1,
        meeting_date=datetime.date(2013, 1, 1),
        title="A committee paper",
        read_at=timezone.now(),
        issued_by=staff_dorset,
        issued_by_name="Staff",
        snapshot={},
        html="<p>paper</p>",
        html_sha256="0" * 64,
        pdf="papers/none.pdf",
        pdf_sha256="0" * 64,
        pdf_size=1,
        principal_risk_count=0,
        outside_appetite_count=0,
    )
    from apps.evidence.services import evidence_link
    from tests.evidence.factories import add_file

    item = add_file(dorset, admin_user)
    evidence_link(item=item, acting_user=admin_user, target={"deliverable": deliverable})


def test_the_suite_runs_as_an_app_role_that_owns_nothing():
    user, superuser, createrole, createdb, bypass = _one(
        "SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles "
        "WHERE rolname = current_user"
    )
    assert user == f"{connection.settings_dict['NAME']}_app"[:63]
    assert not (superuser or createrole or createdb or bypass)
    owned = _one(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
    )[0]
    assert owned == 0
    memberships = _one(
        "SELECT count(*) FROM pg_auth_members "
        "WHERE member = (SELECT oid FROM pg_roles WHERE rolname = current_user)"
    )[0]
    assert memberships == 0


def test_the_models_name_every_history_and_audit_table():
    assert set(dbroles.append_only_tables()) == EXPECTED_APPEND_ONLY


@pytest.mark.parametrize("table", sorted(EXPECTED_APPEND_ONLY))
def test_history_cannot_be_truncated_updated_or_deleted(rows, table):
    count = _one(f"SELECT count(*) FROM {table}")[0]
    assert count, f"{table} has a row to attack"
    ignore_all = f"SET LOCAL pgtrigger.ignore = '{{{_trigger_names(table)}}}'"
    for statement in (
        f"TRUNCATE {table}",
        f"TRUNCATE {table} CASCADE",
        f"DELETE FROM {table}",
        f"UPDATE {table} SET id = id",
    ):
        message = _refused(statement)
        assert "permission denied" in message or "append-only" in message, message
        _refused(statement, before=[ignore_all])
        _refused(statement, before=[f"GRANT ALL ON {table} TO CURRENT_USER"])  # grants nothing
    assert _one(f"SELECT count(*) FROM {table}")[0] == count


def _trigger_names(table):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT string_agg(tgname, ',') FROM pg_trigger "
            "WHERE tgrelid = %s::regclass AND NOT tgisinternal",
            [table],
        )
        return cursor.fetchone()[0] or ""


def test_truncate_cascade_from_the_audit_contexts_is_refused(rows):
    before = _one("SELECT count(*) FROM pghistory_context")[0]
    assert "permission denied" in _refused("TRUNCATE pghistory_context CASCADE")
    assert "permission denied" in _refused("TRUNCATE plans_deliverable CASCADE")
    assert _one("SELECT count(*) FROM pghistory_context")[0] == before


@pytest.mark.parametrize(
    "statement",
    [
        "SET session_replication_role = replica",
        "SET LOCAL session_replication_role = replica",
        "ALTER TABLE plans_statusupdate DISABLE TRIGGER ALL",
        "ALTER TABLE plans_deliverable DISABLE TRIGGER USER",
        "ALTER TABLE reports_issuedpaper DISABLE TRIGGER ALL",
        "ALTER TABLE organisations_membershipchange DISABLE TRIGGER USER",
        "DROP TRIGGER IF EXISTS ccgtrack_audit_context_append_only ON pghistory_context",
        "ALTER TABLE pghistory_context OWNER TO CURRENT_USER",
        "CREATE TABLE public.ccgtrack_attack (id int)",
        "CREATE OR REPLACE FUNCTION public._pgtrigger_should_ignore(trigger_name name) RETURNS boolean "
        "LANGUAGE sql AS 'SELECT true'",
    ],
)
def test_the_app_role_cannot_switch_triggers_off_or_change_the_schema(statement):
    _refused(statement)


def test_asking_the_triggers_to_be_ignored_is_itself_ignored_for_the_app(staff_dorset):
    """pgtrigger.ignore() sets ``pgtrigger.ignore``, which any session may set: for the app role
    the triggers still run (the version is raised and the audit trail records the change)."""
    deliverable = Deliverable.objects.order_by("pk").first()
    events = deliverable.events.count()
    with pgtrigger.ignore("plans.Deliverable:raise_version", "plans.Deliverable:update_update"):
        Deliverable.objects.filter(pk=deliverable.pk).update(comments="Changed behind the triggers' back")
    deliverable.refresh_from_db()
    assert deliverable.version == 2
    assert deliverable.events.count() == events + 1


@pytest.mark.owner_role
def test_the_owner_may_still_ask_the_triggers_to_be_ignored():
    """The same request from the role that migrates is honoured (back-dating in tests, repairs):
    so the test above proves the role, not a trigger that can no longer be ignored at all."""
    deliverable = Deliverable.objects.order_by("pk").first()
    with pgtrigger.ignore("plans.Deliverable:raise_version"):
        Deliverable.objects.filter(pk=deliverable.pk).update(comments="A repair")
    deliverable.refresh_from_db()
    assert deliverable.version == 1


def test_an_old_audit_context_cannot_be_rewritten_through_pghistorys_settings(rows):
    """Setting ``pghistory.context_id`` to an old context's id (and the metadata to match) made
    the contexts' trigger take an UPDATE for pghistory's own upsert; a context now answers only
    to the database session that wrote it."""
    old = Context.objects.order_by("created_at").first()
    assert old is not None
    forged = {**old.metadata, "note": "rewritten"}

    message = _refused(
        "UPDATE pghistory_context SET metadata = %s::jsonb WHERE id = %s",
        [json.dumps(forged), old.pk],
        before=[
            f"SELECT set_config('pghistory.context_id', '{old.pk}', true)",
            f"SELECT set_config('pghistory.context_metadata', '{json.dumps(forged)}', true)",
        ],
    )
    assert "append-only" in message
    assert Context.objects.get(pk=old.pk).metadata == old.metadata


def test_the_app_role_still_writes_what_people_write(staff_dorset, dorset):
    """The privileges are enough for the app: two changes under one audit context (pghistory
    upserts the context row from the session that wrote it), history rows, record updates."""
    import pghistory

    from apps.plans import services
    from apps.plans.models import StatusUpdate

    first, second = Deliverable.objects.filter(theme__plan__organisation=dorset).order_by("pk")[:2]
    with pghistory.context(request=str(uuid.uuid4())) as audit:
        for deliverable, note in ((first, "One."), (second, "Two.")):
            services.deliverable_update(
                deliverable_id=deliverable.pk,
                acting_user=staff_dorset,
                expected_version=deliverable.version,
                changes={"in_progress_narrative": note},
                note=note,
            )
    assert StatusUpdate.objects.filter(audit_context_id=audit.id).count() == 2
    assert Context.objects.get(pk=audit.id).metadata["note"] == "Two."
