"""The deliverables list's theme filter offers the themes of the plan or organisation chosen (a
member: of their own organisations' plans), not every theme in England; a theme given by a
dashboard link is always accepted."""

import pytest
from django.urls import reverse

from apps.plans.models import Deliverable, Theme

pytestmark = pytest.mark.django_db

LIST = reverse("plans:deliverable_list")


def _offered(response):
    return {t.pk for t in response.context["filter"].form.fields["theme"].queryset}


def test_national_view_lists_themes_only_of_the_plan_or_organisation_chosen(client, admin_user, dorset):
    client.force_login(admin_user)
    assert _offered(client.get(LIST)) == set()
    dorset_themes = set(Theme.objects.filter(plan__organisation=dorset).values_list("pk", flat=True))
    assert _offered(client.get(LIST, {"organisation": dorset.pk})) == dorset_themes != set()
    plan = Theme.objects.filter(plan__organisation=dorset).first().plan
    assert _offered(client.get(LIST, {"plan": plan.pk})) == set(plan.themes.values_list("pk", flat=True))


def test_a_theme_from_a_dashboard_link_is_accepted_and_filters(client, admin_user, dorset):
    client.force_login(admin_user)
    theme = Theme.objects.filter(plan__organisation=dorset).first()
    response = client.get(LIST, {"theme": theme.pk, "bucket": "delivered"})
    assert response.status_code == 200
    assert not response.context["filter"].form.errors
    assert response.context["table"].paginator.count == sum(
        1 for d in Deliverable.objects.filter(theme=theme) if Deliverable.bucket(d.status) == "delivered"
    )


def test_a_member_is_offered_their_own_organisations_themes(client, staff_dorset, dorset):
    client.force_login(staff_dorset)
    assert _offered(client.get(LIST)) == set(
        Theme.objects.filter(plan__organisation=dorset).values_list("pk", flat=True)
    )


def test_ids_that_are_not_ids_are_the_forms_to_refuse(client, admin_user):
    client.force_login(admin_user)
    response = client.get(LIST, {"plan": "9" * 40, "theme": "x"})
    assert response.status_code in (200, 400)
