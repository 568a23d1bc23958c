"""Sending reminders: which emails are due, building them, and delivering each one once.

``due_reminders`` lists the emails the job should send now (the command enqueues one task per
email); ``deliver`` sends one of them: it claims the period's ReminderDelivery row (committed
before the mail server is spoken to), builds the email from the data as it stands, sends it,
and only then marks the row sent. A refused or failed send marks the row failed and tells the
caller to retry, at most MAX_ATTEMPTS times in all for that email; see ReminderDelivery for
what happens when a worker stops between sending and recording."""

import datetime
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from . import selectors
from .models import Frequency, ReminderDelivery, ReminderPreference

DEFAULT_SITE_URL = "http://127.0.0.1:8000"
MAX_ATTEMPTS = 5
# Longer than any send can take (EMAIL_TIMEOUT is 10 s a connection): a claim older than this
# belongs to a worker that stopped.
CLAIM_TIMEOUT = datetime.timedelta(minutes=10)
# Minutes to wait before attempt 2, 3, 4, 5 (where the task backend can defer a task).
RETRY_DELAYS = (1, 5, 15, 60)

Kind = ReminderDelivery.Kind
State = ReminderDelivery.State


def site_url():
    return getattr(settings, "SITE_URL", DEFAULT_SITE_URL).rstrip("/")


def absolute(path):
    return site_url() + path


def period_for(frequency, today):
    """The period a reminder belongs to: the ISO week for weekly, the day for daily."""
    if frequency == Frequency.DAILY:
        return today.isoformat()
    year, week, _ = today.isocalendar()
    return f"{year}-W{week:02d}"


@transaction.atomic
def preference_set(*, user, frequency):
    """Record how often ``user`` wants reminders (weekly, daily or never)."""
    if frequency not in Frequency.values:
        raise ValidationError({"frequency": "Choose weekly, daily or never."})
    preference, _ = ReminderPreference.objects.select_for_update().get_or_create(user=user)
    preference.frequency = frequency
    preference.full_clean()
    preference.save()
    return preference


# --- what is due ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    user_id: int
    username: str
    kind: str
    period: str


def due_reminders(*, today=None, now=None):
    """The emails the job should send now: one digest per owner with something to chase and one
    escalation list per staff lead, in each person's current period, leaving out what was sent
    already this period, what ran out of attempts, and what another worker is sending now.
    Emptiness is checked again when each email is built. Three queries."""
    today = today or timezone.localdate()
    now = now or timezone.now()
    frequency = Coalesce("reminder_preference__frequency", Value(ReminderPreference.DEFAULT))
    wanted = []
    for kind, candidates in (
        (Kind.DIGEST, selectors.digest_candidates(today=today, now=now)),
        (Kind.ESCALATION, selectors.escalation_candidates()),
    ):
        for user_id, username, chosen in candidates.annotate(chosen=frequency).values_list(
            "pk", "username", "chosen"
        ):
            wanted.append(Due(user_id, username, kind, period_for(chosen, today)))
    settled = {
        (d.user_id, d.kind, d.period): d
        for d in ReminderDelivery.objects.filter(
            user_id__in={w.user_id for w in wanted}, period__in={w.period for w in wanted}
        )
    }
    return [w for w in wanted if not _settled(settled.get((w.user_id, w.kind, w.period)), now)]


def _settled(delivery, now):
    if delivery is None:
        return False
    if delivery.state == State.SENT or delivery.attempts >= MAX_ATTEMPTS:
        return True
    return _being_sent(delivery, now)


def _being_sent(delivery, now):
    """Claimed by a worker that may still be talking to the mail server."""
    if delivery.state != State.SENDING or delivery.claimed_at is None:
        return False
    return delivery.claimed_at > now - CLAIM_TIMEOUT


# --- the emails ----------------------------------------------------------------------------------


@dataclass
class Reminder:
    """An email ready to send, and how many items it lists."""

    message: EmailMultiAlternatives
    item_count: int
    lines: list = field(default_factory=list)  # (section, item) for dry runs


def _deliverable_link(deliverable):
    return absolute(reverse("plans:deliverable_detail", args=[deliverable.pk]) + "#update-form")


def _risk_link(risk):
    return absolute(reverse("risks:risk_detail", args=[risk.pk]) + "#review-form")


def _message_id(user, kind, period):
    # The same for every attempt at the same email, so copies after a crash are recognisable.
    host = urlsplit(site_url()).hostname or "ccgtrack"
    return f"<ccgtrack.{kind}.{period}.{user.pk}@{host}>"


def digest_sections(user, *, today=None, now=None):
    """An owner's digest: [(section label, deliverables)] in order, and the risks, with links."""
    sections: dict[str, list[Any]] = {label: [] for label in selectors.REASONS.values()}
    for deliverable in selectors.digest_deliverables(user, today=today, now=now):
        deliverable.link = _deliverable_link(deliverable)
        sections[selectors.REASONS[deliverable.reason]].append(deliverable)
    risks = list(selectors.digest_risks(user, today=today))
    for risk in risks:
        risk.link = _risk_link(risk)
    return [(label, items) for label, items in sections.items() if items], risks


def digest_evidence(user, *, today=None):
    """The evidence of an owner's digest (past or near its review date), with links."""
    items = list(selectors.digest_evidence(user, today=today))
    for item in items:
        item.link = absolute(reverse("evidence:item_detail", args=[item.pk]))
    return items


def escalation_sections(user, *, today=None):
    """A staff lead's list: deliverables and risks overdue by more than ESCALATION_DAYS, with links."""
    today = today or timezone.localdate()
    deliverables = list(selectors.escalation_deliverables(user, today=today))
    for deliverable in deliverables:
        deliverable.link = _deliverable_link(deliverable)
        deliverable.days_overdue = (today - deliverable.deadline).days
    risks = list(selectors.escalation_risks(user, today=today))
    for risk in risks:
        risk.link = _risk_link(risk)
        risk.days_overdue = (today - risk.next_review_on).days
    return deliverables, risks


def build_reminder(user, kind, period, *, today=None, now=None):
    """The email of ``kind`` for ``user`` as the data stands, or None when it would be empty."""
    today = today or timezone.localdate()
    frequency = selectors.frequency_of(user)
    context = {
        "user": user,
        "period": period,
        "frequency": Frequency(frequency).label.split(" (")[0].lower(),
        "preferences_link": absolute(reverse("reminders:preferences")),
        "site_link": site_url() + "/",
        "escalation_days": selectors.ESCALATION_DAYS,
    }
    if kind == Kind.DIGEST:
        sections, risks = digest_sections(user, today=today, now=now)
        evidence = digest_evidence(user, today=today)
        count = sum(len(items) for _, items in sections) + len(risks) + len(evidence)
        lines = (
            [(label, item) for label, items in sections for item in items]
            + [("Risk review overdue", risk) for risk in risks]
            + [("Evidence to review", item) for item in evidence]
        )
        context.update(sections=sections, risks=risks, evidence=evidence, count=count)
        subject = f"ccgtrack: {count} item{'s' if count != 1 else ''} of yours to update"
    else:
        deliverables, risks = escalation_sections(user, today=today)
        count = len(deliverables) + len(risks)
        lines = [("Overdue", item) for item in deliverables] + [("Risk review overdue", r) for r in risks]
        context.update(deliverables=deliverables, risks=risks, count=count)
        subject = (
            f"ccgtrack: {count} item{'s' if count != 1 else ''} overdue by more than "
            f"{selectors.ESCALATION_DAYS} days"
        )
    if not count:
        return None
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"reminders/{kind}_email.txt", context),
        to=[user.email],
        headers={
            "Message-ID": _message_id(user, kind, period),
            "Auto-Submitted": "auto-generated",
            "List-Unsubscribe": f"<{context['preferences_link']}>",
        },
    )
    message.attach_alternative(render_to_string(f"reminders/{kind}_email.html", context), "text/html")
    return Reminder(message=message, item_count=count, lines=lines)


# --- one delivery --------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What ``deliver`` did: the state reached, the attempts made so far, whether the caller
    should try again, and the error of a failed send."""

    state: str
    attempts: int = 0
    retry: bool = False
    error: BaseException | None = None

    @property
    def retry_delay(self):
        return datetime.timedelta(minutes=RETRY_DELAYS[min(self.attempts, len(RETRY_DELAYS)) - 1])


def _claim(user_id, kind, period, now, today):
    """Lock the period's row and mark it being sent (committed on return), or say why not."""
    with transaction.atomic():
        user = get_user_model().objects.filter(pk=user_id, is_active=True).exclude(email="").first()
        if user is None or selectors.frequency_of(user) == Frequency.NONE:
            return None, Outcome("not wanted")
        delivery, _ = ReminderDelivery.objects.select_for_update().get_or_create(
            user_id=user_id, kind=kind, period=period
        )
        if delivery.state == State.SENT:
            return None, Outcome("already sent", delivery.attempts)
        if delivery.attempts >= MAX_ATTEMPTS:
            return None, Outcome("gave up", delivery.attempts)
        if _being_sent(delivery, now):
            return None, Outcome("being sent by another worker", delivery.attempts)
        reminder = build_reminder(user, kind, period, today=today, now=now)
        if reminder is None:
            delivery.delete()  # nothing to chase any more: no email, and no record of one
            return None, Outcome("nothing to send")
        if delivery.state == State.SENDING and delivery.attempts:
            delivery.last_error = (
                "An earlier attempt stopped between sending and recording the outcome; it may have "
                "been delivered. Sent again with the same Message-ID."
            )
        delivery.state = State.SENDING
        delivery.attempts += 1
        delivery.claimed_at = now
        delivery.item_count = reminder.item_count
        delivery.save()
        return (delivery, reminder), None


def deliver(*, user_id, kind, period, today=None, now=None):
    """Send one reminder at most once: see the module docstring. Returns an Outcome."""
    now = now or timezone.now()
    claimed, outcome = _claim(user_id, kind, period, now, today)
    if outcome:
        return outcome
    delivery, reminder = claimed
    try:
        reminder.message.send(fail_silently=False)
    except Exception as error:  # the mail server refused, timed out or was not there
        ReminderDelivery.objects.filter(pk=delivery.pk).update(
            state=State.FAILED, last_error=f"{error.__class__.__name__}: {error}"[:2000]
        )
        retry = isinstance(error, OSError) and delivery.attempts < MAX_ATTEMPTS
        return Outcome(State.FAILED, delivery.attempts, retry=retry, error=error)
    ReminderDelivery.objects.filter(pk=delivery.pk).update(state=State.SENT, sent_at=timezone.now())
    return Outcome(State.SENT, delivery.attempts)
