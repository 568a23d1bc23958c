"""The roll-up dashboards (NHS CB, a region, a LAT) show progress per organisation directly
beneath, not per theme of every plan in England, with the same number of queries whether two
plans lie beneath or a CCG plan under every LAT."""

from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from apps.organisations.filters import within
from apps.organisations.models import Organisation, subtree
from apps.plans.models import Deliverable, DeliverableAsAt, ODPlan, StatusUpdate, Theme
from apps.risks.models import Risk
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

ROLLUP = reverse("dashboards:organisation", args=["nhs-commissioning-board"])
STATUSES = [value for value, _ in Deliverable.Status.choices]


def _plans_under_every_lat(themes=6, deliverables=4):
    """A CCG with a plan under each LAT of the seed (27), bulk-created."""
    lats = list(Organisation.objects.filter(kind=Organisation.Kind.LAT))
    ccgs = [
        OrganisationFactory(parent=lat, kind=Organisation.Kind.CCG, name=f"Generated CCG {n}")
        for n, lat in enumerate(lats)
    ]
    plans = ODPlan.objects.bulk_create(
        ODPlan(organisation=ccg, title=f"Plan of {ccg.name}", period_label="2024-2027") for ccg in ccgs
    )
    made = Theme.objects.bulk_create(
        Theme(plan=plan, number=n + 1, title=f"Theme {n + 1}") for plan in plans for n in range(themes)
    )
    Deliverable.objects.bulk_create(
        Deliverable(theme=theme, position=p + 1, title=f"Deliverable {p}", status=STATUSES[p % len(STATUSES)])
        for theme in made
        for p in range(deliverables)
    )
    return lats, made


def _rows(response):
    return response.context["rollup"]


def test_the_roll_up_has_a_row_per_organisation_beneath_adding_up_to_its_total(client, admin_user):
    client.force_login(admin_user)
    lats, themes = _plans_under_every_lat()
    response = client.get(ROLLUP)
    assert response.status_code == HTTPStatus.OK
    rows = _rows(response)
    nhs_cb = Organisation.objects.get(slug="nhs-commissioning-board")
    regions = set(Organisation.objects.filter(parent=nhs_cb).values_list("pk", flat=True))
    assert {row.organisation.pk for row in rows} <= regions | {nhs_cb.pk}
    assert len(rows) == len({lat.parent_id for lat in lats}) > 1
    assert sum(row.progress["total"] for row in rows) == response.context["figures"]["total"].count
    assert response.context["themes"] == []  # not 27 x 6 theme rows
    html = response.content.decode()
    assert 'id="rollup-progress"' in html and 'id="theme-progress"' not in html
    assert len(response.context["charts"]["themes"]["data"]["labels"]) == len(rows)
    for row in rows:  # each row opens that organisation's own dashboard
        assert reverse("dashboards:organisation", args=[row.organisation.slug]) in html


def test_a_lat_rolls_up_its_ccgs_and_a_ccg_shows_its_themes(client, admin_user):
    client.force_login(admin_user)
    lats, _ = _plans_under_every_lat()
    lat = lats[0]
    second = OrganisationFactory(parent=lat, kind=Organisation.Kind.CCG, name="Second generated CCG")
    Theme.objects.create(
        plan=ODPlan.objects.create(organisation=second, title="P", period_label="x"), number=1
    )
    response = client.get(reverse("dashboards:organisation", args=[lat.slug]))
    ccgs = {row.organisation.kind for row in _rows(response)}
    assert ccgs == {Organisation.Kind.CCG}
    ccg = Organisation.objects.get(name="Generated CCG 0")
    response = client.get(reverse("dashboards:organisation", args=[ccg.slug]))
    assert response.context["rollup"] == [] and len(response.context["themes"]) == 6


def test_the_roll_up_queries_do_not_grow_with_the_plans_beneath(
    client, admin_user, django_assert_max_num_queries
):
    client.force_login(admin_user)
    client.get(ROLLUP)
    cache.clear()  # counted as computed, not as read from the cache
    with django_assert_max_num_queries(30) as seed:  # the seed: two CCG plans beneath
        assert client.get(ROLLUP).status_code == HTTPStatus.OK
    _plans_under_every_lat(themes=12, deliverables=10)  # 27 more plans, 324 themes, 3,240 rows
    cache.clear()  # counted as computed, not as read from the cache
    with django_assert_max_num_queries(len(seed.captured_queries)):
        response = client.get(ROLLUP)
    assert response.status_code == HTTPStatus.OK and len(_rows(response)) > 1


def test_the_nhs_cb_scope_is_every_organisation_and_a_region_is_not():
    nhs_cb = Organisation.objects.get(slug="nhs-commissioning-board")
    region = Organisation.objects.filter(parent=nhs_cb).first()
    assert Organisation.objects.filter(parent__isnull=True).get() == nhs_cb  # the seed's one root
    everything = Organisation.objects.beneath_ids([nhs_cb.pk])
    assert everything.everything and sorted(everything) == sorted(
        Organisation.objects.values_list("pk", flat=True)
    )
    assert not Organisation.objects.beneath_ids([region.pk]).everything
    OrganisationFactory(parent=None, name="A second root")  # then the NHS CB is not everything
    assert not Organisation.objects.beneath_ids([nhs_cb.pk]).everything
    assert not Organisation.objects.beneath_ids([]).everything


def test_a_subtree_is_kept_until_the_organisations_change(django_assert_num_queries):
    """``subtree`` keeps the tree's query in the cache, keyed by the organisations' version: a
    second read asks only the versions, and an organisation added beneath, moved or a second
    root is in the next read at once."""
    nhs_cb = Organisation.objects.get(slug="nhs-commissioning-board")
    dorset = Organisation.objects.get(slug="nhs-dorset-ccg")
    first = subtree(dorset.pk)
    assert first == Organisation.objects.beneath_ids([dorset.pk]) and not first.everything
    with django_assert_num_queries(1):  # the versions, not the tree
        assert subtree(dorset.pk) == first
    locality = OrganisationFactory(parent=dorset, name="A new locality")
    assert sorted(subtree(dorset.pk)) == sorted([*first, locality.pk])
    Organisation.objects.filter(pk=locality.pk).update(parent=nhs_cb)
    assert sorted(subtree(dorset.pk)) == sorted(first)
    assert subtree(nhs_cb.pk).everything
    OrganisationFactory(parent=None, name="A second root")
    assert not subtree(nhs_cb.pk).everything


def test_a_scope_of_everything_still_leaves_out_rows_with_no_organisation(darlington):
    """Filtering to every organisation is left out only where every row has one: a risk's plan
    may be empty, so "risks whose plan is within the NHS CB" still leaves out those with none."""
    nhs_cb = Organisation.objects.get(slug="nhs-commissioning-board")
    scope = Organisation.objects.beneath_ids([nhs_cb.pk])
    risks = Risk.objects.all()
    Risk.objects.filter(pk=risks.filter(organisation=darlington).earliest("pk").pk).update(plan=None)
    assert within(risks, "organisation", nhs_cb.pk, scope=scope).count() == risks.count()
    with_plan = within(risks, "plan__organisation", nhs_cb.pk, scope=scope)
    assert with_plan.count() == risks.filter(plan__isnull=False).count() < risks.count()
    # The history's copies hold no foreign key PostgreSQL keeps: a row may name a theme deleted
    # since, so the filter stays.
    history = DeliverableAsAt.objects.all()
    assert within(history, "theme__plan__organisation", nhs_cb.pk, scope=scope) is not history
    assert (
        within(
            Deliverable.objects.all(), "theme__plan__organisation", nhs_cb.pk, scope=scope
        ).query.where.children
        == []
    )


def test_the_nhs_cb_counts_deliveries_per_month_of_current_deliverables_only(
    client, admin_user, dorset, darlington
):
    """England's deliveries per month are counted without joining each update to its
    deliverable (``current_unjoined``): an archived deliverable's are still left out, a
    deliverable delivered twice in a month is counted once, and England adds up its regions."""
    client.force_login(admin_user)
    kept = Deliverable.objects.filter(theme__plan__organisation=dorset).earliest("pk")
    archived = Deliverable.objects.filter(theme__plan__organisation=darlington).earliest("pk")
    for deliverable in (kept, kept, archived):
        StatusUpdate.objects.create(
            deliverable=deliverable, from_status="in_progress", to_status="delivered", created_by=admin_user
        )
    Deliverable.objects.filter(pk=archived.pk).update(archived_at=timezone.now())

    def months(slug):
        cache.clear()
        rows = client.get(reverse("dashboards:organisation", args=[slug])).context["delivered_per_month"]
        return {row["month"]: row["count"] for row in rows}

    this_month = timezone.localdate().replace(day=1)
    england = months("nhs-commissioning-board")
    assert england[this_month] == 1
    regions = [
        months(region.slug) for region in Organisation.objects.filter(parent__slug="nhs-commissioning-board")
    ]
    assert sum(r.get(this_month, 0) for r in regions) == 1
    assert sum(england.values()) == sum(sum(r.values()) for r in regions)
