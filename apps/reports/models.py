"""Board reports: the governing-body paper that presents an OD plan's delivery, with the cover
sheet its author fills in. The body and the appendix are drawn from the plan's data when the
report is read, so only the cover sheet is stored."""

import pghistory
from django.db import models
from django.urls import reverse

from apps.core.bounds import (
    NARRATIVE_MAX_LENGTH,
    BoundedDateField,
    BoundedTextField,
    date_range_check,
    length_checks,
)
from apps.core.models import TimeStampedModel
from apps.core.triggers import raise_version

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


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), append_only=True)
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
