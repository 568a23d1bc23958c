"""Reminders: who wants them how often, and a record of every digest sent."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.models import TimeStampedModel


class Frequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly (the first run of the reminder job each week, on Mondays)"
    DAILY = "daily", "Daily"
    NONE = "none", "Never (send me no reminders)"


class ReminderPreference(TimeStampedModel):
    """How often a person wants their reminders; no row means the default, weekly."""

    DEFAULT = Frequency.WEEKLY

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_preference"
    )
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=DEFAULT)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(frequency__in=Frequency.values), name="reminder_frequency_valid"
            )
        ]

    def __str__(self):
        return f"{self.user}: {self.get_frequency_display()}"


class ReminderDelivery(models.Model):
    """One reminder email of one kind for one person in one period (an ISO week or a day).

    The unique constraint is what makes the job idempotent: a second run in the same period
    finds the row and sends nothing. The row is claimed (state "sending", committed) before the
    mail server is spoken to, so two workers never send the same email at once, and marked
    "sent" only after the server accepted it. A row left "sending" past the claim timeout
    means a worker stopped between the two; whether the server had accepted the email cannot
    be known, so it is sent again (at least once, never silently lost; it carries the same
    Message-ID, so mail systems can tell the copies apart) and the row says so."""

    class Kind(models.TextChoices):
        DIGEST = "digest", "Owner's digest"
        ESCALATION = "escalation", "Staff lead's escalation list"

    class State(models.TextChoices):
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_deliveries"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    period = models.CharField(max_length=20, help_text="The ISO week (2026-W49) or day (2026-12-01).")
    state = models.CharField(max_length=10, choices=State.choices, default=State.SENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    item_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "reminder deliveries"
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "period"], name="reminder_sent_once_per_period"),
            models.CheckConstraint(
                condition=~Q(state="sent") | Q(sent_at__isnull=False), name="reminder_sent_has_a_time"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.user} ({self.period}): {self.get_state_display()}"
