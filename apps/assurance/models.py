"""The Board Assurance Framework (BAF): an organisation's strategic objectives, the principal
risks that threaten them (risks of its register with a target score), the key controls of each,
the assurances that those controls work, the gaps in control and in assurance with the plan's
deliverables that close them, the board's risk appetite per category and its committees.

"Outside appetite" is defined once, ``outside_appetite_q``: a principal risk whose current
(residual) rating is above its tolerance, its own where it has one, else its category's."""

import textwrap

import pgtrigger
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from apps.core.bounds import (
    NARRATIVE_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    BoundedDateField,
    BoundedTextField,
    date_range_check,
    length_checks,
)
from apps.core.history.tracking import raise_version, track_changes
from apps.core.models import TimeStampedModel, flag
from apps.plans.models import Deliverable, overdue_q
from apps.risks.models import SCORE_MAX, SCORE_MIN, SCORE_VALIDATORS, rating_of

VERSION_HELP = "Raised by PostgreSQL on every update; guards concurrent edits."
RATING_MAX = rating_of(SCORE_MAX, SCORE_MAX)
RATING_VALIDATORS = [MinValueValidator(rating_of(SCORE_MIN, SCORE_MIN)), MaxValueValidator(RATING_MAX)]


class Category(models.TextChoices):
    """The categories a board sets its appetite for (a principal risk takes one)."""

    FINANCE = "finance", "Finance"
    QUALITY = "quality", "Quality and outcomes"
    COMPLIANCE = "compliance", "Compliance and regulation"
    REPUTATION = "reputation", "Reputation"
    WORKFORCE = "workforce", "Workforce"
    PARTNERSHIPS = "partnerships", "Partnerships"


class AppetiteLevel(models.TextChoices):
    """The Good Governance Institute's five levels of risk appetite ("Risk appetite for NHS
    organisations", 2012; its board guidance of 2020), lowest first. HM Treasury's Orange Book
    names the same five averse, minimal, cautious, open and eager."""

    AVOID = "avoid", "Avoid"
    MINIMAL = "minimal", "Minimal"
    CAUTIOUS = "cautious", "Cautious"
    OPEN = "open", "Open"
    SEEK = "seek", "Seek"


APPETITE_DESCRIPTIONS: dict[str, str] = {
    AppetiteLevel.AVOID: "Avoidance of risk and uncertainty is a key objective.",
    AppetiteLevel.MINIMAL: "As little as reasonably possible: ultra-safe options with low inherent risk.",
    AppetiteLevel.CAUTIOUS: "Safe options with a low degree of inherent risk.",
    AppetiteLevel.OPEN: "Willing to consider every option, choosing the one most likely to succeed.",
    AppetiteLevel.SEEK: "Eager to be innovative, choosing options with higher reward despite greater risk.",
}


class Effectiveness(models.TextChoices):
    NOT_ASSESSED = "", "Not assessed yet"
    EFFECTIVE = "effective", "Effective"
    PARTLY = "partly", "Partly effective"
    NOT_EFFECTIVE = "not_effective", "Not effective"


class Line(models.TextChoices):
    """The three lines of assurance."""

    MANAGEMENT = "management", "First line: management"
    OVERSIGHT = "oversight", "Second line: internal oversight"
    INDEPENDENT = "independent", "Third line: independent"


class Level(models.TextChoices):
    """How much confidence an assurance gives, strongest first."""

    SIGNIFICANT = "significant", "Significant"
    REASONABLE = "reasonable", "Reasonable"
    LIMITED = "limited", "Limited"
    NONE = "none", "None"


# Levels weaker than reasonable: what the "limited or no assurance" filter finds.
WEAK_LEVELS = (Level.LIMITED, Level.NONE)
LEVEL_RANK = {level: rank for rank, level in enumerate(Level.values)}  # 0 strongest


@track_changes()
class Committee(TimeStampedModel):
    """A committee of an organisation's board (audit, quality, finance and performance...):
    it monitors principal risks and receives assurances."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="committees"
    )
    name = models.CharField(max_length=200)
    purpose = BoundedTextField(max_length=TEXT_MAX_LENGTH, blank=True)
    version = models.PositiveIntegerField(default=1, help_text=VERSION_HELP)

    class Meta:
        ordering = ["organisation__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"],
                name="committee_name_unique_in_organisation",
                violation_error_message="The organisation has a committee of that name already.",
            ),
            *length_checks("committee", purpose=TEXT_MAX_LENGTH),
        ]
        triggers = [raise_version()]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("assurance:committee_detail", args=[self.pk])


@track_changes()
class RiskAppetite(TimeStampedModel):
    """The board's appetite for risk in one category, on the GGI's five levels, with its
    tolerance: the highest current rating (severity x likelihood) it accepts."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="risk_appetites"
    )
    category = models.CharField(max_length=20, choices=Category.choices)
    level = models.CharField(max_length=10, choices=AppetiteLevel.choices)
    tolerance = models.PositiveSmallIntegerField(
        validators=RATING_VALIDATORS,
        help_text=f"The highest current rating accepted, 1 to {RATING_MAX} (severity x likelihood).",
    )
    statement = BoundedTextField(max_length=TEXT_MAX_LENGTH, blank=True)
    version = models.PositiveIntegerField(default=1, help_text=VERSION_HELP)

    class Meta:
        ordering = ["organisation__name", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "category"],
                name="appetite_once_per_category",
                violation_error_message="The organisation has an appetite for that category already.",
            ),
            models.CheckConstraint(
                condition=Q(tolerance__gte=1, tolerance__lte=RATING_MAX),
                name="appetite_tolerance_in_range",
                violation_error_message=f"A tolerance runs from 1 to {RATING_MAX}.",
            ),
            models.CheckConstraint(condition=Q(category__in=Category.values), name="appetite_category_valid"),
            models.CheckConstraint(condition=Q(level__in=AppetiteLevel.values), name="appetite_level_valid"),
            *length_checks("appetite", statement=TEXT_MAX_LENGTH),
        ]
        triggers = [raise_version()]

    def __str__(self):
        return f"{self.get_category_display()}: {self.get_level_display()} (tolerance {self.tolerance})"

    def get_absolute_url(self):
        return reverse("assurance:framework", args=[self.organisation.slug]) + "#appetite"


@track_changes()
class StrategicObjective(TimeStampedModel):
    """A strategic objective of an organisation: one of its plan's objectives, or one of its own
    (``text``), with the executive who leads it."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="strategic_objectives"
    )
    plan_objective = models.ForeignKey(
        "plans.Objective",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="strategic_objectives",
        verbose_name="objective of the plan",
    )
    plan_theme = models.ForeignKey(
        "plans.Theme",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="strategic_objectives",
        verbose_name="priority area or theme of the plan",
        help_text="A plan whose themes are its objectives (Darlington's seven priority areas).",
    )
    text = BoundedTextField(
        "objective",
        max_length=TEXT_MAX_LENGTH,
        blank=True,
        help_text="An objective of the organisation's own.",
    )
    executive_lead = models.CharField(max_length=200, blank=True, help_text="Name or role.")
    position = models.PositiveSmallIntegerField(default=1)
    version = models.PositiveIntegerField(default=1, help_text=VERSION_HELP)

    class Meta:
        ordering = ["organisation__name", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(plan_objective__isnull=False) | Q(plan_theme__isnull=False) | ~Q(text=""),
                name="strategic_objective_has_words",
                violation_error_message="Choose an objective or theme of the plan, or write one.",
            ),
            models.UniqueConstraint(
                fields=["organisation", "plan_theme"],
                name="plan_theme_once_per_organisation",
                violation_error_message="That theme of the plan is in the framework already.",
            ),
            models.UniqueConstraint(
                fields=["organisation", "plan_objective"],
                name="plan_objective_once_per_organisation",
                violation_error_message="That objective of the plan is in the framework already.",
            ),
            *length_checks("strategic_objective", text=TEXT_MAX_LENGTH),
        ]
        triggers = [raise_version()]

    def __str__(self):
        return textwrap.shorten(self.wording, width=90, placeholder=" …")

    @property
    def wording(self):
        if self.text:
            return self.text
        if self.plan_objective is not None:
            return self.plan_objective.text
        return self.plan_theme.title if self.plan_theme is not None else ""

    def get_absolute_url(self):
        return reverse("assurance:framework", args=[self.organisation.slug]) + f"#objective-{self.pk}"


def tolerance_in_force():
    """The tolerance a principal risk is held to: its own, else its category's appetite (NULL
    where neither is set)."""
    appetite = RiskAppetite.objects.filter(
        organisation=OuterRef("risk__organisation"), category=OuterRef("category")
    ).values("tolerance")[:1]
    return Coalesce("tolerance", Subquery(appetite))


def outside_appetite_q():
    """The one definition of outside appetite (on a queryset annotated by ``with_appetite``):
    the current (residual) rating is above the tolerance in force."""
    return Q(current_rating__gt=F("tolerance_used"))


def risk_outside_appetite(outer="pk"):
    """For the register's risks (``outer`` names the risk's id): whether the risk is a principal
    risk outside appetite, as a subquery over ``PrincipalRiskQuerySet.outside_appetite`` (the one
    definition), so the register shows it with no query of its own."""
    return models.Exists(PrincipalRisk.objects.outside_appetite().filter(risk=OuterRef(outer)))


class PrincipalRiskQuerySet(models.QuerySet):
    def current(self):
        """Principal risks whose risk is on the register (not archived)."""
        return self.filter(risk__archived_at__isnull=True)

    def visible_to(self, user):
        from apps.organisations import permissions

        return self.current().filter(permissions.visible_q(user, "risk__organisation"))

    def with_appetite(self):
        """Annotate the three ratings, the tolerance in force and ``outside_appetite`` (computed
        in SQL, once; ``PrincipalRisk.is_outside_appetite`` is its Python twin)."""
        return self.annotate(
            inherent_rating=F("risk__severity") * F("risk__likelihood"),
            current_rating=F("risk__residual_severity") * F("risk__residual_likelihood"),
            target_rating=F("target_severity") * F("target_likelihood"),
            tolerance_used=tolerance_in_force(),
        ).annotate(outside_appetite=flag(outside_appetite_q()))

    def outside_appetite(self):
        return self.with_appetite().filter(outside_appetite_q())


@track_changes()
class PrincipalRisk(TimeStampedModel):
    """A risk of the register that threatens one or more strategic objectives, as the BAF holds
    it: a target score and the date it should be reached, a category (for the board's appetite),
    a tolerance of its own if the board set one, and the committee that monitors it."""

    risk = models.OneToOneField("risks.Risk", on_delete=models.PROTECT, related_name="principal")
    objectives = models.ManyToManyField(StrategicObjective, related_name="principal_risks")
    # Empty until the board sets a target (the seed's risks: the source gives none).
    target_severity = models.PositiveSmallIntegerField(null=True, blank=True, validators=SCORE_VALIDATORS)
    target_likelihood = models.PositiveSmallIntegerField(null=True, blank=True, validators=SCORE_VALIDATORS)
    target_date = BoundedDateField(
        null=True, blank=True, help_text="When the target score should be reached."
    )
    category = models.CharField(max_length=20, choices=Category.choices, blank=True)
    tolerance = models.PositiveSmallIntegerField(
        "tolerance of its own",
        null=True,
        blank=True,
        validators=RATING_VALIDATORS,
        help_text="Leave empty to take the category's tolerance.",
    )
    committee = models.ForeignKey(
        Committee, null=True, blank=True, on_delete=models.PROTECT, related_name="principal_risks"
    )
    version = models.PositiveIntegerField(default=1, help_text=VERSION_HELP)

    objects = PrincipalRiskQuerySet.as_manager()

    class Meta:
        ordering = ["risk__reference", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_severity__isnull=True, target_likelihood__isnull=True)
                | (
                    Q(target_severity__isnull=False, target_likelihood__isnull=False)
                    & Q(target_severity__gte=SCORE_MIN, target_severity__lte=SCORE_MAX)
                    & Q(target_likelihood__gte=SCORE_MIN, target_likelihood__lte=SCORE_MAX)
                ),
                name="principal_risk_target_1_to_5",
                violation_error_message=f"Give both target scores, each from {SCORE_MIN} to {SCORE_MAX}.",
            ),
            models.CheckConstraint(
                condition=Q(tolerance__isnull=True) | Q(tolerance__gte=1, tolerance__lte=RATING_MAX),
                name="principal_risk_tolerance_in_range",
                violation_error_message=f"A tolerance runs from 1 to {RATING_MAX}.",
            ),
            models.CheckConstraint(
                condition=Q(category="") | Q(category__in=Category.values),
                name="principal_risk_category_valid",
            ),
            date_range_check("principal_risk", "target_date"),
        ]
        triggers = [raise_version()]

    def __str__(self):
        return str(self.risk)

    def get_absolute_url(self):
        return reverse("assurance:principal_risk_detail", args=[self.pk])

    @property
    def target(self):
        if self.target_severity is None or self.target_likelihood is None:
            return None
        return rating_of(self.target_severity, self.target_likelihood)

    def is_outside_appetite(self, appetites):
        """Python twin of ``outside_appetite_q``: ``appetites`` maps category to tolerance."""
        tolerance = self.tolerance if self.tolerance is not None else appetites.get(self.category)
        return tolerance is not None and self.risk.residual > tolerance


@track_changes()
class Control(TimeStampedModel):
    """A key control of a principal risk: what is in place, who owns it, how well it works."""

    principal_risk = models.ForeignKey(PrincipalRisk, on_delete=models.PROTECT, related_name="controls")
    description = BoundedTextField("control", max_length=TEXT_MAX_LENGTH)
    owner = models.CharField(max_length=200, blank=True, help_text="Name or role.")
    effectiveness = models.CharField(max_length=20, choices=Effectiveness.choices, blank=True)
    version = models.PositiveIntegerField(default=1, help_text=VERSION_HELP)

    class Meta:
        ordering = ["principal_risk", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effectiveness__in=Effectiveness.values), name="control_effectiveness_valid"
            ),
            *length_checks("control", description=TEXT_MAX_LENGTH),
        ]
        triggers = [raise_version()]

    def __str__(self):
        return textwrap.shorten(self.description, width=90, placeholder=" …")

    def get_absolute_url(self):
        return self.principal_risk.get_absolute_url() + f"#control-{self.pk}"


@track_changes()
class Assurance(TimeStampedModel):
    """What gives the board confidence that a control works: its source on the three lines,
    its level, when it was received and by which committee."""

    control = models.ForeignKey(Control, on_delete=models.PROTECT, related_name="assurances")
    description = BoundedTextField("assurance", max_length=TEXT_MAX_LENGTH)
    line = models.CharField("source", max_length=20, choices=Line.choices)
    level = models.CharField(max_length=20, choices=Level.choices)
    received_on = BoundedDateField("received", null=True, blank=True)
    committee = models.ForeignKey(
        Committee, null=True, blank=True, on_delete=models.PROTECT, related_name="assurances"
    )
    version = models.PositiveIntegerField(default=1, help_text=VERSION_HELP)

    class Meta:
        ordering = ["control", "-received_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(line__in=Line.values), name="assurance_line_valid"),
            models.CheckConstraint(condition=Q(level__in=Level.values), name="assurance_level_valid"),
            *length_checks("assurance", description=TEXT_MAX_LENGTH),
            date_range_check("assurance", "received_on"),
        ]
        triggers = [raise_version()]

    def __str__(self):
        return textwrap.shorten(self.description, width=90, placeholder=" …")

    def get_absolute_url(self):
        return self.control.principal_risk.get_absolute_url() + f"#assurance-{self.pk}"


class GapKind(models.TextChoices):
    CONTROL = "control", "Gap in control"
    ASSURANCE = "assurance", "Gap in assurance"


@track_changes()
class Gap(TimeStampedModel):
    """A gap in control or in assurance of a principal risk, closed by deliverables of the plan."""

    Kind = GapKind

    principal_risk = models.ForeignKey(PrincipalRisk, on_delete=models.PROTECT, related_name="gaps")
    kind = models.CharField(max_length=10, choices=GapKind.choices)
    description = BoundedTextField("gap", max_length=NARRATIVE_MAX_LENGTH)
    deliverables = models.ManyToManyField(
        "plans.Deliverable", blank=True, related_name="gaps", verbose_name="actions closing it"
    )
    closed_on = BoundedDateField(null=True, blank=True, help_text="When the gap was closed.")
    version = models.PositiveIntegerField(default=1, help_text=VERSION_HELP)

    class Meta:
        ordering = ["principal_risk", "kind", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=GapKind.values), name="gap_kind_valid"),
            *length_checks("gap", description=NARRATIVE_MAX_LENGTH),
            date_range_check("gap", "closed_on"),
        ]
        triggers = [raise_version()]

    def __str__(self):
        return textwrap.shorten(self.description, width=90, placeholder=" …")

    def get_absolute_url(self):
        return self.principal_risk.get_absolute_url() + f"#gap-{self.pk}"


def weak_assurance_q():
    """A principal risk with limited or no assurance: an assurance at a level weaker than
    reasonable, or a control with no assurance at all."""
    pk = OuterRef("pk")
    weak = Assurance.objects.filter(control__principal_risk=pk, level__in=WEAK_LEVELS)
    unassured = Control.objects.filter(principal_risk=pk, assurances__isnull=True)
    return Q(models.Exists(weak)) | Q(models.Exists(unassured))


def overdue_actions_q(today=None):
    """A principal risk with an open gap one of whose actions (a current deliverable of the plan)
    is overdue (``apps.plans.models.overdue_q``, the one definition)."""
    overdue = Deliverable.objects.current().filter(overdue_q(today)).values("pk")
    gaps = Gap.objects.filter(principal_risk=OuterRef("pk"), closed_on__isnull=True, deliverables__in=overdue)
    return Q(models.Exists(gaps))


# As the board's issued paper (apps.reports.models.PAPER_HTML_MAX_LENGTH): written by the
# service, never typed, bounded like every text.
COMMITTEE_PAPER_HTML_MAX_LENGTH = 10_000_000


def _committee_sha256_check(field):
    return models.CheckConstraint(
        condition=Q(**{f"{field}__regex": r"^[0-9a-f]{64}$"}), name=f"committee_paper_{field}_is_hex"
    )


class CommitteePaper(models.Model):
    """A paper issued to a meeting of a committee, as the board's ``reports.IssuedPaper`` is:
    the snapshot of what the committee monitors (its principal risks with their scores and
    appetite, their controls with the assurances received and their levels, their gaps and the
    actions closing them) and of the assurances it has received, with what changed since its
    paper before; the HTML as rendered then; the PDF rendered once and kept in the file storage
    with its SHA-256.

    A record: PostgreSQL refuses UPDATE and DELETE on these rows. A correction is a new paper
    naming the one it supersedes (set on the new row; the old one is never touched)."""

    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="papers")
    number = models.PositiveIntegerField(help_text="1, 2, 3... for each committee, in the order issued.")
    meeting_date = models.DateField("date of the meeting")
    title = models.CharField(max_length=300)
    read_at = models.DateTimeField("data read at")
    issued_at = models.DateTimeField(default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="committee_papers"
    )
    issued_by_name = models.CharField(max_length=300, help_text="As the paper names them.")
    supersedes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
        help_text="The paper this one corrects.",
    )
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The paper its 'changes since' section is counted from.",
    )
    correction_note = BoundedTextField(
        max_length=NOTE_MAX_LENGTH, blank=True, help_text="What a correction corrects."
    )
    snapshot = models.JSONField(encoder=DjangoJSONEncoder)
    html = BoundedTextField(
        max_length=COMMITTEE_PAPER_HTML_MAX_LENGTH,
        help_text="The paper as the page showed it when it was issued.",
    )
    html_sha256 = models.CharField(max_length=64)
    pdf = models.FileField(max_length=300, help_text="The PDF rendered at issue, in the file storage.")
    pdf_sha256 = models.CharField("PDF SHA-256", max_length=64)
    pdf_size = models.PositiveIntegerField("PDF size (bytes)")
    # Headline figures of the snapshot, for the committee's list of papers.
    principal_risk_count = models.PositiveIntegerField()
    outside_appetite_count = models.PositiveIntegerField()

    class Meta:
        ordering = ["committee", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "number"], name="committee_paper_number_unique_in_committee"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="committee_paper_number_from_1"),
            models.CheckConstraint(
                condition=Q(supersedes__isnull=True) | ~Q(correction_note=""),
                name="committee_paper_correction_says_why",
                violation_error_message="Say what the correction corrects.",
            ),
            models.CheckConstraint(
                condition=Q(outside_appetite_count__lte=F("principal_risk_count")),
                name="committee_paper_figures_consistent",
            ),
            _committee_sha256_check("html_sha256"),
            _committee_sha256_check("pdf_sha256"),
            *length_checks(
                "committee_paper", correction_note=NOTE_MAX_LENGTH, html=COMMITTEE_PAPER_HTML_MAX_LENGTH
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="committee_paper_is_immutable", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]

    def __str__(self):
        return f"{self.title} (paper {self.number}, meeting of {self.meeting_date:%d/%m/%Y})"

    def get_absolute_url(self):
        return reverse("assurance:committee_paper_detail", args=[self.pk])
