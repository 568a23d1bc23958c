"""Text search of the deliverables list and the risk register (apps/core/search.py): word
prefixes over the model's SEARCH_FIELDS, answered from a GIN index."""

import pytest
from django.db import connection
from django.urls import reverse

from apps.core.search import search_filter
from apps.plans.models import DELIVERABLE_SEARCH_FIELDS, Deliverable
from apps.risks.models import RISK_SEARCH_FIELDS, Risk
from tests.plans.factories import DeliverableFactory, ThemeFactory
from tests.risks.factories import RiskFactory

pytestmark = pytest.mark.django_db

LIST = reverse("plans:deliverable_list")
RISKS = reverse("risks:risk_list")


def _found(client, url, q):
    response = client.get(url, {"q": q, "per_page": 200})
    assert response.status_code == 200
    return {row.record.pk for row in response.context["table"].page.object_list}


@pytest.fixture
def theme(dorset):
    return ThemeFactory(plan__organisation=dorset)


def test_each_word_is_the_beginning_of_a_word_in_any_searched_field(client, admin_user, theme):
    engagement = DeliverableFactory(theme=theme, title="Stakeholder engagement plan agreed")
    narrative = DeliverableFactory(
        theme=theme, title="Other", in_progress_narrative="Governance review ENGAGED"
    )
    comment = DeliverableFactory(theme=theme, title="Third", comments="Board engagement event held")
    method = DeliverableFactory(theme=theme, title="Fourth", methods="Survey of practices")
    DeliverableFactory(theme=theme, title="Nothing to see", in_progress_narrative="disengaged")  # mid-word
    client.force_login(admin_user)
    assert _found(client, LIST, "engag") >= {engagement.pk, narrative.pk, comment.pk}
    assert not _found(client, LIST, "engag") & {method.pk}
    assert narrative.pk not in _found(client, LIST, "engag board")  # every word must be found
    assert comment.pk in _found(client, LIST, "ENGAGEMENT  board!")  # case and punctuation do not matter
    assert method.pk in _found(client, LIST, "practice")
    assert _found(client, LIST, "disengag") == {
        d.pk for d in Deliverable.objects.filter(in_progress_narrative__icontains="disengag")
    }


def test_a_search_with_no_words_finds_nothing_and_says_so(client, admin_user):
    client.force_login(admin_user)
    response = client.get(LIST, {"q": "!!! ---"})
    assert response.status_code == 200
    assert response.context["table"].paginator.count == 0


def test_the_risk_register_searches_its_references_and_texts(client, admin_user, dorset):
    risk = RiskFactory(organisation=dorset, reference="ZX9", description="Loss of clinical engagement")
    mitigated = RiskFactory(
        organisation=dorset, mitigation="Monthly constitution review", category="Governance"
    )
    client.force_login(admin_user)
    assert risk.pk in _found(client, RISKS, "clinic engag")
    assert mitigated.pk in _found(client, RISKS, "constitution")
    assert mitigated.pk in _found(client, RISKS, "governance")
    assert _found(client, RISKS, "zx9") == {risk.pk}


@pytest.mark.parametrize(
    "model, fields, index",
    [
        (Deliverable, DELIVERABLE_SEARCH_FIELDS, "deliverable_search_document"),
        (Risk, RISK_SEARCH_FIELDS, "risk_search_document"),
    ],
)
def test_the_search_is_answered_from_its_index(model, fields, index):
    # The filter must read the stored words the index is built on, or PostgreSQL computes the
    # words of every row's texts.
    # (On test-sized tables the planner would rather scan, so scans are priced out here.)
    queryset = search_filter(model.objects.order_by(), fields, "engagement board")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    assert f"Bitmap Index Scan on {index}" in plan, plan


def test_the_stored_words_follow_every_edit(client, admin_user, theme):
    # PostgreSQL recomputes the stored column on every write, whichever path made it.
    deliverable = DeliverableFactory(theme=theme, title="Quarterly zebrafinch review")
    client.force_login(admin_user)
    assert _found(client, LIST, "zebrafinch") == {deliverable.pk}
    Deliverable.objects.filter(pk=deliverable.pk).update(title="Quarterly kingfisher review")
    assert _found(client, LIST, "zebrafinch") == set()
    assert _found(client, LIST, "kingfisher") == {deliverable.pk}
    risk = RiskFactory(organisation=theme.plan.organisation, mitigation="Wrens")
    Risk.objects.filter(pk=risk.pk).update(mitigation="Avocets")
    assert _found(client, RISKS, "avocet") == {risk.pk}
    assert _found(client, RISKS, "wren") == set()


def test_a_list_as_at_a_day_searches_the_audit_trails_rows(client, admin_user, theme):
    # The audit trail does not keep the stored words: its rows are matched on the same expression.
    deliverable = DeliverableFactory(theme=theme, title="Quarterly ptarmigan review")
    client.force_login(admin_user)
    response = client.get(LIST, {"q": "ptarmigan", "as_at": "2099-01-01", "per_page": 200})
    assert response.status_code == 200
    assert {row.record.id for row in response.context["table"].page.object_list} == {deliverable.pk}
