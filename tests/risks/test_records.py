"""Staff keep their organisation's risk register from the product's pages: they add a risk, correct
what the register says of it, archive it and restore it, each through the risk's edit path, so
each leaves a review with its note and an audit event, and shows on the risk's page, in the
register and on the next board paper."""

import re
from http import HTTPStatus

import pytest
from django.urls import reverse
from pghistory.models import Events

from apps.core.history.audit import audit_events
from apps.organisations.models import Membership
from apps.plans.models import ODPlan
from apps.risks import services
from apps.risks.models import Risk, RiskReview
from tests.factories import MembershipFactory, UserFactory, domain_pks
from tests.reports.helpers import issue
from tests.risks.factories import RiskFactory

pytestmark = pytest.mark.django_db

NEW = {
    "reference": "R1",
    "description": "GP leads leave before authorisation",
    "category": "Workforce",
    "severity": "4",
    "likelihood": "4",
    "mitigation": "Succession plans for each locality lead.",
    "residual_severity": "3",
    "residual_likelihood": "2",
    "owner": "",
    "next_review_on": "2027-01-31",
    "note": "Raised at the governing body seminar.",
}


@pytest.fixture
def orgadmin_dorset(dorset):
    user = UserFactory(username="t.orgadmin.dorset")
    MembershipFactory(user=user, organisation=dorset, role=Membership.Role.ORG_ADMIN)
    return user


def _add(client, organisation, **changes):
    return client.post(
        reverse("risks:risk_create", args=[organisation.slug]),
        {**NEW, "domains": domain_pks(4, 6), **changes},
    )


def test_an_empty_register_says_so_and_offers_its_staff_the_first_risk(client, staff_dorset, dorset):
    assert not Risk.objects.filter(organisation=dorset).exists()  # Dorset's register, as seeded
    client.force_login(staff_dorset)
    html = client.get(reverse("risks:risk_list")).content.decode()
    empty = html[html.index('id="register-empty"') :]
    assert "The risk register of NHS Dorset CCG is empty." in empty
    assert f'href="{reverse("risks:risk_create", args=[dorset.slug])}">Add a risk</a>' in empty
    assert 'id="filters"' not in html and "No rows match" not in html  # nothing to filter


def test_a_governing_body_member_reads_the_empty_register_without_a_button(client, board_dorset):
    client.force_login(board_dorset)
    html = client.get(reverse("risks:risk_list")).content.decode()
    assert "No risks are recorded for the organisations you can see." in html
    assert "Add a risk" not in html


def test_the_add_form_names_each_score_and_shows_each_rating_under_its_scores(client, staff_dorset, dorset):
    """As the review form: descriptors on the scores, the server's rating table once, and the
    inherent and residual ratings each drawn after its pair (static/js/app.js fills them in);
    sent back with an error, the ratings are those of the scores chosen."""
    client.force_login(staff_dorset)
    html = client.get(reverse("risks:risk_create", args=[dorset.slug])).content.decode()
    assert '<option value="4">4 Major</option>' in html
    assert '<option value="5">5 Almost certain</option>' in html
    assert html.count('id="rating-table"') == 1 and html.count('data-live-ratings="rating-table"') == 2
    positions = [
        html.index(marker)
        for marker in (
            'id="id_likelihood"',
            'id="live-inherent-rating"',
            'id="id_mitigation"',
            'id="id_residual_likelihood"',
            'id="live-residual-rating"',
            'id="id_owner"',
        )
    ]
    assert positions == sorted(positions)
    inherent = html[html.index('id="live-inherent-rating"') :]
    assert '<span class="rating-value">—</span>' in inherent[: inherent.index("</p>")]
    returned = _add(client, dorset, note="")
    assert returned.status_code == HTTPStatus.BAD_REQUEST
    page = returned.content.decode()
    assert 'data-severity="id_severity" data-likelihood="id_likelihood"' in page
    assert '<option value="4" selected>4 Major</option>' in page
    assert not Risk.objects.filter(organisation=dorset).exists()


def test_staff_add_a_risk_and_see_it_in_the_register_with_its_history(client, staff_dorset, dorset):
    plan = ODPlan.objects.get(organisation=dorset)
    client.force_login(staff_dorset)
    form = client.get(reverse("risks:risk_create", args=[dorset.slug])).context["form"]
    assert form.initial["plan"] == plan  # the organisation's one plan, chosen for them
    response = _add(client, dorset, plan=plan.pk)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("risks:risk_list") + f"?organisation={dorset.pk}"

    register = client.get(response["Location"])
    assert "Risk R1 added to NHS Dorset CCG&#x27;s register." in register.content.decode()
    risk = Risk.objects.get(organisation=dorset)
    assert [row.record.pk for row in register.context["table"].rows] == [risk.pk]
    row = register.context["table"].rows[0].record
    assert (row.rating, row.band, row.residual_rating) == (16, "extreme", 6)
    assert (risk.plan, risk.status, risk.version, risk.archived_at) == (plan, "open", 1, None)
    assert sorted(d.number for d in risk.domains.all()) == [4, 6]

    # Its first review: the scores it was recorded with, the note, the domains.
    review = RiskReview.objects.get(risk=risk)
    assert (review.reviewed_by, review.severity_before, review.severity_after) == (staff_dorset, 4, 4)
    assert review.note == "Raised at the governing body seminar. Authorisation domains: none → 4; 6."
    # The audit trail: an insert, by this user, with the note, through the form, the review linked.
    event = Events.objects.tracks(risk).get()
    assert event.pgh_label == "insert" and event.pgh_context["user"] == staff_dorset.pk
    assert (event.pgh_context["note"], event.pgh_context["via"]) == (NEW["note"], "form")
    assert review.audit_context_id == event.pgh_context_id

    page = client.get(risk.get_absolute_url()).content.decode()
    assert "Raised at the governing body seminar." in page[page.index('id="review-history"') :]
    assert "Created on its page" in page[page.index('id="audit-trail"') :]


def test_an_organisation_administrator_adds_a_risk_too(client, orgadmin_dorset, dorset):
    client.force_login(orgadmin_dorset)
    assert _add(client, dorset).status_code == HTTPStatus.FOUND
    assert RiskReview.objects.get(risk__organisation=dorset).reviewed_by == orgadmin_dorset


def test_a_risk_of_another_organisations_plan_is_refused(client, staff_dorset, dorset, darlington):
    staff_dorset.memberships.create(organisation=darlington, role=Membership.Role.STAFF)
    client.force_login(staff_dorset)
    other_plan = ODPlan.objects.get(organisation=darlington)
    response = _add(client, dorset, plan=other_plan.pk)
    assert response.status_code == HTTPStatus.BAD_REQUEST  # not among the choices
    assert not Risk.objects.filter(organisation=dorset).exists()
    with pytest.raises(Exception, match="plan of the risk's own organisation"):
        services.risk_create(
            organisation=dorset,
            acting_user=staff_dorset,
            values={
                "description": "x",
                "severity": 2,
                "likelihood": 2,
                "residual_severity": 1,
                "residual_likelihood": 1,
                "plan": other_plan,
            },
            note="Service call",
        )
    assert not Risk.objects.filter(organisation=dorset).exists()


def test_the_next_board_paper_shows_the_new_risk(client, staff_dorset, board_dorset, dorset):
    plan = ODPlan.objects.get(organisation=dorset)
    client.force_login(staff_dorset)
    issue(client, plan)  # the paper of the last meeting, with no risk
    assert _add(client, dorset).status_code == HTTPStatus.FOUND
    risk = Risk.objects.get(organisation=dorset)
    client.force_login(board_dorset)
    response = client.get(reverse("reports:board_report", args=[plan.pk]))
    snapshot = response.context["snapshot"]
    assert [r["id"] for r in snapshot["risks"]] == [risk.pk]
    assert [(r["reference"], r["rating"]) for r in snapshot["changes"]["new_risks"]] == [("R1", 16)]
    assert "GP leads leave before authorisation" in response.content.decode()


def test_staff_correct_what_the_register_says(client, staff_darlington, darlington):
    risk = Risk.objects.filter(organisation=darlington).order_by("pk").first()
    before = sorted(d.number for d in risk.domains.all())
    client.force_login(staff_darlington)
    url = reverse("risks:risk_edit", args=[risk.pk])
    assert client.get(risk.get_absolute_url()).content.decode().count(url) == 1  # the link
    response = client.post(
        url,
        {
            "reference": "R1a",
            "description": "Reworded risk",
            "category": risk.category,
            "plan": risk.plan_id or "",
            "domains": domain_pks(1),
            "note": "Reworded after the audit committee.",
            "version": risk.version,
        },
    )
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == risk.get_absolute_url()
    risk.refresh_from_db()
    assert (risk.reference, risk.description, risk.version) == ("R1a", "Reworded risk", 2)
    review = RiskReview.objects.get(risk=risk)
    shown = "; ".join(map(str, before)) or "none"
    assert review.note == f"Reworded after the audit committee. Authorisation domains: {shown} → 1."
    assert set(audit_events(risk)[0].changed) == {"reference", "description"}


def test_an_archived_risk_leaves_the_register_and_comes_back_when_restored(
    client, staff_darlington, darlington
):
    risk = Risk.objects.filter(organisation=darlington).order_by("pk").first()
    client.force_login(staff_darlington)
    response = client.post(
        reverse("risks:risk_archive", args=[risk.pk]), {"note": "Merged into R2.", "version": risk.version}
    )
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == reverse("risks:risk_list")
    risk.refresh_from_db()
    assert risk.archived_at is not None
    register = client.get(reverse("risks:risk_list"))
    assert risk.pk not in [row.record.pk for row in register.context["table"].rows]
    assert register.context["archived_count"] == 1
    assert client.get(risk.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND

    archived = client.get(reverse("risks:risk_archived")).content.decode()
    assert f'href="{reverse("risks:risk_restore", args=[risk.pk])}"' in archived
    response = client.post(
        reverse("risks:risk_restore", args=[risk.pk]),
        {"note": "Archived by mistake.", "version": risk.version},
    )
    assert response.status_code == HTTPStatus.FOUND
    risk.refresh_from_db()
    assert risk.archived_at is None and risk.version == 3
    assert risk.pk in [row.record.pk for row in client.get(reverse("risks:risk_list")).context["table"].rows]
    notes = list(RiskReview.objects.filter(risk=risk).order_by("created_at").values_list("note", flat=True))
    assert notes == ["Merged into R2.", "Archived by mistake."]
    labels = [set(e.changed) for e in audit_events(risk)[:2]]
    assert labels == [{"archived_at"}, {"archived_at"}]


def test_the_admins_archive_and_the_products_leave_the_same_history(client, admin_user, darlington):
    """One archive path: the admin's action calls the service the page calls."""
    first, second = Risk.objects.filter(organisation=darlington).order_by("pk")[:2]
    client.force_login(admin_user)
    response = client.post(
        reverse("risks:risk_archive", args=[first.pk]), {"note": "Archived.", "version": first.version}
    )
    assert response.status_code == HTTPStatus.FOUND
    response = client.post(
        reverse("admin:risks_risk_changelist"),
        {"action": "archive_selected", "_selected_action": [second.pk]},
    )
    assert response.status_code == HTTPStatus.FOUND
    reviews = [RiskReview.objects.get(risk=r) for r in (first, second)]
    assert [r.note for r in reviews] == ["Archived.", "Archived in the admin."]
    assert all(r.rating_before == r.rating_after for r in reviews)
    events = [audit_events(r)[0] for r in (first, second)]
    assert [(set(e.changed), e.actor) for e in events] == [({"archived_at"}, admin_user)] * 2
    assert [Events.objects.tracks(r).order_by("-pgh_id")[0].pgh_context["via"] for r in (first, second)] == [
        "form",
        "admin",
    ]


def test_archived_risks_page_reads_a_fixed_number_of_queries(
    client, staff_darlington, darlington, django_assert_max_num_queries
):
    client.force_login(staff_darlington)
    RiskFactory.create_batch(5, organisation=darlington, archived_at="2026-01-01T00:00Z")
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("risks:risk_archived"))
    RiskFactory.create_batch(100, organisation=darlington, archived_at="2026-01-01T00:00Z")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("risks:risk_archived"))
    assert len(response.context["risks"]) == 50  # a page at a time


def test_the_plans_are_offered_whole_one_to_a_line(client, staff_dorset, dorset):
    """Radio buttons, each plan's whole title (a phone's select cut it), "None" among them."""
    plan = ODPlan.objects.get(organisation=dorset)
    client.force_login(staff_dorset)
    html = client.get(reverse("risks:risk_create", args=[dorset.slug])).content.decode()
    assert '<select name="plan"' not in html and "<legend>Plan</legend>" in html
    assert re.search(
        rf'type="radio" name="plan" value="{plan.pk}"[^>]*checked[^>]*>\s*{re.escape(plan.title)}<', html
    )
    assert re.search(r'type="radio" name="plan" value=""[^>]*>\s*None<', html)
    response = _add(client, dorset, plan="")
    assert response.status_code == HTTPStatus.FOUND
    assert Risk.objects.get(organisation=dorset).plan is None
