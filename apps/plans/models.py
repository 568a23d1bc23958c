"""OD plans: themes, objectives, deliverables and actions, self-assessment against the six
authorisation domains, and the history of every status change."""

import datetime
import textwrap
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from apps.core.audience import ADMINISTRATORS
from apps.core.bounds import (
    DOCUMENT_MAX_LENGTH,
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
from apps.core.models import NaturalKeyManager, TimeStampedModel
from apps.core.search import DOCUMENT, search_document, search_index

VERSION_HELP = "Raised by PostgreSQL on every update; guards concurrent edits."


class AuthorisationDomain(models.Model):
    """One of the six domains against which CCGs were authorised."""

    number = models.PositiveSmallIntegerField(
        unique=True, validators=[MinValueValidator(1), MaxValueValidator(6)]
    )
    name = models.CharField(max_length=120)
    description = BoundedTextField(max_length=DOCUMENT_MAX_LENGTH, blank=True)

    natural_key_field = "number"
    objects = NaturalKeyManager()

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(condition=Q(number__gte=1, number__lte=6), name="domain_number_1_to_6"),
            *length_checks("domain", description=DOCUMENT_MAX_LENGTH),
        ]

    def __str__(self):
        return f"{self.number}. {self.name}"

    def natural_key(self):
        return (self.number,)


class MaturityLevel(models.Model):
    """A band of self-assessment scores: level 1 (0-20%) 'Not a CCG priority, as yet' to
    level 5 (80-100%) 'Fully in place'. A score belongs to the level whose lower bound it
    reaches (lower inclusive, upper exclusive, 100 in the top level)."""

    level = models.PositiveSmallIntegerField(unique=True)
    lower_percent = models.PositiveSmallIntegerField()
    upper_percent = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=100)

    natural_key_field = "level"
    objects = NaturalKeyManager()

    class Meta:
        ordering = ["level"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lower_percent__lt=models.F("upper_percent"), upper_percent__lte=100),
                name="maturity_level_bounds",
            )
        ]

    def __str__(self):
        return f"{self.level}. ({self.lower_percent}-{self.upper_percent}%) {self.label}"

    def natural_key(self):
        return (self.level,)

    @staticmethod
    def for_score(score, levels):
        """The level (from an ordered list of levels) that a percentage score falls in."""
        for level in reversed(levels):
            if score >= level.lower_percent:
                return level
        return levels[0] if levels else None


class ODPlan(TimeStampedModel):
    """An organisation's organisational development plan or strategy."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="plans"
    )
    title = models.CharField(max_length=300)
    period_label = models.CharField(max_length=100, help_text="As the plan states it, e.g. 2012-2017.")
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    version = models.CharField(max_length=40, blank=True)
    author = models.CharField(max_length=200, blank=True)
    approved_on = models.DateField(null=True, blank=True)
    approval_note = models.CharField(max_length=300, blank=True)
    reported_on = models.DateField(
        null=True, blank=True, help_text="Date of the latest progress report the data reflects."
    )
    reporting_cadence = BoundedTextField(max_length=DOCUMENT_MAX_LENGTH, blank=True)
    vision = BoundedTextField(max_length=DOCUMENT_MAX_LENGTH, blank=True)
    strategic_aims = BoundedTextField(max_length=DOCUMENT_MAX_LENGTH, blank=True)
    values = BoundedTextField(max_length=DOCUMENT_MAX_LENGTH, blank=True)
    strategic_principles = BoundedTextField(max_length=DOCUMENT_MAX_LENGTH, blank=True)
    summary = BoundedTextField(max_length=DOCUMENT_MAX_LENGTH, blank=True)
    budget_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    budget_period = models.CharField(max_length=40, blank=True)
    budget_note = models.CharField(max_length=300, blank=True)
    source_document = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["organisation__name", "title"]
        verbose_name = "OD plan"
        constraints = [
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_start__lte=models.F("period_end")),
                name="plan_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(budget_amount__isnull=True) | Q(budget_amount__gte=0),
                name="plan_budget_not_negative",
            ),
            *length_checks(
                "plan",
                reporting_cadence=DOCUMENT_MAX_LENGTH,
                vision=DOCUMENT_MAX_LENGTH,
                strategic_aims=DOCUMENT_MAX_LENGTH,
                values=DOCUMENT_MAX_LENGTH,
                strategic_principles=DOCUMENT_MAX_LENGTH,
                summary=DOCUMENT_MAX_LENGTH,
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("plans:plan_detail", args=[self.pk])


@track_changes()
class Theme(models.Model):
    """A theme (Dorset) or priority area (Darlington) of a plan."""

    plan = models.ForeignKey(ODPlan, on_delete=models.CASCADE, related_name="themes")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)
    description = BoundedTextField(max_length=DOCUMENT_MAX_LENGTH, blank=True)
    version = models.PositiveIntegerField(default=1, help_text=VERSION_HELP)

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="theme_number_unique_in_plan"),
            *length_checks("theme", description=DOCUMENT_MAX_LENGTH),
        ]
        triggers = [raise_version()]

    def __str__(self):
        return f"{self.number}. {self.title}"

    def get_absolute_url(self):
        return reverse("plans:plan_detail", args=[self.plan_id]) + f"#theme-{self.number}"


@track_changes()
class Objective(models.Model):
    """A bulleted objective under a theme."""

    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="objectives")
    position = models.PositiveSmallIntegerField()
    text = BoundedTextField(max_length=TEXT_MAX_LENGTH)
    version = models.PositiveIntegerField(default=1, help_text=VERSION_HELP)

    class Meta:
        ordering = ["theme", "position"]
        constraints = [
            models.UniqueConstraint(fields=["theme", "position"], name="objective_position_unique_in_theme"),
            *length_checks("objective", text=TEXT_MAX_LENGTH),
        ]
        triggers = [raise_version()]

    def __str__(self):
        return self.text[:80]

    def get_absolute_url(self):
        return self.theme.get_absolute_url()


class DeliverableQuerySet(models.QuerySet):
    def current(self):
        """Deliverables that are not archived: what plans, lists, dashboards, reports and exports
        count and show (archived ones keep their history and stay in the admin)."""
        return self.filter(archived_at__isnull=True)

    def visible_to(self, user):
        """The current deliverables of the organisations ``user`` may read."""
        from apps.organisations import permissions

        return self.current().filter(permissions.visible_q(user, "theme__plan__organisation"))

    def overdue(self, today=None):
        return self.filter(overdue_q(today))

    def in_bucket(self, bucket):
        """Delivered / in progress / not started (``Deliverable.BUCKETS``)."""
        return self.filter(status__in=Deliverable.BUCKETS[bucket])

    def with_overdue(self, today=None):
        """Annotate ``is_overdue`` so tables show and sort it without a query per row."""
        return self.annotate(
            is_overdue=models.ExpressionWrapper(overdue_q(today), output_field=models.BooleanField())
        )


SOON_DAYS = 30
STALE_DAYS = 60


def overdue_q(today=None):
    """Deadline passed and not delivered: the one definition of overdue."""
    today = today or timezone.localdate()
    return Q(deadline__lt=today) & ~Q(status__in=Deliverable.DELIVERED_STATUSES)


def due_soon_q(today=None):
    """Not delivered and due today or in the next SOON_DAYS days: the one definition of due soon."""
    today = today or timezone.localdate()
    return Q(deadline__gte=today, deadline__lte=today + datetime.timedelta(days=SOON_DAYS)) & ~Q(
        status__in=Deliverable.DELIVERED_STATUSES
    )


def stale_q(now=None):
    """Not delivered, and nobody has updated it in the STALE_DAYS days up to ``now``: the one
    definition of stale ("no update for 60 days").

    An update is one a person made: a ``StatusUpdate`` with its author
    (``StatusUpdate.objects.by_people()``), which every write of a person leaves (the form, the
    in-place control, the admin, an import, adding a deliverable). Loading the seed leaves none
    and only sets the rows' ``updated_at``, so a seed record nobody has touched here (Darlington's
    actions of 2012-13) counts as not updated, however recently it was loaded. ``now`` may be a
    past moment (a list or dashboard as at a day): updates after it do not count. Works on the
    deliverables and on their audit-trail rows (both carry the deliverable's ``id``)."""
    now = now or timezone.now()
    recent = StatusUpdate.objects.by_people().filter(
        deliverable=models.OuterRef("id"),
        created_at__gt=now - datetime.timedelta(days=STALE_DAYS),
        created_at__lte=now,
    )
    # The status first: PostgreSQL tests a figure's conditions in the order written, so the
    # updates are looked up only for the deliverables not delivered (the NHS CB's figures: one
    # look-up for each of England's 25,535 deliverables, most of the query).
    return ~Q(status__in=Deliverable.DELIVERED_STATUSES) & Q(~models.Exists(recent))


def stale_changes_at(deliverables, now=None):
    """The moment ``stale_q``'s answer over ``deliverables`` next changes with nothing written
    (the first deliverable not delivered whose latest update by a person reaches STALE_DAYS), or
    None: a figure of stale deliverables holds until then, not for the day (one query)."""
    now = now or timezone.now()
    # A deliverable's latest update counts only if it lies in the last STALE_DAYS: if any update
    # does, the latest does (none is after ``now``). So the latest update within the window,
    # None for a stale one, read once a deliverable (Min leaves out the Nones).
    latest_in_window = (
        StatusUpdate.objects.by_people()
        .filter(
            deliverable=models.OuterRef("pk"),
            created_at__gt=now - datetime.timedelta(days=STALE_DAYS),
            created_at__lte=now,
        )
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    first = (
        deliverables.exclude(status__in=Deliverable.DELIVERED_STATUSES)
        .annotate(last_update=models.Subquery(latest_in_window))
        .aggregate(first=models.Min("last_update"))["first"]
    )
    return first + datetime.timedelta(days=STALE_DAYS) if first else None


class DeliverableStatus(models.TextChoices):
    """One vocabulary for every plan's statuses (sources' 'Complete'/'Completed' are Delivered)."""

    NOT_STARTED = "not_started", "Not started"
    PROPOSED = "proposed", "Proposed"
    UNDER_DEVELOPMENT = "under_development", "Under development"
    IN_PROGRESS = "in_progress", "In progress"
    DELIVERED_FURTHER_WORK = "delivered_further_work", "Delivered, with further work in progress"
    DELIVERED = "delivered", "Delivered"


# What the deliverables list's search reads (apps/core/search.py): one index, one filter.
DELIVERABLE_SEARCH_FIELDS = ("title", "delivered_narrative", "in_progress_narrative", "comments", "methods")


@track_changes(exclude=[DOCUMENT])
class Deliverable(TimeStampedModel):
    """A key deliverable (Dorset) or action (Darlington) of a plan's theme."""

    Status = DeliverableStatus
    # Who may read which field (apps/core/audience.py): the pages and the exports ask this.
    FIELD_AUDIENCE = {"source_status": ADMINISTRATORS}
    DELIVERED_STATUSES = (Status.DELIVERED, Status.DELIVERED_FURTHER_WORK)
    IN_PROGRESS_STATUSES = (Status.IN_PROGRESS, Status.UNDER_DEVELOPMENT)
    NOT_STARTED_STATUSES = (Status.NOT_STARTED, Status.PROPOSED)
    OPEN_STATUSES = IN_PROGRESS_STATUSES + NOT_STARTED_STATUSES
    # The three bars of a progress chart, and the "Progress" filter: one mapping for both.
    BUCKETS = {
        "delivered": DELIVERED_STATUSES,
        "in_progress": IN_PROGRESS_STATUSES,
        "not_started": NOT_STARTED_STATUSES,
    }
    BUCKET_LABELS = {"delivered": "Delivered", "in_progress": "In progress", "not_started": "Not started"}

    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="deliverables")
    position = models.PositiveSmallIntegerField()
    subheading = models.CharField(
        max_length=200, blank=True, help_text="Sub-heading grouping deliverables within a theme."
    )
    title = BoundedTextField(max_length=TEXT_MAX_LENGTH)
    methods = BoundedTextField(max_length=NARRATIVE_MAX_LENGTH, blank=True)
    source = BoundedTextField(
        max_length=TEXT_MAX_LENGTH, blank=True, help_text="Source or lead, as the plan states it."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_deliverables",
    )
    owner_text = models.CharField(
        max_length=200,
        blank=True,
        help_text="The owner as the source names them (an import keeps it where no member matches).",
    )
    cost_text = models.CharField(max_length=300, blank=True, help_text="The cost as the source states it.")
    cost_amount = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Pounds, where the text states an amount.",
    )
    deadline = BoundedDateField(null=True, blank=True)
    deadline_text = models.CharField(
        max_length=300, blank=True, help_text="The deadline as the source states it."
    )
    domains = models.ManyToManyField(AuthorisationDomain, blank=True, related_name="deliverables")
    status = models.CharField(
        max_length=30, choices=Status.choices, default=Status.NOT_STARTED, db_index=True
    )
    source_status = models.CharField(
        max_length=100, blank=True, help_text="The status as the source document wrote it."
    )
    delivered_narrative = BoundedTextField(max_length=NARRATIVE_MAX_LENGTH, blank=True)
    in_progress_narrative = BoundedTextField(max_length=NARRATIVE_MAX_LENGTH, blank=True)
    comments = BoundedTextField(max_length=NARRATIVE_MAX_LENGTH, blank=True)
    archived_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=(
            "Set to archive the deliverable: it leaves the plan, lists, dashboards and reports, and "
            "keeps its history. A deliverable with history is archived, never deleted."
        ),
    )
    version = models.PositiveIntegerField(
        default=1, help_text="Raised by PostgreSQL on every update; guards concurrent edits."
    )

    search_document = search_document(DELIVERABLE_SEARCH_FIELDS)

    objects = DeliverableQuerySet.as_manager()

    class Meta:
        ordering = ["theme__plan", "theme__number", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["theme", "position"], name="deliverable_position_unique_in_theme"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliverableStatus.values), name="deliverable_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(cost_amount__isnull=True) | Q(cost_amount__gte=0),
                name="deliverable_cost_not_negative",
            ),
            *length_checks(
                "deliverable",
                title=TEXT_MAX_LENGTH,
                methods=NARRATIVE_MAX_LENGTH,
                source=TEXT_MAX_LENGTH,
                delivered_narrative=NARRATIVE_MAX_LENGTH,
                in_progress_narrative=NARRATIVE_MAX_LENGTH,
                comments=NARRATIVE_MAX_LENGTH,
            ),
            date_range_check("deliverable", "deadline"),
        ]
        indexes = [
            models.Index(fields=["deadline"]),
            search_index(name="deliverable_search_document"),
            # The deliverables every list and figure counts (current()). A page's keys are
            # counted and sorted from this index alone (apps.core.freshness.page_rows): all of
            # England's in 2 ms rather than a pass over every wide row (74 ms). It also carries
            # what the dashboards' figures and roll-ups read of each (status, deadline, cost),
            # so they count from it and not from the wide rows (40 MB at national scale): a
            # region's roll-up, its figures 101 -> 52 ms, "not updated for 60 days" 49 -> 18,
            # statuses per organisation 36 -> 8, the cost 32 -> 7 (`make bench SCALE=national`).
            # ``archived_at`` is always null here; it is included because each figure's
            # condition names it.
            models.Index(
                fields=["theme", "position"],
                include=["id", "status", "deadline", "cost_amount", "archived_at"],
                condition=models.Q(archived_at__isnull=True),
                name="deliverable_current",
            ),
            # "Archived (n)": the few archived ones, found without reading the rest.
            models.Index(
                fields=["archived_at"],
                condition=models.Q(archived_at__isnull=False),
                name="deliverable_archived",
            ),
        ]
        triggers = [raise_version()]

    def __str__(self):
        # Cut at a word, never inside one (a list of choices, the admin): pages show it whole.
        return textwrap.shorten(self.title, width=90, placeholder=" …")

    def get_absolute_url(self):
        return reverse("plans:deliverable_detail", args=[self.pk])

    @property
    def organisation(self):
        return self.theme.plan.organisation

    @property
    def is_delivered(self):
        return self.status in self.DELIVERED_STATUSES

    @property
    def overdue(self):
        return bool(self.deadline and self.deadline < timezone.localdate() and not self.is_delivered)

    @classmethod
    def bucket(cls, status):
        """Delivered / in progress / not started: the three bars of a progress chart."""
        return next(name for name, statuses in cls.BUCKETS.items() if status in statuses)


class StatusUpdateQuerySet(models.QuerySet):
    def by_people(self):
        """Updates a person made (with their author): what "last updated by a person" and
        "no update for 60 days" (``stale_q``) count."""
        return self.filter(created_by__isnull=False)

    def current(self):
        """Updates of deliverables that are not archived."""
        return self.filter(deliverable__archived_at__isnull=True)

    def current_unjoined(self):
        """The same updates as ``current()``, as those of none of the archived deliverables (a
        few, found by their index), not joined to their deliverable: for England, where nothing
        else needs the deliverable (the NHS CB's deliveries per month: 112,941 updates, 115 ->
        86 ms). Where the rows are joined to their deliverables anyway (a region's scope),
        ``current()`` is the faster (a region's roll-up: 316 ms against 379)."""
        archived = Deliverable.objects.filter(archived_at__isnull=False).values("pk")
        return self.exclude(deliverable__in=archived)

    def status_changes(self):
        """Updates that changed the status (not a progress note alone)."""
        return self.exclude(from_status=models.F("to_status"))

    def deliveries(self):
        """Updates that moved a deliverable from not delivered to delivered."""
        return self.filter(to_status__in=Deliverable.DELIVERED_STATUSES).exclude(
            from_status__in=Deliverable.DELIVERED_STATUSES
        )

    def delivered_in_month(self, year, month):
        return self.deliveries().filter(created_at__year=year, created_at__month=month)


class StatusUpdate(models.Model):
    """A person's update of a deliverable: what changed, and the progress note they wrote.
    History: PostgreSQL refuses to change or delete it, and the deliverable and the author it
    names cannot be deleted while it exists (they are archived or deactivated instead)."""

    deliverable = models.ForeignKey(Deliverable, on_delete=models.PROTECT, related_name="updates")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="status_updates"
    )
    from_status = models.CharField(max_length=30, choices=DeliverableStatus.choices, blank=True)
    to_status = models.CharField(max_length=30, choices=DeliverableStatus.choices)
    note = BoundedTextField(max_length=NOTE_MAX_LENGTH, blank=True)
    audit_context = audit_context_field()

    objects = StatusUpdateQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["deliverable", "-created_at"]),
            # A deliverable's latest update by a person: "not updated for 60 days" (stale_q,
            # stale_changes_at) reads it for every deliverable in scope, from this index alone.
            models.Index(
                fields=["deliverable", "-created_at"],
                condition=models.Q(created_by__isnull=False),
                name="statusupdate_by_people",
            ),
            # The deliveries (deliveries()): "delivered per month" reads them, a fifth of the
            # updates, without reading the rest.
            models.Index(
                fields=["created_at", "deliverable"],
                condition=models.Q(to_status__in=[str(s) for s in Deliverable.DELIVERED_STATUSES])
                & ~models.Q(from_status__in=[str(s) for s in Deliverable.DELIVERED_STATUSES]),
                name="statusupdate_deliveries",
            ),
        ]
        constraints = length_checks("status_update", note=NOTE_MAX_LENGTH)
        triggers = [append_only()]

    def __str__(self):
        return f"{self.deliverable_id}: {self.from_status} -> {self.to_status}"

    @property
    def status_changed(self):
        return self.from_status != self.to_status


class SelfAssessmentQuerySet(models.QuerySet):
    def latest_first(self):
        """Newest first: by the day assessed (an assessment with no day, such as one known only
        by its year, after those with one), then the latest recorded."""
        return self.order_by(models.F("assessed_on").desc(nulls_last=True), "-pk")


@track_changes()
class SelfAssessment(models.Model):
    """An organisation's self-assessment against the six authorisation domains."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="self_assessments"
    )
    assessed_on = BoundedDateField("date assessed", null=True, blank=True)
    assessed_label = models.CharField(max_length=60, help_text="When, as the source states it (e.g. 2011).")
    tool = models.CharField(max_length=200, blank=True)
    notes = BoundedTextField(max_length=DOCUMENT_MAX_LENGTH, blank=True)
    version = models.PositiveIntegerField(default=1, help_text=VERSION_HELP)

    objects = SelfAssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["organisation", "-assessed_on"]
        constraints = [
            *length_checks("self_assessment", notes=DOCUMENT_MAX_LENGTH),
            date_range_check("self_assessment", "assessed_on"),
        ]
        triggers = [raise_version()]

    def __str__(self):
        return f"{self.organisation} self-assessment {self.assessed_label}"

    def get_absolute_url(self):
        return reverse("plans:self_assessment", args=[self.organisation.slug])


@track_changes()
class SelfAssessmentScore(models.Model):
    """An average score (per cent) against one authorisation domain."""

    assessment = models.ForeignKey(SelfAssessment, on_delete=models.CASCADE, related_name="scores")
    domain = models.ForeignKey(AuthorisationDomain, on_delete=models.PROTECT, related_name="scores")
    score_percent = models.DecimalField(
        max_digits=5, decimal_places=2, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    domain_label = models.CharField(
        max_length=120, blank=True, help_text="The domain's name as the source table wrote it."
    )

    class Meta:
        ordering = ["assessment", "domain__number"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "domain"], name="score_unique_per_domain"),
            models.CheckConstraint(
                condition=Q(score_percent__gte=0, score_percent__lte=100), name="score_is_a_percentage"
            ),
        ]

    def __str__(self):
        return f"{self.domain}: {self.score_percent}%"


# --- As at a date: the audit trail's rows, read as the deliverables they were ---------------------
# A proxy of the deliverables' pghistory event table, with the deliverables' queryset (and so the
# filters, tables and figures of the live pages). ``apps.core.history.as_at`` picks, for each
# deliverable, its latest event up to a moment; this class only makes those rows behave like
# deliverables for the list and the dashboard.

# pghistory makes the event model with the tracked one, so it has no static type.
DeliverableEvent: Any = Deliverable.pgh_event_model  # type: ignore[attr-defined]


class DeliverableAsAtQuerySet(DeliverableQuerySet):
    pass


@as_at_record(organisation="theme__plan__organisation")
class DeliverableAsAt(DeliverableEvent):
    """A deliverable as it stood at a moment (its latest audit event up to then)."""

    Status = Deliverable.Status
    DELIVERED_STATUSES = Deliverable.DELIVERED_STATUSES

    objects = DeliverableAsAtQuerySet.as_manager()

    class Meta:
        proxy = True
        ordering = Deliverable._meta.ordering

    __str__ = Deliverable.__str__
    is_delivered = Deliverable.is_delivered

    def get_absolute_url(self):
        return reverse("plans:deliverable_detail", args=[self.id])

    @property
    def deleted_since(self) -> bool:
        """Whether the deliverable no longer exists (its record, prefetched as ``pgh_obj``)."""
        try:
            return self.pgh_obj is None
        except Deliverable.DoesNotExist:
            return True

    @property
    def archived_since(self) -> bool:
        """Whether the deliverable, not archived then, is archived now (so its page is gone)."""
        return not self.deleted_since and self.pgh_obj.archived_at is not None
