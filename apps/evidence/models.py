"""Evidence: the documents and links that show a claim (a deliverable delivered, a risk's
controls working, a self-assessment domain's rating), kept, fingerprinted and never lost.

- ``EvidenceItem``: a file or a link, with the date it speaks for, an optional review or expiry
  date, its organisation, who added it and a note. Archived, never deleted.
- ``EvidenceRevision``: each file an item has had, in Django's storage with its SHA-256, size,
  type and sanitised name. Append-only: a new file is a new revision, earlier ones stay.
- ``EvidenceLink``: an item supporting one record. One nullable foreign key per kind of record
  (``LINK_TARGETS``) and a constraint that exactly one is set: deliverables, risks,
  self-assessment domains, and the assurance framework's controls and assurances.
"""

import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from apps.core.bounds import (
    NOTE_MAX_LENGTH,
    BoundedDateField,
    BoundedTextField,
    date_range_check,
    length_checks,
)
from apps.core.history.tracking import append_only, audit_context_field, raise_version, track_changes
from apps.core.models import TimeStampedModel
from apps.core.search import DOCUMENT, search_document, search_index

# How soon a review date counts as "expiring": the digest, My work, the library's filter.
EXPIRING_DAYS = 30
TITLE_MAX_LENGTH = 300
URL_MAX_LENGTH = 2000
EVIDENCE_SEARCH_FIELDS = ("title", "note")

# The kinds of record an item can support: (link field, label). One nullable FK each on
# EvidenceLink; the check constraint and every list read this tuple.
LINK_TARGETS: tuple[tuple[str, str], ...] = (
    ("deliverable", "Deliverable"),
    ("risk", "Risk"),
    ("assessment_score", "Self-assessment domain"),
    ("control", "Key control"),
    ("assurance", "Assurance"),
)
LINK_FIELDS = tuple(name for name, _label in LINK_TARGETS)

# From a linked record to the organisation that owns it, per kind of record.
TARGET_ORGANISATION_PATHS: dict[str, str] = {
    "deliverable": "theme__plan__organisation",
    "risk": "organisation",
    "assessment_score": "assessment__organisation",
    "control": "principal_risk__risk__organisation",
    "assurance": "control__principal_risk__risk__organisation",
}


def organisation_of(field: str, record: Any) -> Any:
    """The organisation owning ``record``, a record of the kind ``field`` (LINK_FIELDS)."""
    for step in TARGET_ORGANISATION_PATHS[field].split("__"):
        record = getattr(record, step)
    return record


def expired_q(today: datetime.date | None = None, prefix: str = "") -> Q:
    """Evidence whose review or expiry date has passed: the one definition."""
    return Q(**{f"{prefix}review_on__lt": today or timezone.localdate()})


def expiring_q(today: datetime.date | None = None, prefix: str = "") -> Q:
    """Evidence due for review within EXPIRING_DAYS (today included), not yet past it."""
    today = today or timezone.localdate()
    return Q(
        **{
            f"{prefix}review_on__gte": today,
            f"{prefix}review_on__lte": today + datetime.timedelta(days=EXPIRING_DAYS),
        }
    )


class EvidenceItemQuerySet(models.QuerySet):
    def current(self):
        """Items not archived: what the lists, pages, digests and papers show."""
        return self.filter(archived_at__isnull=True)

    def visible_to(self, user):
        from apps.organisations import permissions

        return self.current().filter(permissions.visible_q(user, "organisation"))


@track_changes(exclude=[DOCUMENT])
class EvidenceItem(TimeStampedModel):
    """A piece of evidence: a file (kept as revisions) or a link (a SharePoint address, say)."""

    class Kind(models.TextChoices):
        FILE = "file", "File"
        LINK = "link", "Link"

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="evidence"
    )
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FILE)
    url = models.URLField(
        "address", max_length=URL_MAX_LENGTH, blank=True, help_text="Where a link's document is kept."
    )
    speaks_for = BoundedDateField(
        "date it speaks for",
        help_text="The day the evidence shows (a meeting's date, say), not the upload's.",
    )
    review_on = BoundedDateField(
        "review or expiry date", null=True, blank=True, help_text="When it must be looked at again."
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="evidence_added"
    )
    note = BoundedTextField(max_length=NOTE_MAX_LENGTH, blank=True)
    archived_at = models.DateTimeField(
        null=True, blank=True, help_text="Set to archive the evidence: it is kept, never deleted."
    )
    version = models.PositiveIntegerField(
        default=1, help_text="Raised by PostgreSQL on every update; guards concurrent edits."
    )

    search_document = search_document(EVIDENCE_SEARCH_FIELDS)

    objects = EvidenceItemQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name", "-speaks_for", "pk"]
        verbose_name = "evidence item"
        indexes = [
            search_index(name="evidence_search_document"),
            models.Index(fields=["organisation", "review_on"], name="evidence_org_review"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="link") & ~Q(url="")) | (Q(kind="file") & Q(url="")),
                name="evidence_link_has_address",
                violation_error_message="A link needs its address; a file has none.",
            ),
            models.CheckConstraint(
                condition=~Q(title=""),
                name="evidence_title_not_empty",
                violation_error_message="Give the evidence a title.",
            ),
            *length_checks("evidence", note=NOTE_MAX_LENGTH),
            date_range_check("evidence", "speaks_for"),
            date_range_check("evidence", "review_on"),
        ]
        triggers = [raise_version()]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("evidence:item_detail", args=[self.pk])

    @property
    def is_expired(self) -> bool:
        return bool(self.review_on and self.review_on < timezone.localdate())

    @property
    def is_expiring(self) -> bool:
        today = timezone.localdate()
        return bool(
            self.review_on and today <= self.review_on <= today + datetime.timedelta(days=EXPIRING_DAYS)
        )


class EvidenceRevision(models.Model):
    """One file of an evidence item, as uploaded: kept in Django's storage (``evidence/`` of
    MEDIA_ROOT, or the S3 bucket) with its fingerprint. History: PostgreSQL refuses to change or
    delete it, and its item cannot be deleted while it exists."""

    item = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField(help_text="1, 2, 3... for each item, in the order uploaded.")
    file = models.FileField(max_length=500, help_text="The file, in the file storage.")
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveBigIntegerField("size (bytes)")
    content_type = models.CharField(max_length=120)
    original_name = models.CharField(max_length=200, help_text="The file's name as uploaded, sanitised.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="evidence_uploads"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    note = BoundedTextField(max_length=NOTE_MAX_LENGTH, blank=True)
    audit_context = audit_context_field()

    class Meta:
        ordering = ["item", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="evidence_revision_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="evidence_revision_number_from_1"),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="evidence_revision_sha256_is_hex"
            ),
            *length_checks("evidence_revision", note=NOTE_MAX_LENGTH),
        ]
        triggers = [append_only()]

    def __str__(self):
        return f"{self.original_name} (revision {self.number})"

    def get_download_url(self):
        return reverse("evidence:revision_download", args=[self.pk])


def exactly_one(fields: tuple[str, ...]) -> Q:
    """Exactly one of ``fields`` is set."""
    condition = Q()
    for chosen in fields:
        part = Q(**{f"{chosen}__isnull": False})
        for other in fields:
            if other != chosen:
                part &= Q(**{f"{other}__isnull": True})
        condition |= part
    return condition


class EvidenceLinkQuerySet(models.QuerySet):
    def current(self):
        """Links in force (not removed) to items not archived."""
        return self.filter(removed_at__isnull=True, item__archived_at__isnull=True)


@track_changes()
class EvidenceLink(models.Model):
    """An evidence item supporting one record (exactly one of the target fields is set). Removed,
    never deleted: ``removed_at`` is set through the edit path, and the audit trail keeps who,
    when and why."""

    item = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="links")
    deliverable = models.ForeignKey(
        "plans.Deliverable", null=True, blank=True, on_delete=models.PROTECT, related_name="evidence_links"
    )
    risk = models.ForeignKey(
        "risks.Risk", null=True, blank=True, on_delete=models.PROTECT, related_name="evidence_links"
    )
    assessment_score = models.ForeignKey(
        "plans.SelfAssessmentScore",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evidence_links",
        verbose_name="self-assessment domain",
    )
    control = models.ForeignKey(
        "assurance.Control",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evidence_links",
        verbose_name="key control",
    )
    assurance = models.ForeignKey(
        "assurance.Assurance", null=True, blank=True, on_delete=models.PROTECT, related_name="evidence_links"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="evidence_links_added"
    )
    added_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = EvidenceLinkQuerySet.as_manager()

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=exactly_one(LINK_FIELDS),
                name="evidence_link_exactly_one_target",
                violation_error_message="Evidence supports one record per link.",
            ),
            *(
                models.UniqueConstraint(
                    fields=["item", name],
                    condition=Q(removed_at__isnull=True),
                    name=f"evidence_link_once_per_{name}",
                    violation_error_message="This evidence already supports that record.",
                )
                for name in LINK_FIELDS
            ),
        ]
        triggers = [raise_version()]

    def __str__(self):
        return f"{self.item} supports {self.target}"

    @property
    def target_field(self) -> str:
        return next((name for name in LINK_FIELDS if getattr(self, f"{name}_id") is not None), "")

    @property
    def target(self) -> Any:
        return getattr(self, self.target_field) if self.target_field else None

    @property
    def target_label(self) -> str:
        return dict(LINK_TARGETS).get(self.target_field, "")

    def target_organisation(self) -> Any:
        return organisation_of(self.target_field, self.target)
