"""The reminder job (issue 11, part 4): who gets what, the links, idempotence, opting out, and a
failing mail server."""

import datetime
import email
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from apps.organisations import services as people
from apps.plans import services as plans
from apps.plans.models import Deliverable
from apps.reminders import selectors, services
from apps.reminders.models import Frequency, ReminderDelivery, ReminderPreference
from tests.reminders.conftest import SITE

pytestmark = pytest.mark.django_db

State = ReminderDelivery.State


def run(*args):
    call_command("send_reminders", *args, verbosity=0)


def sent_to(username):
    return [m for m in mail.outbox if m.to == [f"{username}@nhs.example"]]


def titles(message):
    return re.findall(r"^- (.+)$", message.body, flags=re.MULTILINE)


def link(obj, anchor):
    return f"{SITE}{obj.get_absolute_url()}#{anchor}"


def test_an_owner_gets_one_digest_of_what_is_overdue_due_soon_or_quiet_with_links(world, today):
    run()
    [digest] = sent_to("t.owner")
    assert digest.subject == "ccgtrack: 5 items of yours to update"
    # Overdue first (oldest deadline first), then due in 30 days, then no update for 60 days, then risks.
    assert titles(digest) == [
        "Overdue forty days, owned",
        "Overdue five days",
        "Due in ten days",
        "Quiet for two months",
        str(world.risk),
    ]
    body = digest.body
    assert body.index("OVERDUE") < body.index("DUE IN THE NEXT 30 DAYS") < body.index("NO UPDATE FOR 60 DAYS")
    for deliverable in (world.overdue, world.due_soon, world.stale, world.owned_long_overdue):
        assert link(deliverable, "update-form") in body
    assert link(world.risk, "review-form") in body
    html, mimetype = digest.alternatives[0]
    assert mimetype == "text/html" and f'href="{link(world.overdue, "update-form")}"' in html
    for unlisted in (world.fine, world.done, world.colleagues, world.closed_risk):
        assert str(unlisted) not in body
    assert f"{SITE}/my/reminders/" in body and digest.extra_headers["Auto-Submitted"] == "auto-generated"


def test_the_buckets_are_the_plans_own_definitions(world, today):
    listed = {d.pk: d.reason for d in selectors.digest_deliverables(world.owner)}
    overdue = set(Deliverable.objects.overdue().filter(owner=world.owner).values_list("pk", flat=True))
    assert {pk for pk, reason in listed.items() if reason == selectors.OVERDUE} == overdue
    assert listed[world.due_soon.pk] == selectors.DUE_SOON and listed[world.stale.pk] == selectors.STALE


def test_who_gets_what(world):
    run()
    assert {tuple(m.to) for m in mail.outbox} == {
        ("t.owner@nhs.example",),  # digest
        ("t.colleague@nhs.example",),  # digest: a risk review a month late
        ("t.lead@nhs.example",),  # escalation
    }
    [colleague] = sent_to("t.colleague")
    assert titles(colleague) == [str(world.old_risk)]
    [escalation] = sent_to("t.lead")
    assert escalation.subject == "ccgtrack: 3 items overdue by more than 30 days"
    assert titles(escalation) == [str(world.long_overdue), str(world.owned_long_overdue), str(world.old_risk)]
    assert "owner: nobody" in escalation.body and "owner: Olive" in escalation.body
    assert str(world.overdue) not in escalation.body  # five days late is the owner's business
    assert link(world.long_overdue, "update-form") in escalation.body
    assert not sent_to("t.board")  # owns nothing, leads nothing: no empty digest


def test_a_second_run_in_the_same_period_sends_nothing_more(world):
    run()
    first = len(mail.outbox)
    assert first == 3
    run()
    run()
    assert len(mail.outbox) == first
    assert set(ReminderDelivery.objects.values_list("state", flat=True)) == {State.SENT}
    assert ReminderDelivery.objects.count() == 3
    assert services.due_reminders() == []


def test_daily_reminders_come_once_a_day_and_weekly_once_a_week(world, today):
    services.preference_set(user=world.owner, frequency=Frequency.DAILY)
    run()
    periods = dict(ReminderDelivery.objects.values_list("user__username", "period"))
    year, week, _ = today.isocalendar()
    assert periods["t.owner"] == today.isoformat()
    assert periods["t.lead"] == f"{year}-W{week:02d}"  # weekly by default
    tomorrow = today + datetime.timedelta(days=1)
    assert services.period_for(Frequency.DAILY, tomorrow) != periods["t.owner"]
    monday = today - datetime.timedelta(days=today.weekday())
    assert services.period_for(Frequency.WEEKLY, monday) == services.period_for(
        Frequency.WEEKLY, monday + datetime.timedelta(days=6)
    )
    assert services.period_for(Frequency.WEEKLY, monday + datetime.timedelta(days=7)) != periods["t.lead"]


def test_opting_out_is_honoured_for_digests_and_escalations(world):
    services.preference_set(user=world.owner, frequency=Frequency.NONE)
    services.preference_set(user=world.lead, frequency=Frequency.NONE)
    run()
    assert not sent_to("t.owner") and not sent_to("t.lead")
    assert sent_to("t.colleague")
    # A task enqueued before the person opted out sends nothing either.
    outcome = services.deliver(user_id=world.owner.pk, kind="digest", period="2026-W01")
    assert outcome.state == "not wanted" and not ReminderDelivery.objects.filter(user=world.owner).exists()


def test_nobody_without_an_address_an_active_account_or_access_is_chased(world, dorset):
    world.owner.email = ""
    world.owner.save()
    world.colleague.is_active = False
    world.colleague.save()
    # The lead loses the membership that made them lead: no list any more.
    people_admin = world.member("t.other.lead", "org_admin")
    people.membership_remove(
        acting_user=people_admin, scope=world.org, membership_id=world.lead.memberships.get().pk
    )
    run()
    assert {tuple(m.to) for m in mail.outbox} == {("t.other.lead@nhs.example",)}


def test_an_owner_who_no_longer_sees_the_work_gets_no_digest_and_no_record(world):
    world.colleague.memberships.all().delete()
    assert world.colleague in services.selectors.digest_candidates()  # still the risk's owner
    run()
    assert not sent_to("t.colleague")
    assert not ReminderDelivery.objects.filter(user=world.colleague).exists()


def test_reminders_stop_once_the_work_is_updated(world, today):
    for deliverable in (world.overdue, world.due_soon, world.stale, world.owned_long_overdue):
        deliverable.refresh_from_db()  # the fixture ages some rows with .update(), which raises the version
        plans.deliverable_update(
            deliverable_id=deliverable.pk,
            acting_user=world.owner,
            expected_version=deliverable.version,
            changes={"status": "delivered"},
            note="Done.",
        )
    world.risk.next_review_on = today + datetime.timedelta(days=30)
    world.risk.save()
    assert services.build_reminder(world.owner, "digest", "2026-W01") is None
    run()
    assert not sent_to("t.owner")


def test_a_dry_run_lists_who_would_get_what_and_sends_and_records_nothing(world, capsys):
    call_command("send_reminders", "--dry-run", verbosity=2)
    out = capsys.readouterr().out
    assert "would send digest" in out and "to t.owner <t.owner@nhs.example>: 5 item(s)" in out
    assert "would send escalation" in out and "t.lead" in out
    assert "Overdue: Overdue five days" in out
    assert "3 email(s) would be sent" in out
    assert not mail.outbox and not ReminderDelivery.objects.exists()


# --- a failing mail server --------------------------------------------------------------------------


def test_a_refusing_mail_server_is_retried_and_the_email_arrives_once(world, smtp_server):
    smtp_server.refuse = 2  # '451 try again later', twice
    services.preference_set(user=world.colleague, frequency=Frequency.NONE)
    services.preference_set(user=world.lead, frequency=Frequency.NONE)
    run()
    [received] = smtp_server.received
    assert received.rcpt_tos == ["t.owner@nhs.example"]
    message = email.message_from_bytes(received.content)
    assert message["Subject"] == "ccgtrack: 5 items of yours to update"
    delivery = ReminderDelivery.objects.get(user=world.owner)
    assert (delivery.state, delivery.attempts) == (State.SENT, 3)
    assert "SMTPDataError" in delivery.last_error  # what went wrong before it went right
    run()
    assert len(smtp_server.received) == 1


def test_a_mail_server_that_stays_down_is_tried_a_bounded_number_of_times(world, no_smtp_server):
    services.preference_set(user=world.colleague, frequency=Frequency.NONE)
    services.preference_set(user=world.lead, frequency=Frequency.NONE)
    run()
    delivery = ReminderDelivery.objects.get(user=world.owner)
    assert (delivery.state, delivery.attempts) == (State.FAILED, services.MAX_ATTEMPTS)
    assert "ConnectionRefusedError" in delivery.last_error
    run()  # the job again: no more attempts at that email this period
    delivery.refresh_from_db()
    assert delivery.attempts == services.MAX_ATTEMPTS
    assert services.due_reminders() == []


def test_a_worker_that_stopped_between_sending_and_recording_is_sent_again_once(world):
    period = services.period_for(Frequency.WEEKLY, timezone.localdate())
    stopped = timezone.now() - services.CLAIM_TIMEOUT - datetime.timedelta(minutes=1)
    ReminderDelivery.objects.create(
        user=world.owner, kind="digest", period=period, state=State.SENDING, attempts=1, claimed_at=stopped
    )
    # Another email is being sent by a live worker right now: left alone.
    ReminderDelivery.objects.create(
        user=world.lead,
        kind="escalation",
        period=period,
        state=State.SENDING,
        attempts=1,
        claimed_at=timezone.now(),
    )
    run()
    [digest] = sent_to("t.owner")
    assert not sent_to("t.lead")
    delivery = ReminderDelivery.objects.get(user=world.owner)
    assert (delivery.state, delivery.attempts) == (State.SENT, 2)
    assert "may have been delivered" in delivery.last_error
    assert (
        digest.extra_headers["Message-ID"] == f"<ccgtrack.digest.{period}.{world.owner.pk}@ccgtrack.example>"
    )


def test_preferences_are_stored_once_per_person(world):
    services.preference_set(user=world.owner, frequency=Frequency.DAILY)
    services.preference_set(user=world.owner, frequency=Frequency.WEEKLY)
    assert ReminderPreference.objects.get(user=world.owner).frequency == Frequency.WEEKLY
    with pytest.raises(services.ValidationError):
        services.preference_set(user=world.owner, frequency="hourly")
    assert ReminderPreference.objects.get(user=world.owner).frequency == Frequency.WEEKLY
