"""The risk register: 5x5 scoring, derived ratings and bands, residual risk and reviews."""

import textwrap
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import LessThanOrEqual
from django.urls import reverse
from django.utils import timezone

from apps.core.audience import ADMINISTRATORS
from apps.core.bounds import (
    NARRATIVE_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    BoundedDateField,
    BoundedTextField,
    date_range_check,
    length_checks,
)
from apps.core.history.as_at import as_at_record
from apps.core.history.tracking import append_only, audit_context_field, raise_version, track_changes
from apps.core.models import TimeStampedModel
from apps.core.search import DOCUMENT, search_document, search_index

# The 5x5 scale, once: every score is 1 (lowest) to 5.
SCORE_MIN, SCORE_MAX = 1, 5
SCORES = tuple(range(SCORE_MIN, SCORE_MAX + 1))
SCORE_CHOICES = [(n, str(n)) for n in SCORES]
SCORE_VALIDATORS = [MinValueValidator(SCORE_MIN), MaxValueValidator(SCORE_MAX)]
SCORE_FIELDS = ("severity", "likelihood", "residual_severity", "residual_likelihood")

# What each score means, once (the NHS 5x5 risk matrix's descriptors): the forms, the filters
# and the heat map say "4 Major", "4 Likely", never a bare number.
SEVERITY_DESCRIPTORS = {1: "Negligible", 2: "Minor", 3: "Moderate", 4: "Major", 5: "Catastrophic"}
LIKELIHOOD_DESCRIPTORS = {1: "Rare", 2: "Unlikely", 3: "Possible", 4: "Likely", 5: "Almost certain"}
SEVERITY_CHOICES = [(n, f"{n} {SEVERITY_DESCRIPTORS[n]}") for n in SCORES]
LIKELIHOOD_CHOICES = [(n, f"{n} {LIKELIHOOD_DESCRIPTORS[n]}") for n in SCORES]


def score_choices(field_name):
    """The choices of a score field ("severity", "residual_likelihood", ...), with descriptors."""
    return SEVERITY_CHOICES if field_name.endswith("severity") else LIKELIHOOD_CHOICES


def rating_of(severity, likelihood):
    """A rating: severity x likelihood (its SQL twin is RiskQuerySet.with_ratings)."""
    return severity * likelihood


class Band(models.TextChoices):
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"
    EXTREME = "extreme", "Extreme"


class BandScheme(models.Model):
    """The rating edges of the RAG bands. One row; an admin may move the edges, since trusts
    differ. Defaults are the NHS 5x5 convention: 1-3 low, 4-6 moderate, 8-12 high, 15-25
    extreme."""

    low_max = models.PositiveSmallIntegerField(default=3, help_text="Highest rating that is low (green).")
    moderate_max = models.PositiveSmallIntegerField(
        default=6, help_text="Highest rating that is moderate (yellow)."
    )
    high_max = models.PositiveSmallIntegerField(default=12, help_text="Highest rating that is high (amber).")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "risk band scheme"
        constraints = [
            models.CheckConstraint(
                condition=Q(low_max__gte=1)
                & Q(low_max__lt=F("moderate_max"))
                & Q(moderate_max__lt=F("high_max"))
                & Q(high_max__lt=25),
                name="band_edges_increase",
            ),
        ]

    def __str__(self):
        return (
            f"Low 1-{self.low_max}, moderate to {self.moderate_max}, high to {self.high_max}, extreme above"
        )

    def clean(self):
        if not (1 <= self.low_max < self.moderate_max < self.high_max < 25):
            raise ValidationError("Band edges must rise: 1 ≤ low < moderate < high < 25.")

    @classmethod
    def current(cls):
        """The scheme in force (the first row, created with the defaults if there is none)."""
        scheme = cls.objects.order_by("pk").first()
        return scheme or cls.objects.create()

    def band_for(self, rating):
        if rating is None:
            return None
        if rating <= self.low_max:
            return Band.LOW
        if rating <= self.moderate_max:
            return Band.MODERATE
        if rating <= self.high_max:
            return Band.HIGH
        return Band.EXTREME

    def band_expression(self, rating_field):
        """A SQL CASE giving the band of ``rating_field``, so lists can filter and sort on it."""
        return models.Case(
            models.When(**{f"{rating_field}__lte": self.low_max}, then=models.Value(Band.LOW)),
            models.When(**{f"{rating_field}__lte": self.moderate_max}, then=models.Value(Band.MODERATE)),
            models.When(**{f"{rating_field}__lte": self.high_max}, then=models.Value(Band.HIGH)),
            default=models.Value(Band.EXTREME),
            output_field=models.CharField(),
        )

    def ratings(self):
        """Every pair of scores with its rating and band, {"4x3": {"rating": 12, "band": "high",
        "label": "High"}}: what a form shows as the scores change (static/js/app.js looks the
        pair up; the rule stays here)."""
        table = {}
        for severity in SCORES:
            for likelihood in SCORES:
                rating = rating_of(severity, likelihood)
                band = self.band_for(rating)
                table[f"{severity}x{likelihood}"] = {
                    "rating": rating,
                    "band": band,
                    "label": Band(band).label,
                }
        return table

    def rating_range(self, band):
        """(lowest, highest) ratings in a band, for filtering on the stored scores."""
        return {
            Band.LOW: (1, self.low_max),
            Band.MODERATE: (self.low_max + 1, self.moderate_max),
            Band.HIGH: (self.moderate_max + 1, self.high_max),
            Band.EXTREME: (self.high_max + 1, 25),
        }[band]


class RiskQuerySet(models.QuerySet):
    def current(self):
        """Risks that are not archived: what the register, heat map, dashboards, reports and
        exports count and show (archived ones keep their history and stay in the admin)."""
        return self.filter(archived_at__isnull=True)

    def visible_to(self, user):
        """The current risks of the organisations ``user`` may read."""
        from apps.organisations import permissions

        return self.current().filter(permissions.visible_q(user, "organisation"))

    def with_review_overdue(self, today=None):
        """Annotate ``is_review_overdue`` (the one definition, ``review_overdue_q``)."""
        return self.annotate(
            is_review_overdue=models.ExpressionWrapper(
                review_overdue_q(today), output_field=models.BooleanField()
            )
        )

    def with_outside_appetite(self):
        """Annotate ``outside_appetite``: a principal risk of the Board Assurance Framework above
        its tolerance (the framework's one definition; imported here, as the framework builds on
        the register)."""
        from apps.assurance.models import risk_outside_appetite

        return self.annotate(outside_appetite=risk_outside_appetite())

    def with_ratings(self, scheme=None):
        """Annotate rating, residual_rating and their bands (computed, never stored)."""
        scheme = scheme or BandScheme.current()
        return self.annotate(
            rating=F("severity") * F("likelihood"),
            residual_rating=F("residual_severity") * F("residual_likelihood"),
        ).annotate(
            band=scheme.band_expression("rating"), residual_band=scheme.band_expression("residual_rating")
        )


def review_overdue_q(today=None):
    """An open risk whose next review date has passed: the one definition of review overdue."""
    return Q(next_review_on__lt=today or timezone.localdate(), status=Risk.Status.OPEN)


# What the risk register's search reads (apps/core/search.py): one index, one filter.
RISK_SEARCH_FIELDS = ("reference", "description", "mitigation", "category")


@track_changes(exclude=[DOCUMENT])
class Risk(TimeStampedModel):
    """A risk on an organisation's register, scored severity x likelihood before and after
    mitigation."""

    # Who may read which field (apps/core/audience.py): the pages and the exports ask this.
    FIELD_AUDIENCE = {"source_note": ADMINISTRATORS}

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="risks"
    )
    plan = models.ForeignKey(
        "plans.ODPlan", null=True, blank=True, on_delete=models.SET_NULL, related_name="risks"
    )
    domains = models.ManyToManyField("plans.AuthorisationDomain", blank=True, related_name="risks")
    reference = models.CharField(max_length=20, blank=True, help_text="Number or code in the register.")
    category = models.CharField(
        max_length=120, blank=True, help_text="Category or domain, e.g. Organisational Readiness."
    )
    description = BoundedTextField(max_length=TEXT_MAX_LENGTH)
    severity = models.PositiveSmallIntegerField("severity (consequence)", validators=SCORE_VALIDATORS)
    likelihood = models.PositiveSmallIntegerField(validators=SCORE_VALIDATORS)
    mitigation = BoundedTextField("mitigation and controls", max_length=NARRATIVE_MAX_LENGTH, blank=True)
    residual_severity = models.PositiveSmallIntegerField(validators=SCORE_VALIDATORS)
    residual_likelihood = models.PositiveSmallIntegerField(validators=SCORE_VALIDATORS)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_risks"
    )
    owner_text = models.CharField(
        max_length=200, blank=True, help_text="The owner as the source names them, where no user owns it."
    )
    next_review_on = BoundedDateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    source_note = BoundedTextField(
        max_length=TEXT_MAX_LENGTH,
        blank=True,
        help_text="What the source document printed, where it differs from what is stored.",
    )
    archived_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=(
            "Set to archive the risk: it leaves the register, heat map, dashboards and reports, and "
            "keeps its reviews. A risk with reviews is archived, never deleted."
        ),
    )
    version = models.PositiveIntegerField(
        default=1, help_text="Raised by PostgreSQL on every update; guards concurrent edits."
    )

    search_document = search_document(RISK_SEARCH_FIELDS)

    objects = RiskQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name", "reference", "pk"]
        indexes = [search_index(name="risk_search_document")]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    *(Q(**{f"{name}__gte": SCORE_MIN, f"{name}__lte": SCORE_MAX}) for name in SCORE_FIELDS)
                ),
                name="risk_scores_1_to_5",
                violation_error_message=f"Scores run from {SCORE_MIN} to {SCORE_MAX}.",
            ),
            # The one statement of the rule: PostgreSQL holds it, and full_clean() checks it
            # before a save, so forms and the admin show its message.
            models.CheckConstraint(
                condition=LessThanOrEqual(
                    F("residual_severity") * F("residual_likelihood"), F("severity") * F("likelihood")
                ),
                name="risk_residual_not_above_inherent",
                violation_error_message=(
                    "The residual rating (residual severity x residual likelihood) cannot be above "
                    "the inherent rating (severity x likelihood): mitigation does not make a risk worse."
                ),
            ),
            *length_checks(
                "risk",
                description=TEXT_MAX_LENGTH,
                mitigation=NARRATIVE_MAX_LENGTH,
                source_note=TEXT_MAX_LENGTH,
            ),
            date_range_check("risk", "next_review_on"),
        ]
        triggers = [raise_version()]

    def __str__(self):
        # Cut at a word, never inside one (a list of choices, the admin): pages show it whole.
        return textwrap.shorten(self.description, width=90, placeholder=" …")

    def get_absolute_url(self):
        return reverse("risks:risk_detail", args=[self.pk])

    @property
    def inherent_rating(self):
        return rating_of(self.severity, self.likelihood)

    @property
    def residual(self):
        return self.residual_severity * self.residual_likelihood


class RiskReview(models.Model):
    """A review of a risk: who, when, the scores before and after, and a note. History:
    PostgreSQL refuses to change or delete it, and the risk and the reviewer it names cannot be
    deleted while it exists (they are archived or deactivated instead)."""

    risk = models.ForeignKey(Risk, on_delete=models.PROTECT, related_name="reviews")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="risk_reviews"
    )
    severity_before = models.PositiveSmallIntegerField()
    likelihood_before = models.PositiveSmallIntegerField()
    residual_severity_before = models.PositiveSmallIntegerField()
    residual_likelihood_before = models.PositiveSmallIntegerField()
    severity_after = models.PositiveSmallIntegerField()
    likelihood_after = models.PositiveSmallIntegerField()
    residual_severity_after = models.PositiveSmallIntegerField()
    residual_likelihood_after = models.PositiveSmallIntegerField()
    note = BoundedTextField(max_length=NOTE_MAX_LENGTH)
    audit_context = audit_context_field()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = length_checks("risk_review", note=NOTE_MAX_LENGTH)
        triggers = [append_only()]

    def __str__(self):
        return f"Review of risk {self.risk_id} on {self.created_at:%d/%m/%Y}"

    @property
    def rating_before(self):
        return self.severity_before * self.likelihood_before

    @property
    def rating_after(self):
        return self.severity_after * self.likelihood_after

    @property
    def residual_rating_before(self):
        return self.residual_severity_before * self.residual_likelihood_before

    @property
    def residual_rating_after(self):
        return self.residual_severity_after * self.residual_likelihood_after


# --- As at a date: the audit trail's rows, read as the risks they were ---------------------------
# A proxy of the risks' pghistory event table with the risks' queryset (see DeliverableAsAt).

# pghistory makes the event model with the tracked one, so it has no static type.
RiskEvent: Any = Risk.pgh_event_model  # type: ignore[attr-defined]


class RiskAsAtQuerySet(RiskQuerySet):
    pass


@as_at_record(organisation="organisation")
class RiskAsAt(RiskEvent):
    """A risk as it stood at a moment (its latest audit event up to then)."""

    Status = Risk.Status

    objects = RiskAsAtQuerySet.as_manager()

    class Meta:
        proxy = True
        ordering = Risk._meta.ordering

    __str__ = Risk.__str__

    def get_absolute_url(self):
        return reverse("risks:risk_detail", args=[self.id])
