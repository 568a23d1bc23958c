"""Owners are people: what a user owns (owned_by, for My work and the reminders) and /my/."""

import datetime
import re
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.organisations.models import Membership
from apps.plans import selectors as plan_selectors
from apps.plans.models import Deliverable, ODPlan, StatusUpdate
from apps.risks import selectors as risk_selectors
from apps.risks.models import Risk
from tests.factories import MembershipFactory, UserFactory
from tests.plans.factories import DeliverableFactory, ThemeFactory
from tests.risks.factories import RiskFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 1)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def owner(dorset):
    user = UserFactory(username="o.wner", first_name="Olive", last_name="Wner")
    MembershipFactory(user=user, organisation=dorset, role=Membership.Role.STAFF)
    return user


@pytest.fixture
def theme(dorset):
    return ThemeFactory(plan=ODPlan.objects.get(organisation=dorset), number=50)


def _deliverable(theme, owner, deadline, status="in_progress", title=None):
    return DeliverableFactory(theme=theme, owner=owner, deadline=deadline, status=status, title=title or "d")


def test_owned_deliverables_come_overdue_first_then_due_soon_then_the_rest(theme, owner, staff_dorset):
    later = _deliverable(theme, owner, TODAY + 90 * DAY, title="later")
    undated = _deliverable(theme, owner, None, title="undated")
    soon = _deliverable(theme, owner, TODAY + 10 * DAY, title="soon")
    today = _deliverable(theme, owner, TODAY, title="today")
    overdue = _deliverable(theme, owner, TODAY - 5 * DAY, title="overdue")
    very_overdue = _deliverable(theme, owner, TODAY - 50 * DAY, status="not_started", title="very overdue")
    _deliverable(theme, owner, TODAY - 5 * DAY, status="delivered", title="delivered")  # not listed
    _deliverable(theme, staff_dorset, TODAY - 5 * DAY, title="someone else's")  # not listed
    rows = list(plan_selectors.owned_by(owner, today=TODAY))
    assert [d.title for d in rows] == ["very overdue", "overdue", "today", "soon", "later", "undated"]
    flags = {d.title: (d.is_overdue, d.is_due_soon) for d in rows}
    assert flags == {
        "very overdue": (True, False),
        "overdue": (True, False),
        "today": (False, True),
        "soon": (False, True),
        "later": (False, False),
        "undated": (False, False),
    }
    assert {very_overdue, overdue, today, soon, later, undated} == set(rows)


def test_owned_deliverables_flag_no_update_for_60_days(theme, owner):
    """Counted from the updates people made: a row changed without one (the seed load sets
    ``updated_at`` and writes no update) is not an update."""
    fresh = _deliverable(theme, owner, None, title="fresh")
    stale = _deliverable(theme, owner, None, title="stale")
    never = _deliverable(theme, owner, None, title="never updated by anyone")
    long_ago = timezone.now() - datetime.timedelta(days=61)
    StatusUpdate.objects.create(deliverable=fresh, created_by=owner, to_status="in_progress", note="On it.")
    StatusUpdate.objects.create(
        deliverable=stale, created_by=owner, created_at=long_ago, to_status="in_progress", note="Started."
    )
    StatusUpdate.objects.create(deliverable=never, created_by=None, to_status="in_progress", note="Loaded.")
    Deliverable.objects.filter(pk=stale.pk).update(updated_at=timezone.now())  # not a person's update
    flags = {d.title: d.is_stale for d in plan_selectors.owned_by(owner)}
    assert flags == {"fresh": False, "stale": True, "never updated by anyone": True}


def test_owned_work_is_only_in_organisations_the_owner_may_still_see(theme, owner, darlington):
    other_theme = ThemeFactory(plan=ODPlan.objects.get(organisation=darlington), number=51)
    _deliverable(other_theme, owner, None, title="elsewhere")
    RiskFactory(organisation=darlington, owner=owner, description="elsewhere")
    assert not plan_selectors.owned_by(owner).exists()
    assert not risk_selectors.owned_by(owner).exists()
    owner.is_active = False
    owner.save()
    _deliverable(theme, owner, None)
    assert not plan_selectors.owned_by(owner).exists()


def test_owned_risks_come_review_overdue_first_then_due_soon_then_the_rest(dorset, owner):
    def risk(description, review, status=Risk.Status.OPEN):
        return RiskFactory(
            organisation=dorset, owner=owner, next_review_on=review, status=status, description=description
        )

    risk("later", TODAY + 60 * DAY)
    risk("soon", TODAY + 3 * DAY)
    risk("overdue", TODAY - DAY)
    risk("none", None)
    risk("closed", TODAY - DAY, status=Risk.Status.CLOSED)
    rows = list(risk_selectors.owned_by(owner, today=TODAY))
    assert [r.description for r in rows] == ["overdue", "soon", "later", "none"]
    assert [(r.is_overdue, r.is_due_soon) for r in rows] == [
        (True, False),
        (False, True),
        (False, False),
        (False, False),
    ]
    assert rows[0].rating == rows[0].severity * rows[0].likelihood and rows[0].band


def test_my_work_lists_what_the_user_owns_with_status_controls(client, theme, owner, dorset):
    overdue = _deliverable(theme, owner, timezone.localdate() - 3 * DAY, title="Overdue thing")
    later = _deliverable(theme, owner, timezone.localdate() + 100 * DAY, title="Later thing")
    risk = RiskFactory(organisation=dorset, owner=owner, description="My risk")
    client.force_login(owner)
    response = client.get(reverse("plans:my_work"))
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert page.index("Overdue thing") < page.index("Later thing")
    assert f'id="status-cell-{overdue.pk}"' in page and f'id="status-cell-{later.pk}"' in page
    assert f'id="overdue-{overdue.pk}"' in page  # the in-place control refreshes this marker
    assert f'href="{risk.get_absolute_url()}#review-form"' in page
    assert f'<a href="{reverse("plans:my_work")}">My work</a>' in page  # the nav link
    assert 'id="import-plan-link"' in page


def test_the_status_control_on_my_work_saves_through_the_service(client, theme, owner):
    deliverable = _deliverable(theme, owner, None, title="Mine")
    client.force_login(owner)
    response = client.post(
        reverse("plans:deliverable_status", args=[deliverable.pk]),
        {"status": "delivered", "note": "Done from My work", "version": deliverable.version, "next": "/my/"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == HTTPStatus.OK
    deliverable.refresh_from_db()
    assert deliverable.status == "delivered" and deliverable.updates.get().note == "Done from My work"
    page = client.get(reverse("plans:my_work")).content.decode()
    # Delivered: off the list (the page's one mention of it is the receipt of the change, which
    # the next page always gives: apps/core/receipts.py).
    assert f'id="my-deliverable-{deliverable.pk}"' not in page
    receipts = re.search(r'<ul class="messages">.*?</ul>', page, re.S)
    assert receipts and "Saved at " in receipts.group()
    assert "Mine" not in page.replace(receipts.group(), "")


def test_an_owner_who_may_not_edit_sees_the_status_without_a_control(client, theme, dorset):
    board = UserFactory(username="b.owner")
    MembershipFactory(user=board, organisation=dorset, role=Membership.Role.GOVERNING_BODY)
    deliverable = _deliverable(theme, board, None, title="Board's")
    client.force_login(board)
    page = client.get(reverse("plans:my_work")).content.decode()
    assert "Board&#x27;s" in page and f'id="status-cell-{deliverable.pk}"' not in page
    assert 'id="import-plan-link"' not in page


def test_my_work_says_when_there_is_nothing(client, no_role_user):
    client.force_login(no_role_user)
    page = client.get(reverse("plans:my_work")).content.decode()
    assert 'id="no-deliverables"' in page and 'id="no-risks"' in page


def test_my_work_query_count_stays_fixed(client, theme, owner, dorset, django_assert_max_num_queries):
    client.force_login(owner)
    for i in range(3):
        _deliverable(theme, owner, timezone.localdate() + i * DAY)
        RiskFactory(organisation=dorset, owner=owner)
    client.get(reverse("plans:my_work"))
    with django_assert_max_num_queries(15) as baseline:
        client.get(reverse("plans:my_work"))
    for i in range(60):
        _deliverable(theme, owner, timezone.localdate() + (i - 30) * DAY)
        RiskFactory(organisation=dorset, owner=owner)
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        response = client.get(reverse("plans:my_work"))
    assert len(response.context["deliverables"]) == 63 and len(response.context["risks"]) == 63


def test_the_owner_text_shows_where_no_member_owns_it(client, theme, staff_dorset, dorset):
    deliverable = DeliverableFactory(theme=theme, owner=None, owner_text="Head of Workforce")
    risk = RiskFactory(organisation=dorset, owner=None, owner_text="Chief Officer")
    client.force_login(staff_dorset)
    assert (
        '<dd id="owner">Head of Workforce</dd>' in client.get(deliverable.get_absolute_url()).content.decode()
    )
    assert '<dd id="owner">Chief Officer</dd>' in client.get(risk.get_absolute_url()).content.decode()
    listed = client.get(reverse("plans:deliverable_list"), {"plan": theme.plan.pk, "theme": theme.pk})
    assert "Head of Workforce" in listed.content.decode()
    assert "Chief Officer" in client.get(reverse("risks:risk_list")).content.decode()
    deliverable.owner = staff_dorset
    deliverable.save()
    page = client.get(deliverable.get_absolute_url()).content.decode()
    assert f'<dd id="owner">{staff_dorset.get_full_name()}</dd>' in page  # a member owner comes first


def test_owning_nothing_yet_leads_to_the_open_work(client, staff_darlington):
    """My work of someone who owns nothing: not a dead end, but the open deliverables and risks
    of their organisations, the same lists the dashboard's "still to deliver" opens."""
    client.force_login(staff_darlington)
    html = client.get(reverse("plans:my_work")).content.decode()
    link = re.search(r'<p id="no-deliverables">.*?<a href="([^"]+)">(.*?)</a>', html, re.S)
    assert link.group(2) == "The open deliverables of your organisations"
    listed = client.get(link.group(1).replace("&amp;", "&"))
    rows = [row.record for row in listed.context["table"].page.object_list]
    open_ones = Deliverable.objects.filter(
        theme__plan__organisation__slug="nhs-darlington-ccg", status__in=Deliverable.OPEN_STATUSES
    )
    assert len(rows) == min(open_ones.count(), 50) > 0
    assert all(r.status in Deliverable.OPEN_STATUSES for r in rows)
    risks = reverse("risks:risk_list") + "?status=open"
    assert f'<a href="{risks}">The open risks of your organisations</a>' in html
