"""/my/reminders/: how often, and what the next reminders would list."""

import re
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils.html import escape

from apps.reminders.models import ReminderPreference

pytestmark = pytest.mark.django_db

URL = reverse("reminders:preferences")


def checked(html):
    """The value of the checked frequency radio button."""
    radios = re.findall(r'<input[^>]*name="frequency"[^>]*>', html)
    return [re.search(r'value="(\w+)"', tag)[1] for tag in radios if " checked" in tag]


def test_the_page_shows_the_choice_and_what_the_next_digest_would_list(client, world):
    client.force_login(world.owner)
    response = client.get(URL)
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert 'value="weekly" checked' in html.replace("  ", " ") or 'value="weekly"' in html
    digest = html.split('id="next-digest"')[1].split("</section>")[0]
    for listed in (world.overdue, world.due_soon, world.stale, world.risk):
        assert escape(str(listed)) in digest
    assert f'href="{world.overdue.get_absolute_url()}#update-form"' in digest
    assert escape(str(world.fine)) not in digest
    assert 'id="next-escalation"' not in html  # not a staff lead


def test_a_staff_lead_sees_their_escalation_list(client, world):
    client.force_login(world.lead)
    html = client.get(URL).content.decode()
    escalation = html.split('id="next-escalation"')[1].split("</section>")[0]
    assert escape(str(world.long_overdue)) in escalation and "owner: nobody" in escalation
    assert escape(str(world.overdue)) not in escalation


def test_choosing_daily_or_never_is_saved(client, world):
    client.force_login(world.owner)
    assert client.post(URL, {"frequency": "daily"}).status_code == HTTPStatus.FOUND
    assert ReminderPreference.objects.get(user=world.owner).frequency == "daily"
    assert checked(client.get(URL).content.decode()) == ["daily"]
    client.post(URL, {"frequency": "none"})
    assert ReminderPreference.objects.get(user=world.owner).frequency == "none"


def test_a_bad_choice_is_refused_and_changes_nothing(client, world):
    client.force_login(world.owner)
    response = client.post(URL, {"frequency": "hourly"})
    assert response.status_code == HTTPStatus.BAD_REQUEST and "Nothing was saved" in response.content.decode()
    assert not ReminderPreference.objects.filter(user=world.owner).exists()


def test_the_page_needs_a_login(client):
    response = client.get(URL)
    assert response.status_code == HTTPStatus.FOUND and "/accounts/login/" in response["Location"]


def test_the_page_uses_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    from tests.reminders.conftest import days

    theme = world.overdue.theme
    for n in range(30):
        world.overdue.__class__.objects.create(
            theme=theme, position=100 + n, title=f"Bulk {n}", deadline=days(-40), owner=world.lead
        )
    client.force_login(world.lead)
    # 14: the organisations the viewer may read are two queries of their own (the roots, then
    # their trees, read once per request as a list, so the big tables are filtered by
    # organisation; issue 20), was 12.
    with django_assert_max_num_queries(14):
        response = client.get(URL)
    assert response.content.decode().count("Bulk ") == 60  # in the digest and in the escalation list


def test_archived_work_leaves_the_escalation_list_and_the_emails(client, world):
    """An archived deliverable or risk leaves every list: the escalation list of /my/reminders/
    and the emails built from it included (issue 25, item 7)."""
    from django.utils import timezone

    from apps.reminders import selectors

    for record in (world.long_overdue, world.old_risk):
        type(record).objects.filter(pk=record.pk).update(archived_at=timezone.now())
    client.force_login(world.lead)
    html = client.get(URL).content.decode()
    assert escape(str(world.long_overdue)) not in html
    assert escape(str(world.old_risk)) not in html
    assert world.long_overdue not in selectors.escalation_deliverables(world.lead)
    assert world.old_risk not in selectors.escalation_risks(world.lead)
