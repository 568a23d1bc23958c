"""Board reports: the governing-body paper that presents an OD plan's delivery, with the cover
sheet its author fills in. The body and the appendix are drawn from the plan's data when the
report is read, so only the cover sheet is stored."""

import pghistory
from django.db import models
from django.urls import reverse

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


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class BoardReport(TimeStampedModel):
    """The cover sheet of a governing-body paper reporting on an OD plan. Field labels are the
    row labels of the seed papers' cover sheets; a plan's report page uses its latest one."""

    plan = models.ForeignKey("plans.ODPlan", on_delete=models.CASCADE, related_name="board_reports")
    title = models.CharField(
        max_length=300, help_text="The paper's title, e.g. the plan's name and 'Update'."
    )
    meeting_date = models.DateField("date of the meeting")
    author = models.CharField(max_length=200, blank=True, help_text="Name and title.")
    sponsoring_member = models.CharField("sponsoring GB member", max_length=300, blank=True)
    purpose = models.TextField("purpose of report", blank=True)
    recommendation = models.TextField(blank=True)
    resource_implications = models.TextField(blank=True)
    link_to_strategic_principles = models.TextField(blank=True, help_text="One principle per line.")
    risk_assurance = models.TextField("risk assurance: impact on high level risks", blank=True)
    privacy_impact = models.TextField("privacy impact assessment", blank=True)
    equality_impact = models.TextField("outcome of equality impact assessment process", blank=True)
    actions_to_address_impact = models.TextField(blank=True)
    legal_implications = models.TextField(blank=True)
    freedom_of_information = models.TextField(blank=True)
    stakeholder_engagement = models.TextField(blank=True)
    reason_for_part_2 = models.TextField("reason for inclusion in Part 2", blank=True)
    previous_committees = models.TextField("previous committees/governing body", blank=True)
    version = models.PositiveIntegerField(
        default=1, help_text="Raised on every save; guards concurrent edits."
    )

    class Meta:
        ordering = ["-meeting_date", "-pk"]
        indexes = [models.Index(fields=["plan", "-meeting_date"])]

    def __str__(self):
        return f"{self.title} ({self.meeting_date:%d/%m/%Y})"

    def get_absolute_url(self):
        return reverse("reports:board_report", args=[self.plan_id])
