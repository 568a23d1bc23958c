"""Users' words (issue 19.5) and errors where the eye is (19.2), without a browser: the history
and the audit trail say what changed with labels, choices' labels and people's names; a form
left empty says so in a sentence naming the field; every form's error summary names each
field by its label and links to it; the admin's sections are named for people."""

import re
from http import HTTPStatus

import pytest
from django.apps import apps
from django.urls import reverse

from apps.assurance.forms import (
    AssuranceForm,
    CommitteePaperForm,
    ControlForm,
    PrincipalRiskForm,
    RiskAppetiteForm,
)
from apps.core.forms import ArchiveForm, required_message
from apps.core.history.audit import audit_events
from apps.core.templatetags.form_errors import summary_items
from apps.organisations.forms import InviteForm
from apps.organisations.models import Membership, Organisation
from apps.plans.forms import DeliverableUpdateForm, NewPlanImportForm
from apps.plans.models import Deliverable
from apps.plans.services import deliverable_edit
from apps.reminders.forms import ReminderPreferenceForm
from apps.reports.forms import BoardReportForm
from apps.risks.forms import RiskCreateForm, RiskReviewForm
from apps.risks.models import Risk
from apps.signon.forms import AllowedDomainForm
from tests.browser.test_every_page import _developer_words, _text
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _open_deliverable(organisation_slug="nhs-dorset-ccg"):
    return (
        Deliverable.objects.filter(theme__plan__organisation__slug=organisation_slug, status="in_progress")
        .order_by("pk")
        .first()
    )


def test_the_history_says_what_changed_in_words(client, staff_dorset):
    deliverable = _open_deliverable()
    jane = UserFactory(username="jane", first_name="Jane", last_name="Smith")
    Membership.objects.create(user=jane, organisation=deliverable.organisation, role=Membership.Role.STAFF)
    deliverable_edit(
        pk=deliverable.pk,
        acting_user=staff_dorset,
        expected_version=deliverable.version,
        changes={"status": Deliverable.Status.DELIVERED_FURTHER_WORK, "owner": jane},
        note="Handed to Jane.",
        via="form",
    )
    latest = audit_events(deliverable)[0]
    shown = {c.label: (c.before, c.after) for c in latest.changes}
    assert shown["Owner"] == ("none", "Jane Smith")
    assert shown["Status"] == ("In progress", "Delivered, with further work in progress")
    assert latest.what == "Changed on its page"
    assert latest.changed["owner_id"] == [None, jane.pk]  # the stored diff is kept as it is

    client.force_login(staff_dorset)
    text = _text(client.get(deliverable.get_absolute_url()).content.decode())
    assert "owner: none → jane smith" in text
    assert "in progress → delivered, with further work in progress" in text
    assert "changed on its page" in text
    assert _developer_words(text) == []


def test_the_audit_trail_writes_dates_and_the_seed_load_in_words(client, staff_dorset):
    deliverable = _open_deliverable()
    deliverable_edit(
        pk=deliverable.pk,
        acting_user=staff_dorset,
        expected_version=deliverable.version,
        changes={"deadline": deliverable.deadline.replace(year=2030) if deliverable.deadline else None},
        note="Moved.",
        via="in-place",
    )
    events = audit_events(deliverable)
    assert events[-1].what == "Created when the first records were loaded"
    change = next(c for c in events[0].changes if c.field == "deadline")
    assert change.label == "Deadline" and re.fullmatch(r"\d{1,2} [A-Z][a-z]+ 2030", change.after)


def test_the_history_of_a_risk_says_its_scores_and_status_in_words(client, staff_darlington):
    risk = Risk.objects.filter(organisation__slug="nhs-darlington-ccg").order_by("pk").first()
    from apps.risks.services import risk_edit

    risk_edit(
        pk=risk.pk,
        acting_user=staff_darlington,
        expected_version=risk.version,
        changes={"status": Risk.Status.CLOSED, "likelihood": 5},
        note="Closed after review.",
        via="form",
    )
    shown = {c.label: (c.before, c.after) for c in audit_events(risk)[0].changes}
    assert shown["Status"] == ("Open", "Closed")
    assert shown["Likelihood"][1] == "5"


@pytest.mark.parametrize(
    "form, name, message",
    [
        (lambda: RiskReviewForm({}), "note", "Enter a review note saying what was reviewed"),
        (lambda: RiskReviewForm({}), "severity", "Choose the severity (consequence)."),
        (lambda: ReminderPreferenceForm({}), "frequency", "Choose how often ccgtrack emails you"),
        (lambda: BoardReportForm({}), "meeting_date", "Enter the date of the meeting."),
        (
            lambda: NewPlanImportForm({}, {}, organisations=Organisation.objects.all()),
            "file",
            "Choose a file to upload.",
        ),
        (
            lambda: NewPlanImportForm({}, {}, organisations=Organisation.objects.all()),
            "title",
            "Enter the plan title.",
        ),
        (
            lambda: InviteForm({}, organisations=Organisation.objects.all(), roles=[Membership.Role.STAFF]),
            "email",
            "Enter the email address.",
        ),
        (
            lambda: AllowedDomainForm(
                {}, organisations=Organisation.objects.all(), roles=[Membership.Role.STAFF]
            ),
            "domain",
            "Enter the email domain.",
        ),
        # The note of an archive is labelled "Why": never "Enter the why.".
        (lambda: ArchiveForm({}), "note", "Write a note saying why. It is kept in the record's history."),
        (lambda: RiskCreateForm({}), "note", "Write a note saying why."),
        # The Board Assurance Framework's forms (issue 21).
        (lambda: ControlForm({}), "description", "Enter the control: what is in place."),
        (lambda: AssuranceForm({}), "level", "Choose the level."),
        (lambda: PrincipalRiskForm({}), "target_likelihood", "Choose the target likelihood."),
        (lambda: RiskAppetiteForm({}), "note", "Write a note saying why."),
        (lambda: CommitteePaperForm({}), "meeting_date", "Enter the date of the meeting."),
    ],
)
def test_an_empty_field_is_named_in_a_sentence(form, name, message):
    bound = form()
    assert not bound.is_valid()
    assert bound.errors[name][0].startswith(message)
    assert "This field is required" not in str(bound.errors)


@pytest.mark.parametrize("form", [RiskReviewForm, DeliverableUpdateForm])
def test_the_review_and_update_forms_offer_no_owner_in_words(form):
    owner = form().fields["owner"]
    assert owner.empty_label == "No one yet"  # not Django's "---------"


def test_required_message_names_the_field_by_its_label():
    from django import forms

    assert required_message(forms.CharField(label="Plan title")) == "Enter the plan title."
    assert required_message(forms.ChoiceField(label="Organisation")) == "Choose the organisation."
    assert required_message(forms.FileField(label="Spreadsheet")) == "Choose a file to upload."
    assert required_message(forms.CharField(label="PDF name")) == "Enter the PDF name."


def test_the_error_summary_names_and_links_each_field(staff_dorset):
    deliverable = _open_deliverable()
    form = DeliverableUpdateForm(
        {"status": "no such", "deadline": "31/02/2013", "version": deliverable.version},
        instance=deliverable,
    )
    assert not form.is_valid()
    items = summary_items(form)
    by_link = {item["href"]: item["text"] for item in items}
    assert by_link["#id_status"].startswith("Status: Select a valid choice.")
    assert by_link["#id_deadline"].startswith("Deadline: ")
    assert all(not re.search(r"\b[a-z]+_[a-z_]+\b", text) for text in by_link.values())


def test_a_message_that_names_its_field_is_not_prefixed():
    form = RiskReviewForm({})
    form.is_valid()
    note = next(item for item in summary_items(form) if item["href"] == "#id_note")
    assert note["text"].startswith("Enter a review note")


def test_an_edit_form_comes_back_with_its_summary_naming_labels(client, staff_dorset):
    """The issue's example: not "Meeting_date: ..." but the field's label."""
    client.force_login(staff_dorset)
    plan = Deliverable.objects.filter(theme__plan__organisation__slug="nhs-dorset-ccg").first().theme.plan
    response = client.post(
        reverse("reports:cover_edit", args=[plan.pk]),
        {"title": "A paper", "meeting_date": "1899-01-01", "version": 0, "report": ""},
    )
    html = response.content.decode()
    assert response.status_code in (HTTPStatus.BAD_REQUEST, HTTPStatus.CONFLICT)
    summary = html[html.index("data-error-summary") : html.index("</ul>", html.index("data-error-summary"))]
    assert "Meeting_date" not in html and "meeting_date:" not in summary.lower()
    assert 'href="#id_meeting_date"' in summary
    assert _developer_words(_text(summary)) == []


def test_the_admin_sections_are_named_for_people():
    names = {config.label: str(config.verbose_name) for config in apps.get_app_configs()}
    assert names["axes"] == "Sign-in attempts and lockouts"
    assert names["pghistory"] == "Audit trail"
    assert names["django_tasks_database"].startswith("Background tasks")


def test_the_admin_index_shows_no_library_names(client, admin_user):
    client.force_login(admin_user)
    text = _text(client.get(reverse("admin:index")).content.decode())
    for library in ("axes", "pghistory", "tasks database backend"):
        assert library not in text


def test_the_emails_speak_in_words(dorset):
    """The invitation and the reminder digest: no field name, stored value or library name."""
    import datetime

    from django.core import mail
    from django.utils import timezone

    from apps.organisations import services as organisation_services
    from apps.reminders.models import ReminderDelivery
    from apps.reminders.services import build_reminder

    orgadmin = UserFactory(username="t.words.orgadmin")
    Membership.objects.create(user=orgadmin, organisation=dorset, role=Membership.Role.ORG_ADMIN)
    organisation_services.membership_invite(
        acting_user=orgadmin,
        organisation=dorset,
        email="new.person@nhs.example",
        role=Membership.Role.GOVERNING_BODY,
        first_name="New",
        last_name="Person",
        link_base="http://testserver",
    )
    owner = UserFactory(username="t.words.owner", email="owner@nhs.example")
    Membership.objects.create(user=owner, organisation=dorset, role=Membership.Role.STAFF)
    deliverable = _open_deliverable()
    Deliverable.objects.filter(pk=deliverable.pk).update(
        owner=owner, deadline=timezone.localdate() - datetime.timedelta(days=3)
    )
    digest = build_reminder(owner, ReminderDelivery.Kind.DIGEST, "2026-W01")
    assert digest is not None
    texts = [m.body for m in mail.outbox] + [digest.message.body, digest.message.alternatives[0][0]]
    assert len(texts) == 3
    for text in texts:
        assert _developer_words(_text(text)) == [], text


def test_the_board_report_pdf_speaks_in_words(client, staff_dorset):
    import io

    from pypdf import PdfReader

    plan = _open_deliverable().theme.plan
    client.force_login(staff_dorset)
    response = client.get(reverse("reports:board_report_pdf", args=[plan.pk]))
    assert response.status_code == HTTPStatus.OK
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(text) > 1000
    assert _developer_words(text) == []


def test_the_admins_audit_trail_speaks_in_words(client, admin_user, staff_dorset):
    deliverable = _open_deliverable()
    deliverable_edit(
        pk=deliverable.pk,
        acting_user=staff_dorset,
        expected_version=deliverable.version,
        changes={"owner": staff_dorset},
        note="Mine now.",
        via="admin",
    )
    client.force_login(admin_user)
    text = _text(client.get("/admin/pghistory/events/").content.decode())
    assert f"deliverable (number {deliverable.pk}) changed in the admin owner: none → " in text
    assert "mine now." in text
    assert "pgh diff" not in text and "owner_id" not in text
