"""Finding things (issue 19.7), without a browser: the menu offers People, Import and My work to
those who may use them; the import of a new plan starts on the user's own organisation, named
with its kind; the risk review names each score ("4 Major", "4 Likely") and gives the page the
server's ratings and bands for every pair of scores, which agree with the register's."""

import re
from http import HTTPStatus

import pytest
from django.urls import reverse

from apps.organisations.models import Membership, Organisation
from apps.risks.models import LIKELIHOOD_DESCRIPTORS, SCORES, SEVERITY_DESCRIPTORS, BandScheme, Risk
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _nav(client, user):
    client.force_login(user)
    html = client.get(reverse("plans:my_work")).content.decode()
    nav = html[html.index('<nav aria-label="Main">') : html.index("</nav>", html.index('aria-label="Main"'))]
    return dict(
        re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)[i][::-1] for i in range(nav.count("<a "))
    )


def test_an_organisation_administrator_finds_people_import_and_my_work(client, dorset):
    orgadmin = UserFactory(username="t.orgadmin")
    MembershipFactory(user=orgadmin, organisation=dorset, role=Membership.Role.ORG_ADMIN)
    nav = _nav(client, orgadmin)
    assert nav["People"] == reverse("organisations:people", args=[dorset.slug])
    assert nav["Import a plan"] == reverse("plans:plan_import_new")
    assert nav["My work"] == reverse("plans:my_work")
    assert client.get(nav["People"]).status_code == HTTPStatus.OK


def test_staff_find_import_but_not_people(client, staff_dorset):
    nav = _nav(client, staff_dorset)
    assert "Import a plan" in nav and "My work" in nav and "People" not in nav


def test_a_governing_body_member_finds_neither(client, board_dorset):
    nav = _nav(client, board_dorset)
    assert "Import a plan" not in nav and "People" not in nav and "My work" in nav


def test_an_administrator_finds_the_accounts_as_people(client, admin_user):
    nav = _nav(client, admin_user)
    assert nav["People"] == reverse("admin:auth_user_changelist") and "Import a plan" in nav


def test_the_import_starts_on_the_users_own_organisation_named_with_its_kind(client, staff_dorset, dorset):
    client.force_login(staff_dorset)
    html = client.get(reverse("plans:plan_import_new")).content.decode()
    select = html[
        html.index('<select name="organisation"') : html.index("</select>", html.index('name="organisation"'))
    ]
    selected = re.search(r'<option value="(\d+)" selected>([^<]+)</option>', select)
    assert int(selected.group(1)) == dorset.pk
    assert selected.group(2) == "NHS Dorset CCG (Clinical commissioning group)"
    options = re.findall(r"<option [^>]*>([^<]+)</option>", select)
    assert len(options) > 1 and all(o.endswith(")") for o in options)  # every one with its kind


def test_an_administrator_chooses_the_organisation(client, admin_user):
    client.force_login(admin_user)
    html = client.get(reverse("plans:plan_import_new")).content.decode()
    select = html[
        html.index('<select name="organisation"') : html.index("</select>", html.index('name="organisation"'))
    ]
    assert '<option value="" selected>Choose the organisation whose plan this is</option>' in select
    response = client.post(reverse("plans:plan_import_new"), {"title": "A plan", "period_label": "2024"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert '<a href="#id_organisation">Choose the organisation.</a>' in response.content.decode()


def test_a_unit_member_starts_on_the_widest_organisation_they_edit(client, dorset):
    locality = Organisation.objects.filter(parent=dorset).order_by("name").first()
    user = UserFactory(username="t.both")
    MembershipFactory(user=user, organisation=locality, role=Membership.Role.STAFF)
    MembershipFactory(user=user, organisation=dorset, role=Membership.Role.STAFF)
    client.force_login(user)
    html = client.get(reverse("plans:plan_import_new")).content.decode()
    assert re.search(rf'<option value="{dorset.pk}" selected>', html)


def test_the_review_names_each_score(client, staff_darlington):
    risk = Risk.objects.filter(organisation__slug="nhs-darlington-ccg").order_by("pk").first()
    client.force_login(staff_darlington)
    html = client.get(risk.get_absolute_url()).content.decode()
    assert (
        '<option value="4">4 Major</option>' in html or '<option value="4" selected>4 Major</option>' in html
    )
    assert re.search(r'<option value="4"( selected)?>4 Likely</option>', html)
    assert 'id="rating-table"' in html and 'data-live-ratings="rating-table"' in html


def test_the_board_sees_no_rating_table(client, darlington):
    risk = Risk.objects.filter(organisation=darlington).order_by("pk").first()
    board = UserFactory(username="t.board.darlington")
    MembershipFactory(user=board, organisation=darlington, role=Membership.Role.GOVERNING_BODY)
    client.force_login(board)
    assert 'id="rating-table"' not in client.get(risk.get_absolute_url()).content.decode()


def test_the_rating_table_agrees_with_the_register_for_every_pair_of_scores(darlington):
    """The page's table (BandScheme.ratings) and the register's SQL (with_ratings) are one rule."""
    scheme = BandScheme.current()
    table = scheme.ratings()
    assert len(table) == len(SCORES) ** 2
    risk = Risk.objects.filter(organisation=darlington).order_by("pk").first()
    for severity in SCORES:
        for likelihood in SCORES:
            Risk.objects.filter(pk=risk.pk).update(
                severity=severity, likelihood=likelihood, residual_severity=1, residual_likelihood=1
            )
            row = Risk.objects.with_ratings(scheme).get(pk=risk.pk)
            entry = table[f"{severity}x{likelihood}"]
            assert (entry["rating"], entry["band"]) == (row.rating, row.band)
    assert set(SEVERITY_DESCRIPTORS) == set(LIKELIHOOD_DESCRIPTORS) == set(SCORES)
    assert SEVERITY_DESCRIPTORS[4] == "Major" and LIKELIHOOD_DESCRIPTORS[4] == "Likely"


def test_the_admins_theme_select_names_each_themes_plan(client, admin_user, dorset):
    from apps.plans.models import Deliverable

    deliverable = Deliverable.objects.filter(theme__plan__organisation=dorset).order_by("pk").first()
    client.force_login(admin_user)
    html = client.get(reverse("admin:plans_deliverable_change", args=[deliverable.pk])).content.decode()
    select = html[html.index('<select name="theme"') : html.index("</select>", html.index('name="theme"'))]
    theme = deliverable.theme
    expected = f"{dorset.name}, {theme.plan.title}: {theme.number}. {theme.title}"
    assert re.search(rf'<option value="{theme.pk}" selected>{re.escape(expected)}</option>', select)
    options = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select)
    assert len({o.split(":")[0] for o in options}) >= 2  # the themes of more than one plan, each named
