"""The data version that cached figures and pages are keyed by (apps/core/history/data_versions.py,
read by apps/core/freshness.py): every watched table has its trigger, a committed write gives a
new version whatever wrote it, a rolled-back one does not, and nothing computed inside a
transaction is stored."""

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.urls import reverse

from apps.core import freshness
from apps.core.history import data_versions
from apps.plans.models import Deliverable
from apps.risks.models import Risk


def _triggers():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE 'ccgtrack_data_%%'"
        )
        return set(cursor.fetchall())


@pytest.mark.django_db
def test_every_table_of_the_apps_and_the_accounts_has_the_triggers():
    tables = data_versions.watched_tables()
    for expected in ("plans_deliverable", "plans_statusupdate", "risks_risk", "auth_user"):
        assert expected in tables
    assert "django_session" not in tables
    assert "reminders_reminderdelivery" not in tables  # bookkeeping: no page shows it
    triggers = _triggers()
    missing = [t for t in tables for name in data_versions.NOTE_TRIGGERS if (t, name) not in triggers]
    assert missing == []
    assert (data_versions.PENDING, data_versions.TRIGGER) in triggers


@pytest.mark.django_db(transaction=True)
def test_a_committed_write_gives_a_new_version_and_a_rolled_back_one_does_not():
    before = freshness.data_version()
    with transaction.atomic():
        Deliverable.objects.filter(pk=Deliverable.objects.order_by("pk")[0].pk).update(title="Renamed")
        assert freshness.data_version() == before  # the trigger runs at commit
    committed = freshness.data_version()
    assert committed != before
    with pytest.raises(RuntimeError), transaction.atomic():
        Risk.objects.update(category="Rolled back")
        raise RuntimeError
    assert freshness.data_version() == committed
    with connection.cursor() as cursor:  # any path that writes: here, SQL of its own
        cursor.execute(
            "UPDATE risks_risk SET category = 'By hand' WHERE id = (SELECT min(id) FROM risks_risk)"
        )
    assert freshness.data_version() not in (before, committed)


@pytest.mark.django_db(transaction=True)
def test_a_dashboard_read_from_the_cache_shows_a_change_committed_by_another_connection(
    client, django_user_model
):
    from django.db import connections

    admin = django_user_model.objects.create_superuser("fresh.admin", "a@example.org", "x")
    client.force_login(admin)
    url = reverse("dashboards:organisation", args=["nhs-dorset-ccg"])
    dorset = Deliverable.objects.filter(theme__plan__organisation__slug="nhs-dorset-ccg")
    delivered = client.get(url).context["figures"]["delivered"].count
    assert client.get(url).context["figures"]["delivered"].count == delivered  # from the cache
    target = dorset.exclude(status__in=Deliverable.DELIVERED_STATUSES).order_by("pk")[0]
    # Another connection (another app server, psql) commits the change.
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("UPDATE plans_deliverable SET status = 'delivered' WHERE id = %s", [target.pk])
    finally:
        other.close()
    assert client.get(url).context["figures"]["delivered"].count == delivered + 1


@pytest.mark.django_db
def test_inside_a_transaction_nothing_is_read_from_or_stored_in_the_cache():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert freshness.cached("probe", (1,), compute) == 1
    assert freshness.cached("probe", (1,), compute) == 1  # the cache's
    with transaction.atomic():
        assert freshness.cached("probe", (1,), compute) == 2  # computed afresh, not stored
    assert freshness.cached("probe", (1,), compute) == 1
    cache.clear()


def test_every_app_of_ccgtrack_is_watched_or_says_why_not():
    """A new app's rows are on cached pages (the dashboard, the board report) unless it says
    otherwise: its writes must give new data versions, or its rows would be read stale."""
    from django.apps import apps as django_apps

    from apps.core.history.data_versions import APP_LABELS, UNWATCHED_APPS

    ours = {config.label for config in django_apps.get_app_configs() if config.name.startswith("apps.")}
    assert ours - set(APP_LABELS) - set(UNWATCHED_APPS) == set()
    assert not set(APP_LABELS) & set(UNWATCHED_APPS)
