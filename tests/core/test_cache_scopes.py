"""The cache drops only what a write touched (issue 20, item 2), never serves a figure past the
moment it changes with the clock (issue 25, item 7), computes one miss once, and never gives one
viewer another's rows, controls or CSRF token."""

import datetime
import re
import threading
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from apps.core import freshness
from apps.dashboards import selectors as dashboard_selectors
from apps.organisations.models import Membership, Organisation
from apps.plans.models import STALE_DAYS, Deliverable, StatusUpdate
from apps.reminders.models import ReminderDelivery
from apps.risks.models import Risk
from tests.factories import MembershipFactory, UserFactory
from tests.risks.factories import RiskFactory

pytestmark = pytest.mark.django_db


def _version(scope):
    return dict(freshness.versions((scope,)))[scope]


def _global():
    return dict(freshness.versions(()))[freshness.GLOBAL]


def test_a_write_changes_the_versions_of_its_organisation_the_ones_above_and_all_only(dorset, darlington):
    roll_up = Organisation.objects.get(slug="nhs-commissioning-board")
    before = {o: _version(o) for o in (dorset.pk, darlington.pk, dorset.parent_id, roll_up.pk, freshness.ALL)}
    global_before = _global()
    Deliverable.objects.filter(pk=Deliverable.objects.filter(theme__plan__organisation=dorset)[0].pk).update(
        title="Renamed in Dorset"
    )
    after = {o: _version(o) for o in before}
    assert after[darlington.pk] == before[darlington.pk]  # another CCG's pages stay cached
    for changed in (dorset.pk, dorset.parent_id, roll_up.pk, freshness.ALL):
        assert after[changed] != before[changed]
    assert _global() == global_before
    # A risk, a status update through the edit path, a membership: each its organisation's.
    Risk.objects.filter(organisation=darlington).update(category="Darlington only")
    assert _version(dorset.pk) == after[dorset.pk] and _version(darlington.pk) != after[darlington.pk]
    # The tree itself (an organisation renamed) belongs to no one organisation: everything.
    Organisation.objects.filter(pk=darlington.pk).update(name="NHS Darlington CCG (renamed)")
    assert _global() != global_before


def test_signing_in_sessions_and_reminder_bookkeeping_change_nothing(client, staff_dorset, dorset):
    from django.contrib.auth.models import update_last_login

    client.force_login(staff_dorset)
    versions = freshness.versions((dorset.pk, freshness.ALL))
    update_last_login(None, staff_dorset)  # what signing in writes
    client.get(reverse("dashboards:organisation", args=[dorset.slug]))  # a session written
    ReminderDelivery.objects.create(user=staff_dorset, kind=ReminderDelivery.Kind.DIGEST, period="2026-W01")
    assert freshness.versions((dorset.pk, freshness.ALL)) == versions
    get_user_model().objects.filter(pk=staff_dorset.pk).update(first_name="Renamed")  # a name shows
    assert freshness.versions((dorset.pk, freshness.ALL)) != versions


def test_a_write_in_one_ccg_leaves_another_ccgs_dashboard_cached(client, admin_user, dorset, darlington):
    client.force_login(admin_user)
    url = reverse("dashboards:organisation", args=[dorset.slug])
    client.get(url)
    with mock.patch.object(
        dashboard_selectors, "_organisation_dashboard", wraps=dashboard_selectors._organisation_dashboard
    ) as computed:
        Risk.objects.filter(organisation=darlington).update(category="Darlington only")
        assert client.get(url).status_code == 200
        assert computed.call_count == 0  # from the cache
        Deliverable.objects.filter(
            pk=Deliverable.objects.filter(theme__plan__organisation=dorset)[0].pk
        ).update(title="Renamed in Dorset")
        assert client.get(url).status_code == 200
        assert computed.call_count == 1


def test_every_key_carries_the_release(monkeypatch):
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert freshness.cached("probe", (1,), compute, scopes=()) == 1
    assert freshness.cached("probe", (1,), compute, scopes=()) == 1
    monkeypatch.setattr(freshness, "RELEASE", "another-release")
    assert freshness.cached("probe", (1,), compute, scopes=()) == 2


def test_the_stale_figure_agrees_with_its_list_at_any_time_of_day(client, admin_user, dorset):
    """Issue 25, item 7: at 10:10 with no write, the figure said 0 while its list showed 1 row."""
    import time_machine

    # In UTC: a day is 24 hours there (wall-clock arithmetic in London would move an hour at
    # the change of the clocks, as stale_q's does not).
    start = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0)
    deliverable = (
        Deliverable.objects.filter(theme__plan__organisation=dorset)
        .exclude(status__in=Deliverable.DELIVERED_STATUSES)
        .first()
    )
    # Last updated by a person 60 days before 10:05: not stale at 10:00, stale from 10:05.
    StatusUpdate.objects.create(
        deliverable=deliverable,
        created_by=admin_user,
        to_status=deliverable.status,
        note="Checked.",
        created_at=start + datetime.timedelta(minutes=5) - datetime.timedelta(days=STALE_DAYS),
    )
    url = reverse("dashboards:organisation", args=[dorset.slug])
    seen = []
    for minutes in (0, 4, 10, 11):
        with time_machine.travel(start + datetime.timedelta(minutes=minutes), tick=False):
            client.force_login(admin_user)
            figure = client.get(url).context["figures"]["stale"]
            listed = client.get(figure.url).context["table"].paginator.count
            seen.append((figure.count, listed))
            assert figure.count == listed, f"+{minutes} min: figure {figure.count}, list {listed}"
    assert seen[1][0] < seen[2][0] == seen[3][0]  # it became stale between 4 and 10 minutes on


@pytest.mark.django_db(transaction=True)
def test_one_miss_is_computed_once_while_others_wait():
    started, release = threading.Event(), threading.Event()
    calls, results = [], []

    def compute():
        calls.append(1)
        started.set()
        release.wait(5)
        return "the value"

    def request():
        try:
            results.append(freshness.cached("single-flight", (1,), compute, scopes=()))
        finally:
            connection.close()

    first = threading.Thread(target=request)
    first.start()
    assert started.wait(5)
    waiting = [threading.Thread(target=request) for _ in range(4)]
    for thread in waiting:
        thread.start()
    release.set()
    for thread in [first, *waiting]:
        thread.join(10)
    assert results == ["the value"] * 5
    assert len(calls) == 1


# --- Two viewers against a warm cache --------------------------------------------------------

CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
ROW = re.compile(rb'id="deliverable-(\d+)"')
STATUS_CONTROL = re.compile(rb'id="status-cell-(\d+)"')


def test_two_viewers_against_a_warm_cache_never_get_each_others_rows_controls_or_token(
    client, dorset, darlington, staff_dorset
):
    """Staff of Dorset (who may change Dorset's deliverables) and a board member of Darlington
    (who reads Darlington's, and changes nothing) take turns over the same pages, each page
    cached by the first: each sees only their own organisation's rows, only staff get the
    status control, and every CSRF token in a page is the viewer's own."""
    from django.test import Client

    board_darlington = UserFactory(username="t.board.darlington")
    MembershipFactory(user=board_darlington, organisation=darlington, role=Membership.Role.GOVERNING_BODY)
    viewers = {"staff": (staff_dorset, dorset), "board": (board_darlington, darlington)}
    clients = {}
    for name, (user, _org) in viewers.items():
        clients[name] = Client()
        clients[name].force_login(user)
    own = {
        name: set(Deliverable.objects.filter(theme__plan__organisation=org).values_list("pk", flat=True))
        for name, (_user, org) in viewers.items()
    }
    pages = [
        reverse("plans:deliverable_list"),
        reverse("plans:deliverable_list") + "?sort=-deadline",
        reverse("plans:deliverable_list") + "?status=in_progress",
        reverse("risks:risk_list"),
        reverse("risks:heatmap"),
        reverse("dashboards:organisation", args=[dorset.slug]),
        reverse("dashboards:organisation", args=[darlington.slug]),
    ]
    seen_rows = {name: set() for name in viewers}
    for _round in range(2):
        for url in pages:
            for name in ("staff", "board", "staff", "board"):
                response = clients[name].get(url)
                if response.status_code == 403:
                    continue
                assert response.status_code == 200, (name, url)
                body = response.content
                cookie = clients[name].cookies.get("csrftoken")
                token = cookie.value if cookie else None
                for found in CSRF.findall(body):
                    assert token is not None and _same_secret(found.decode(), token), (name, url)
                rows = {int(pk) for pk in ROW.findall(body)}
                assert rows <= own[name], (name, url, sorted(rows - own[name])[:5])
                seen_rows[name] |= rows
                controls = {int(pk) for pk in STATUS_CONTROL.findall(body)}
                if name == "board":
                    assert controls == set(), url
                else:
                    assert controls <= own["staff"], url
    assert seen_rows["staff"] and seen_rows["board"]  # both lists were drawn, both from the cache


def _same_secret(masked_token, cookie):
    from django.middleware.csrf import CSRF_SECRET_LENGTH, _unmask_cipher_token

    secret = cookie if len(cookie) == CSRF_SECRET_LENGTH else _unmask_cipher_token(cookie)
    return _unmask_cipher_token(masked_token) == secret


def test_viewers_of_one_organisation_each_get_their_own_toolbar_from_a_warm_cache(
    client, dorset, staff_dorset, board_dorset
):
    """Staff and a board member of Dorset read the same rows (one scope), but only staff may add
    to Dorset's plan and register and restore what was archived there: the lists' toolbars
    (cached per viewer) never pass from one to the other, whoever draws them first, and an
    archive shows at once in the count."""
    from django.test import Client

    plan_deliverables = Deliverable.objects.filter(theme__plan__organisation=dorset, archived_at=None)
    archived = plan_deliverables.first()
    Deliverable.objects.filter(pk=archived.pk).update(archived_at=timezone.now())
    RiskFactory(organisation=dorset)  # the register has rows, so its toolbar is drawn
    RiskFactory(organisation=dorset, archived_at=timezone.now())
    clients = {}
    for name, user in (("staff", staff_dorset), ("board", board_dorset)):
        clients[name] = Client()
        clients[name].force_login(user)
    lists = {
        reverse("plans:deliverable_list"): (b"Add a deliverable", b"Archived deliverables ("),
        reverse("risks:risk_list"): (b"Add a risk", b"Archived risks ("),
    }
    for order in (("staff", "board"), ("board", "staff")):
        freshness.cache.clear()
        for url, (add, restore) in lists.items():
            for name in order * 2:
                body = clients[name].get(url).content
                assert (add in body, restore in body) == (name == "staff", name == "staff"), (name, url)
    count = re.compile(rb"Archived deliverables \((\d+)\)")
    url = reverse("plans:deliverable_list")
    before = int(count.search(clients["staff"].get(url).content).group(1))
    Deliverable.objects.filter(pk=plan_deliverables.exclude(pk=archived.pk).first().pk).update(
        archived_at=timezone.now()
    )
    assert int(count.search(clients["staff"].get(url).content).group(1)) == before + 1
