"""A restore keeps faith with the cache (issue 25, item 3): restoring a dump over the database
of a running app, whose cache is warm, the app shows only the restored data, even a page that
was computed from data newer than the dump and cached under the versions the dump holds."""

import subprocess

import pytest
from django.core.cache import cache
from django.db import connection, connections
from django.urls import reverse

from apps.core import freshness
from apps.core.backup import _binary, _libpq
from apps.plans.models import Deliverable

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # A restore is the owner's work (manage.py restore connects as the owner): the app role may
    # neither drop nor create tables.
    pytest.mark.owner_role,
]


def _run(command):
    """pg_dump or pg_restore as manage.py backup runs them: the server's own programs (the
    embedded server's without DATABASE_URL) and its connection, socket folder included."""
    args, env = _libpq(connection.settings_dict)
    args = args[2:]  # without its "--dbname NAME": each command below names the database
    subprocess.run(
        [_binary(command[0]), *args, *command[1:]], check=True, capture_output=True, env=env, timeout=300
    )


def test_after_a_restore_every_page_shows_the_restored_data(client, admin_user, tmp_path, monkeypatch):
    open_work = Deliverable.objects.exclude(status__in=Deliverable.DELIVERED_STATUSES).select_related(
        "theme__plan__organisation"
    )
    by_organisation = {}
    for deliverable in open_work.order_by("pk"):
        by_organisation.setdefault(deliverable.theme.plan.organisation, []).append(deliverable)
    organisation, (first, second, *_rest) = next((o, d) for o, d in by_organisation.items() if len(d) > 1)
    url = reverse("dashboards:organisation", args=[organisation.slug])
    client.force_login(admin_user)

    def delivered():
        return client.get(url).context["figures"]["delivered"].count

    at_dump = delivered()  # cached
    dump = tmp_path / "ccgtrack.dump"
    name = connection.settings_dict["NAME"]
    versions_at_dump = freshness.versions((organisation.pk,))
    _run(["pg_dump", "-Fc", "-f", str(dump), name])

    # After the dump, someone marks a deliverable delivered; a page computed from the new data
    # is cached under the versions the dump holds (as when a request reads the versions just
    # before a write commits and its queries just after).
    Deliverable.objects.filter(pk=first.pk).update(status=Deliverable.Status.DELIVERED)
    cache.clear()  # (so that the page is computed again, not read)
    with monkeypatch.context() as patch:
        patch.setattr(freshness, "versions", lambda scopes: versions_at_dump)
        assert delivered() == at_dump + 1
    # And another, which the cache holds under the versions after it.
    Deliverable.objects.filter(pk=second.pk).update(status=Deliverable.Status.DELIVERED)
    assert delivered() == at_dump + 2

    for conn in connections.all():
        conn.close()
    _run(
        ["pg_restore", "--clean", "--if-exists", "--single-transaction", "--no-owner", "-d", name, str(dump)]
    )

    assert delivered() == at_dump  # neither change is shown: the data are the dump's
    assert Deliverable.objects.get(pk=first.pk).status == first.status
    # Writes after the restore are seen at once (their versions were never given before).
    Deliverable.objects.filter(pk=second.pk).update(status=Deliverable.Status.DELIVERED)
    assert delivered() == at_dump + 1
