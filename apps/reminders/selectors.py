"""What a reminder lists. Each rule is the plans' or the risks' own definition (overdue_q,
due_soon_q, stale_q, review_overdue_q), never a second copy: this module only decides whose
items go in which email."""

import datetime

from django.contrib.auth import get_user_model
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When
from django.utils import timezone

from apps.evidence.models import EvidenceItem, expired_q, expiring_q
from apps.organisations.models import Membership, Organisation
from apps.plans.models import Deliverable, due_soon_q, overdue_q, stale_q
from apps.risks.models import Risk, review_overdue_q

from .models import Frequency, ReminderPreference

# An owner's digest lists these, in this order; an item in several is listed under the first.
OVERDUE, DUE_SOON, STALE = 1, 2, 3
REASONS = {OVERDUE: "Overdue", DUE_SOON: "Due in the next 30 days", STALE: "No update for 60 days"}
# A staff lead's escalation list: deadlines (and risk reviews) passed more than this long ago.
ESCALATION_DAYS = 30


def _today(today):
    return today or timezone.localdate()


def _digest_q(today, now):
    return overdue_q(today) | due_soon_q(today) | stale_q(now)


def digest_deliverables(user, *, today=None, now=None):
    """Deliverables ``user`` owns, and may still see, that are overdue, due in the next 30 days
    or have had no update for 60 days; annotated ``reason`` (OVERDUE, DUE_SOON, STALE) and
    ordered by it, then by deadline."""
    today = _today(today)
    return (
        Deliverable.objects.visible_to(user)
        .filter(owner=user)
        .filter(_digest_q(today, now))
        .annotate(
            reason=Case(
                When(overdue_q(today), then=Value(OVERDUE)),
                When(due_soon_q(today), then=Value(DUE_SOON)),
                default=Value(STALE),
                output_field=IntegerField(),
            )
        )
        .select_related("theme__plan__organisation")
        .order_by("reason", "deadline", "pk")
    )


def digest_risks(user, *, today=None):
    """Open risks ``user`` owns, and may still see, whose review date has passed."""
    return (
        Risk.objects.visible_to(user)
        .filter(owner=user)
        .filter(review_overdue_q(_today(today)))
        .select_related("organisation")
        .order_by("next_review_on", "pk")
    )


def digest_evidence(user, *, today=None):
    """Current evidence ``user`` added, and may still see, past its review date or due for
    review within 30 days (the evidence app's own definitions), soonest first."""
    today = _today(today)
    return (
        EvidenceItem.objects.visible_to(user)
        .filter(added_by=user)
        .filter(expired_q(today) | expiring_q(today))
        .select_related("organisation")
        .order_by("review_on", "pk")
    )


def led_organisations(user):
    """The organisations whose staff lead ``user`` is: where they are an organisation
    administrator, and everything beneath. (Administrators are no one's staff lead: they
    would get every organisation's list.)"""
    return Organisation.objects.beneath(
        Membership.objects.filter(user=user, role__in=Membership.MANAGER_ROLES).values("organisation_id")
    )


def _escalation_cutoff(today):
    return _today(today) - datetime.timedelta(days=ESCALATION_DAYS)


def escalation_deliverables(user, *, today=None):
    """Current (not archived) deliverables of the organisations ``user`` leads overdue by more
    than ESCALATION_DAYS (owned or not: an item nobody owns is what a lead most needs to hear
    about)."""
    return (
        Deliverable.objects.current()
        .filter(theme__plan__organisation__in=led_organisations(user).values("pk"))
        .filter(overdue_q(_escalation_cutoff(today)))
        .select_related("theme__plan__organisation", "owner")
        .order_by("deadline", "pk")
    )


def escalation_risks(user, *, today=None):
    """Current open risks of the organisations ``user`` leads whose review is more than
    ESCALATION_DAYS late."""
    return (
        Risk.objects.current()
        .filter(organisation__in=led_organisations(user).values("pk"))
        .filter(review_overdue_q(_escalation_cutoff(today)))
        .select_related("organisation", "owner")
        .order_by("next_review_on", "pk")
    )


def frequency_of(user):
    """The user's chosen frequency (weekly when they never chose)."""
    return (
        ReminderPreference.objects.filter(user=user).values_list("frequency", flat=True).first()
        or ReminderPreference.DEFAULT
    )


def _wanting_reminders():
    """Active users with an email address who have not chosen 'never'."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(email="")
        .exclude(reminder_preference__frequency=Frequency.NONE)
    )


def digest_candidates(*, today=None, now=None):
    """Users who may have a digest: they own something in the digest (visibility is checked
    per person when the email is built). One query."""
    today = _today(today)
    owns_deliverable = (
        Deliverable.objects.current().filter(owner=OuterRef("pk")).filter(_digest_q(today, now))
    )
    owns_risk = Risk.objects.current().filter(owner=OuterRef("pk")).filter(review_overdue_q(today))
    owns_evidence = (
        EvidenceItem.objects.current()
        .filter(added_by=OuterRef("pk"))
        .filter(expired_q(today) | expiring_q(today))
    )
    return (
        _wanting_reminders()
        .filter(Q(Exists(owns_deliverable)) | Q(Exists(owns_risk)) | Q(Exists(owns_evidence)))
        .order_by("pk")
    )


def escalation_candidates():
    """Users who lead an organisation (one query); their list may still be empty."""
    leads = Membership.objects.filter(user=OuterRef("pk"), role__in=Membership.MANAGER_ROLES)
    return _wanting_reminders().filter(Exists(leads)).order_by("pk")
