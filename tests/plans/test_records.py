"""Staff add to their plan from the product's pages (a deliverable or action, a theme, an
objective), correct a deliverable's details, archive and restore it, and record their
self-assessment against the six domains: each through the one edit path, each in the record's
history and, where the paper reports it, in the next board paper's changes."""

import re
from http import HTTPStatus

import pytest
from django.urls import reverse

from apps.core.history.audit import audit_events
from apps.plans.models import Deliverable, Objective, ODPlan, SelfAssessment, StatusUpdate, Theme
from tests.core.test_edit_path import _admin_form_data, _admin_url
from tests.factories import domain_pks
from tests.plans.factories import DeliverableFactory
from tests.reports.helpers import first_cover_sheet, issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(dorset):
    return ODPlan.objects.get(organisation=dorset)


def _new_deliverable(client, plan, theme, **changes):
    data = {
        "theme": theme.pk,
        "title": "Hold a governing body development day",
        "subheading": "",
        "status": "in_progress",
        "deadline": "2027-06-30",
        "domains": domain_pks(6, 2),
        "in_progress_narrative": "Venue booked.",
        "note": "Agreed at the Executive.",
        **changes,
    }
    return client.post(reverse("plans:deliverable_create", args=[plan.pk]), data)


def test_staff_add_a_deliverable_at_the_end_of_a_theme(client, staff_dorset, plan):
    theme = plan.themes.order_by("number")[1]
    last = theme.deliverables.order_by("-position").first().position
    client.force_login(staff_dorset)
    page = client.get(reverse("plans:deliverable_create", args=[plan.pk]) + f"?theme={theme.pk}")
    assert page.context["form"].initial["theme"] == theme  # the theme the link came from
    response = _new_deliverable(client, plan, theme)
    assert response.status_code == HTTPStatus.FOUND
    added = Deliverable.objects.get(title="Hold a governing body development day")
    assert response["Location"] == added.get_absolute_url()
    assert (added.theme, added.position, added.status, added.version) == (theme, last + 1, "in_progress", 1)
    assert sorted(d.number for d in added.domains.all()) == [2, 6]

    # Its first history row: from nothing to its status, with the note and the domains.
    update = StatusUpdate.objects.get(deliverable=added)
    assert (update.from_status, update.to_status, update.created_by) == ("", "in_progress", staff_dorset)
    assert update.note == "Agreed at the Executive. Authorisation domains: none → 2; 6."
    (event,) = audit_events(added)
    assert (event.label, event.actor, event.note) == ("insert", staff_dorset, "Agreed at the Executive.")
    assert update.audit_context_id == event.context_id

    detail = client.get(added.get_absolute_url()).content.decode()
    assert "Agreed at the Executive." in detail[detail.index('id="update-history"') :]
    plan_page = client.get(plan.get_absolute_url()).content.decode()
    assert f'href="{added.get_absolute_url()}"' in plan_page[plan_page.index(f'id="theme-{theme.number}"') :]


def test_the_themes_are_offered_whole_one_to_a_line(client, staff_dorset, plan):
    """Radio buttons, each theme's whole title (a phone's select cut them), the theme the link
    came from chosen; a theme left unchosen is named in a sentence."""
    theme = plan.themes.order_by("number")[1]
    client.force_login(staff_dorset)
    html = client.get(reverse("plans:deliverable_create", args=[plan.pk]) + f"?theme={theme.pk}").content
    html = html.decode()
    for other in plan.themes.all():
        checked = " checked" if other == theme else ""
        assert f'type="radio" name="theme" value="{other.pk}"' in html
        assert re.search(rf'value="{other.pk}"[^>]*{checked}[^>]*>\s*{other.number}\. ', html), other
    assert "<legend>Theme</legend>" in html and '<select name="theme"' not in html
    response = client.post(
        reverse("plans:deliverable_create", args=[plan.pk]), {"title": "A new one", "note": "Agreed."}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.context["form"].errors["theme"] == ["Choose the theme."]


def test_two_deliverables_added_one_after_the_other_take_the_next_two_places(client, staff_dorset, plan):
    theme = plan.themes.order_by("number").first()
    last = theme.deliverables.order_by("-position").first().position
    client.force_login(staff_dorset)
    for title in ("First new", "Second new"):
        assert _new_deliverable(client, plan, theme, title=title).status_code == HTTPStatus.FOUND
    positions = dict(theme.deliverables.filter(title__endswith="new").values_list("title", "position"))
    assert positions == {"First new": last + 1, "Second new": last + 2}


def test_a_theme_of_another_plan_is_refused(client, staff_dorset, plan, darlington):
    other = ODPlan.objects.get(organisation=darlington).themes.first()
    client.force_login(staff_dorset)
    response = _new_deliverable(client, plan, other)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "theme" in response.context["form"].errors
    assert not Deliverable.objects.filter(title="Hold a governing body development day").exists()


def test_the_next_board_paper_lists_what_was_added_since(client, staff_dorset, board_dorset, plan):
    client.force_login(staff_dorset)
    issue(client, plan)
    theme = plan.themes.order_by("number").first()
    assert _new_deliverable(client, plan, theme).status_code == HTTPStatus.FOUND
    added = Deliverable.objects.get(title="Hold a governing body development day")
    client.force_login(board_dorset)
    changes = client.get(reverse("reports:board_report", args=[plan.pk])).context["snapshot"]["changes"]
    assert [c["id"] for c in changes["added"]] == [added.pk]


def test_staff_correct_a_deliverables_details(client, staff_dorset, plan):
    deliverable = Deliverable.objects.filter(theme__plan=plan).order_by("pk").first()
    client.force_login(staff_dorset)
    page = client.get(deliverable.get_absolute_url()).content.decode()
    assert f'href="{reverse("plans:deliverable_edit", args=[deliverable.pk])}"' in page
    form = client.get(reverse("plans:deliverable_edit", args=[deliverable.pk])).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data.update(title="A clearer title", cost_amount="2500", domains=domain_pks(3), note="Costed by finance.")
    response = client.post(reverse("plans:deliverable_edit", args=[deliverable.pk]), data)
    assert response.status_code == HTTPStatus.FOUND
    deliverable.refresh_from_db()
    assert (deliverable.title, str(deliverable.cost_amount), deliverable.version) == (
        "A clearer title",
        "2500.00",
        2,
    )
    update = StatusUpdate.objects.get(deliverable=deliverable)
    assert update.note.startswith("Costed by finance. Authorisation domains:") and update.note.endswith(
        "→ 3."
    )
    assert set(audit_events(deliverable)[0].changed) == {"title", "cost_amount"}


def test_an_archived_deliverable_leaves_the_plan_and_comes_back_when_restored(client, staff_dorset, plan):
    deliverable = Deliverable.objects.filter(theme__plan=plan).order_by("pk").first()
    client.force_login(staff_dorset)
    response = client.post(
        reverse("plans:deliverable_archive", args=[deliverable.pk]),
        {"note": "Replaced by 2.4.", "version": deliverable.version},
    )
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == plan.get_absolute_url()
    assert (
        f'href="{deliverable.get_absolute_url()}"' not in client.get(plan.get_absolute_url()).content.decode()
    )
    listed = client.get(reverse("plans:deliverable_list"))
    assert listed.context["archived_count"] == 1
    deliverable.refresh_from_db()
    response = client.post(
        reverse("plans:deliverable_restore", args=[deliverable.pk]),
        {"note": "Still needed.", "version": deliverable.version},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert f'href="{deliverable.get_absolute_url()}"' in client.get(plan.get_absolute_url()).content.decode()
    notes = list(
        StatusUpdate.objects.filter(deliverable=deliverable)
        .order_by("created_at")
        .values_list("note", flat=True)
    )
    assert notes == ["Replaced by 2.4.", "Still needed."]


def test_staff_add_and_edit_themes_and_objectives_with_their_audit_trail(client, staff_dorset, plan):
    client.force_login(staff_dorset)
    form = client.get(reverse("plans:theme_create", args=[plan.pk])).context["form"]
    number = form.initial["number"]
    assert number == plan.themes.order_by("-number").first().number + 1
    response = client.post(
        reverse("plans:theme_create", args=[plan.pk]),
        {"number": number, "title": "Partnerships", "description": "", "note": "From the away day."},
    )
    assert response.status_code == HTTPStatus.FOUND
    theme = plan.themes.get(number=number)
    assert response["Location"] == plan.get_absolute_url() + f"#theme-{number}"
    response = client.post(
        reverse("plans:theme_edit", args=[theme.pk]),
        {
            "number": number,
            "title": "Partnerships and the council",
            "description": "",
            "note": "",
            "version": 1,
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    theme.refresh_from_db()
    assert (theme.title, theme.version) == ("Partnerships and the council", 2)
    assert [(e.label, e.note) for e in audit_events(theme)] == [
        ("update", ""),
        ("insert", "From the away day."),
    ]

    for text in ("Meet the council quarterly.", "Agree a joint plan."):
        response = client.post(reverse("plans:objective_create", args=[theme.pk]), {"text": text, "note": ""})
        assert response.status_code == HTTPStatus.FOUND
    first, second = theme.objectives.order_by("position")
    assert [(o.position, o.text) for o in (first, second)] == [
        (1, "Meet the council quarterly."),
        (2, "Agree a joint plan."),
    ]
    response = client.post(
        reverse("plans:objective_edit", args=[first.pk]),
        {"text": "Meet the council every month.", "note": "Agreed with the council.", "version": 1},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert audit_events(first)[0].changed == {
        "text": ["Meet the council quarterly.", "Meet the council every month."]
    }
    page = client.get(plan.get_absolute_url()).content.decode()
    assert "Partnerships and the council" in page and "Meet the council every month." in page


def _assessment_data(**scores):
    data = {
        "assessed_label": "2014",
        "assessed_on": "2014-03-31",
        "tool": "",
        "notes": "Much improved.",
        "note": "",
    }
    data.update({f"score_{n}": scores.get(f"score_{n}", 60) for n in range(1, 7)})
    return data


def test_a_new_self_assessment_becomes_the_one_the_page_and_the_paper_show(
    client, staff_darlington, darlington
):
    darlington_plan = ODPlan.objects.get(organisation=darlington)
    client.force_login(staff_darlington)
    form = client.get(reverse("plans:self_assessment_create", args=[darlington.slug])).context["form"]
    assert form.initial["score_1"] == 32  # starts from the latest scores (Table 1)
    response = client.post(
        reverse("plans:self_assessment_create", args=[darlington.slug]), _assessment_data(score_4=85)
    )
    assert response.status_code == HTTPStatus.FOUND
    new = SelfAssessment.objects.get(organisation=darlington, assessed_label="2014")
    page = client.get(reverse("plans:self_assessment", args=[darlington.slug]))
    assert page.context["assessment"] == new  # dated, it comes before the 2011 one known by its year
    rows = {row.domain.number: row for row in page.context["domains"]}
    assert (rows[4].score.score_percent, rows[4].level.level) == (85, 5)
    report = client.get(reverse("reports:board_report", args=[darlington_plan.pk]))
    assessment = report.context["snapshot"]["self_assessment"]
    assert assessment["assessed_label"] == "2014"


def test_a_corrected_self_assessment_shows_in_its_history_and_in_the_papers_changes(
    client, staff_darlington, darlington
):
    darlington_plan = ODPlan.objects.get(organisation=darlington)
    assessment = SelfAssessment.objects.get(organisation=darlington)
    client.force_login(staff_darlington)
    first_cover_sheet(darlington_plan, staff_darlington)  # Darlington has written none yet
    issue(client, darlington_plan)
    data = _assessment_data(score_1=32, score_2=45, score_3=30, score_4=24, score_5=40, score_6=34)
    data.update(assessed_label="2011", assessed_on="", tool="PWC diagnostic tool", notes=assessment.notes)
    data.update(note="Domain 2 re-scored at the seminar.", version=assessment.version)
    response = client.post(reverse("plans:self_assessment_edit", args=[assessment.pk]), data)
    assert response.status_code == HTTPStatus.FOUND
    assessment.refresh_from_db()
    assert assessment.version == 2
    page = client.get(reverse("plans:self_assessment", args=[darlington.slug]))
    latest = page.context["history"][0]
    assert (latest.actor, latest.note) == (staff_darlington, "Domain 2 re-scored at the seminar.")
    assert latest.lines == [("2. Engagement with Patients / Communities", "40%", "45%")]
    changes = client.get(reverse("reports:board_report", args=[darlington_plan.pk])).context["snapshot"][
        "changes"
    ]
    assert [(c["domain"], c["from"], c["to"]) for c in changes["scores"]] == [(2, "40.00", "45.00")]


def test_archived_deliverables_page_reads_a_fixed_number_of_queries(
    client, staff_dorset, plan, django_assert_max_num_queries
):
    theme = plan.themes.order_by("number").first()
    client.force_login(staff_dorset)
    for position in range(500, 505):
        DeliverableFactory(theme=theme, position=position, archived_at="2026-01-01T00:00Z")
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("plans:deliverable_archived"))
    for position in range(600, 700):
        DeliverableFactory(theme=theme, position=position, archived_at="2026-01-01T00:00Z")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("plans:deliverable_archived"))
    assert len(response.context["deliverables"]) == 50


@pytest.mark.parametrize(
    ("model", "field", "value"),
    [(Theme, "title", "Renamed"), (Objective, "text", "Reworded"), (SelfAssessment, "tool", "Another tool")],
)
def test_the_admin_changes_themes_objectives_and_assessments_through_their_service(
    client, admin_user, model, field, value
):
    obj = model.objects.order_by("pk").first()
    client.force_login(admin_user)
    data = _admin_form_data(client, obj, **{field: value, "edit_note": "Corrected in the admin."})
    assert client.post(_admin_url(obj), data).status_code == HTTPStatus.FOUND
    obj.refresh_from_db()
    assert (getattr(obj, field), obj.version) == (value, 2)
    event = audit_events(obj)[0]
    assert (event.changed, event.actor, event.note) == (
        {field: [event.changed[field][0], value]},
        admin_user,
        "Corrected in the admin.",
    )
    # A form opened before someone else's save is refused, not saved over it.
    opened = _admin_form_data(client, obj, **{field: value + " again", "edit_note": "Later."})
    model.objects.filter(pk=obj.pk).update(version=obj.version)
    response = client.post(_admin_url(obj), opened)
    assert (
        response.status_code == HTTPStatus.OK
        and "Someone else changed this record" in response.content.decode()
    )
    obj.refresh_from_db()
    assert getattr(obj, field) == value


def test_the_self_assessment_page_reads_a_fixed_number_of_queries_however_long_its_history(
    client, staff_darlington, darlington, django_assert_max_num_queries
):
    from apps.plans import services
    from apps.plans.models import AuthorisationDomain

    assessment = SelfAssessment.objects.get(organisation=darlington)
    url = reverse("plans:self_assessment", args=[darlington.slug])
    client.force_login(staff_darlington)
    # 21: the domains' evidence is one query (apps/evidence, issue 22)
    with django_assert_max_num_queries(21) as few:
        client.get(url)
    domain = AuthorisationDomain.objects.get(number=3)
    for score in range(50, 70):
        assessment.refresh_from_db()
        services.self_assessment_edit(
            pk=assessment.pk,
            acting_user=staff_darlington,
            expected_version=assessment.version,
            changes={"scores": {domain: score}},
            note=f"Re-scored to {score}.",
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["history"]) == 21
