"""Board reports: the governing-body paper that presents an OD plan's delivery, with the cover
sheet its author fills in. The live report's body and appendix are drawn from the plan's data
when it is read; a paper issued to a meeting is frozen as an ``IssuedPaper``."""

import pgtrigger
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from apps.core.bounds import (
    NARRATIVE_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    BoundedDateField,
    BoundedTextField,
    date_range_check,
    length_checks,
)
from apps.core.history.tracking import raise_version, track_changes
from apps.core.models import TimeStampedModel

COVER_FIELDS = (
    "title",
    "meeting_date",
    "author",
    "sponsoring_member",
    "purpose",
    "recommendation",
    "resource_implications",
    "link_to_strategic_principles",
    "risk_assurance",
    "privacy_impact",
    "equality_impact",
    "actions_to_address_impact",
    "legal_implications",
    "freedom_of_information",
    "stakeholder_engagement",
    "reason_for_part_2",
    "previous_committees",
)
# The cover sheet's rows of text (the rest are the title, date, author and sponsor).
NARRATIVE_FIELDS = COVER_FIELDS[4:]


@track_changes()
class BoardReport(TimeStampedModel):
    """The cover sheet of a governing-body paper reporting on an OD plan. Field labels are the
    row labels of the seed papers' cover sheets; a plan's report page uses its latest one."""

    plan = models.ForeignKey("plans.ODPlan", on_delete=models.CASCADE, related_name="board_reports")
    title = models.CharField(
        max_length=300, help_text="The paper's title, e.g. the plan's name and 'Update'."
    )
    meeting_date = BoundedDateField("date of the meeting")
    author = models.CharField(max_length=200, blank=True, help_text="Name and title.")
    sponsoring_member = models.CharField("sponsoring GB member", max_length=300, blank=True)
    purpose = BoundedTextField("purpose of report", max_length=NARRATIVE_MAX_LENGTH, blank=True)
    recommendation = BoundedTextField(max_length=NARRATIVE_MAX_LENGTH, blank=True)
    resource_implications = BoundedTextField(max_length=NARRATIVE_MAX_LENGTH, blank=True)
    link_to_strategic_principles = BoundedTextField(
        max_length=NARRATIVE_MAX_LENGTH, blank=True, help_text="One principle per line."
    )
    risk_assurance = BoundedTextField(
        "risk assurance: impact on high level risks", max_length=NARRATIVE_MAX_LENGTH, blank=True
    )
    privacy_impact = BoundedTextField(
        "privacy impact assessment", max_length=NARRATIVE_MAX_LENGTH, blank=True
    )
    equality_impact = BoundedTextField(
        "outcome of equality impact assessment process", max_length=NARRATIVE_MAX_LENGTH, blank=True
    )
    actions_to_address_impact = BoundedTextField(max_length=NARRATIVE_MAX_LENGTH, blank=True)
    legal_implications = BoundedTextField(max_length=NARRATIVE_MAX_LENGTH, blank=True)
    freedom_of_information = BoundedTextField(max_length=NARRATIVE_MAX_LENGTH, blank=True)
    stakeholder_engagement = BoundedTextField(max_length=NARRATIVE_MAX_LENGTH, blank=True)
    reason_for_part_2 = BoundedTextField(
        "reason for inclusion in Part 2", max_length=NARRATIVE_MAX_LENGTH, blank=True
    )
    previous_committees = BoundedTextField(
        "previous committees/governing body", max_length=NARRATIVE_MAX_LENGTH, blank=True
    )
    version = models.PositiveIntegerField(
        default=1, help_text="Raised by PostgreSQL on every update; guards concurrent edits."
    )

    class Meta:
        ordering = ["-meeting_date", "-pk"]
        indexes = [models.Index(fields=["plan", "-meeting_date"])]
        constraints = [
            *length_checks("board_report", **dict.fromkeys(NARRATIVE_FIELDS, NARRATIVE_MAX_LENGTH)),
            date_range_check("board_report", "meeting_date"),
        ]
        triggers = [raise_version()]

    def __str__(self):
        return f"{self.title} ({self.meeting_date:%d/%m/%Y})"

    def get_absolute_url(self):
        return reverse("reports:board_report", args=[self.plan_id])


# The rendered paper is written by the service, not typed, but has a bound like every text: the
# seed's longest paper is 61,616 characters (54 deliverables); 400 deliverables with every
# narrative at its limit stay below this one.
PAPER_HTML_MAX_LENGTH = 10_000_000


def _sha256_check(field):
    return models.CheckConstraint(
        condition=Q(**{f"{field}__regex": r"^[0-9a-f]{64}$"}), name=f"issued_paper_{field}_is_hex"
    )


class IssuedPaper(models.Model):
    """A board paper as issued to a governing-body meeting: the snapshot of everything it showed
    (cover sheet, summary per theme, every deliverable row, the risk summary, the
    self-assessment, and what had changed since the paper before), the HTML as rendered then,
    and the PDF rendered once and kept in the file storage with its SHA-256.

    A paper is a record: nothing changes or deletes it. PostgreSQL refuses UPDATE and DELETE
    on these rows (the trigger below), so not even a bug or a hand-written query can. A
    correction is a new paper that names the one it supersedes; the link is set on the new row,
    so the old one is never touched."""

    plan = models.ForeignKey("plans.ODPlan", on_delete=models.PROTECT, related_name="issued_papers")
    number = models.PositiveIntegerField(help_text="1, 2, 3... for each plan, in the order issued.")
    cover_sheet = models.ForeignKey(BoardReport, on_delete=models.PROTECT, related_name="issued_papers")
    meeting_date = models.DateField("date of the meeting")
    title = models.CharField(max_length=300)
    read_at = models.DateTimeField("data read at")
    issued_at = models.DateTimeField(default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="issued_papers"
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
        max_length=PAPER_HTML_MAX_LENGTH, help_text="The paper as the page showed it when it was issued."
    )
    html_sha256 = models.CharField(max_length=64)
    pdf = models.FileField(max_length=300, help_text="The PDF rendered at issue, in the file storage.")
    pdf_sha256 = models.CharField("PDF SHA-256", max_length=64)
    pdf_size = models.PositiveIntegerField("PDF size (bytes)")
    # Headline figures of the snapshot, for the lists and the trend chart (computed at issue).
    deliverable_count = models.PositiveIntegerField()
    delivered_count = models.PositiveIntegerField()
    overdue_count = models.PositiveIntegerField()
    open_risk_count = models.PositiveIntegerField()
    red_risk_count = models.PositiveIntegerField(help_text="Open risks rated extreme (inherent).")
    red_residual_risk_count = models.PositiveIntegerField(help_text="Open risks rated extreme (residual).")

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="issued_paper_number_unique_in_plan"),
            models.CheckConstraint(condition=Q(number__gte=1), name="issued_paper_number_from_1"),
            models.CheckConstraint(
                condition=Q(supersedes__isnull=True) | ~Q(correction_note=""),
                name="issued_paper_correction_says_why",
                violation_error_message="Say what the correction corrects.",
            ),
            models.CheckConstraint(
                condition=Q(delivered_count__lte=models.F("deliverable_count"))
                & Q(overdue_count__lte=models.F("deliverable_count"))
                & Q(red_risk_count__lte=models.F("open_risk_count"))
                & Q(red_residual_risk_count__lte=models.F("open_risk_count")),
                name="issued_paper_figures_consistent",
            ),
            _sha256_check("html_sha256"),
            _sha256_check("pdf_sha256"),
            *length_checks("issued_paper", correction_note=NOTE_MAX_LENGTH, html=PAPER_HTML_MAX_LENGTH),
        ]
        triggers = [
            pgtrigger.Protect(name="issued_paper_is_immutable", operation=pgtrigger.Update | pgtrigger.Delete)
        ]

    def __str__(self):
        return f"{self.title} (paper {self.number}, meeting of {self.meeting_date:%d/%m/%Y})"

    def get_absolute_url(self):
        return reverse("reports:paper_detail", args=[self.pk])

    @property
    def delivered_pct(self):
        return round(100 * self.delivered_count / self.deliverable_count, 1) if self.deliverable_count else 0
