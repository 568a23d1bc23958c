"""What the API shows of each record: the fields the pages show everyone who may see the record
(a field the pages keep for administrators, ``FIELD_AUDIENCE``, is left out), related records
by id, people by id and name, and the web page of each record."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.bounds import NARRATIVE_MAX_LENGTH, NOTE_MAX_LENGTH
from apps.evidence.models import EvidenceItem, EvidenceLink, EvidenceRevision
from apps.organisations.models import Organisation
from apps.plans.models import (
    Deliverable,
    Objective,
    ODPlan,
    SelfAssessment,
    SelfAssessmentScore,
    StatusUpdate,
    Theme,
)
from apps.reports.models import IssuedPaper
from apps.risks.models import SCORE_MAX, SCORE_MIN, Band, Risk, RiskReview


def person_name(user: Any) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


class PersonField(serializers.Field):
    """A person as the pages name them (full name, else username); null when nobody."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return person_name(value)


extend_schema_field(serializers.CharField(allow_null=True))(PersonField)


class WebPageField(serializers.Field):
    """The address of the record's page in ccgtrack."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("source", "*")
        super().__init__(**kwargs)

    def to_representation(self, value):
        request = self.context.get("request")
        url = value.get_absolute_url()
        return request.build_absolute_uri(url) if request else url


extend_schema_field(OpenApiTypes.URI)(WebPageField)

# Where the deliverables' and risks' rows keep their current evidence links (prefetched by
# the endpoints, views.evidence_links_prefetch).
EVIDENCE_LINKS_ATTR = "current_evidence_links"


class EvidenceIdsField(serializers.Field):
    """The ids of the evidence items that support the record now (current links to items not
    archived, that you may read), as its page lists them; read from the rows' prefetch."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("source", "*")
        kwargs.setdefault("help_text", "The evidence supporting it (ids of `evidence`).")
        super().__init__(**kwargs)

    def to_representation(self, value):
        return sorted({link.item_id for link in getattr(value, EVIDENCE_LINKS_ATTR)})


extend_schema_field({"type": "array", "items": {"type": "integer"}})(EvidenceIdsField)


class OrganisationSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    readable = serializers.SerializerMethodField()
    web_page = WebPageField()

    def get_readable(self, obj) -> bool:
        """Whether you may read the organisation's OD data (plans, deliverables, risks)."""
        readable = self.context.get("readable", set())
        return readable is None or obj.pk in readable

    class Meta:
        model = Organisation
        fields = (
            "id",
            "name",
            "slug",
            "kind",
            "kind_label",
            "parent",
            "position",
            "description",
            "population",
            "population_thousands",
            "member_practice_count",
            "ccg_count",
            "hwb_count",
            "commissioning_support",
            "readable",
            "web_page",
        )


class PlanSerializer(serializers.ModelSerializer):
    web_page = WebPageField()

    class Meta:
        model = ODPlan
        fields = (
            "id",
            "organisation",
            "title",
            "period_label",
            "period_start",
            "period_end",
            "version",
            "author",
            "approved_on",
            "approval_note",
            "reported_on",
            "reporting_cadence",
            "vision",
            "strategic_aims",
            "values",
            "strategic_principles",
            "summary",
            "budget_amount",
            "budget_period",
            "budget_note",
            "source_document",
            "created_at",
            "updated_at",
            "web_page",
        )
        extra_kwargs = {"version": {"help_text": "The plan's own version, as the document states it."}}


class ThemeSerializer(serializers.ModelSerializer):
    web_page = WebPageField()

    class Meta:
        model = Theme
        fields = ("id", "plan", "number", "title", "description", "version", "web_page")


class ObjectiveSerializer(serializers.ModelSerializer):
    plan = serializers.IntegerField(source="theme.plan_id", read_only=True)

    class Meta:
        model = Objective
        fields = ("id", "theme", "plan", "position", "text", "version")


class DeliverableSerializer(serializers.ModelSerializer):
    plan = serializers.IntegerField(source="theme.plan_id", read_only=True)
    organisation = serializers.IntegerField(source="theme.plan.organisation_id", read_only=True)
    reference = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    owner_name = PersonField(source="owner")
    domains = serializers.SerializerMethodField()
    is_overdue = serializers.SerializerMethodField()
    evidence = EvidenceIdsField()
    web_page = WebPageField()

    class Meta:
        model = Deliverable
        fields = (
            "id",
            "organisation",
            "plan",
            "theme",
            "position",
            "reference",
            "subheading",
            "title",
            "methods",
            "source",
            "owner",
            "owner_name",
            "owner_text",
            "cost_text",
            "cost_amount",
            "deadline",
            "deadline_text",
            "domains",
            "status",
            "status_label",
            "is_overdue",
            "delivered_narrative",
            "in_progress_narrative",
            "comments",
            "evidence",
            "version",
            "created_at",
            "updated_at",
            "web_page",
        )
        extra_kwargs = {"version": {"help_text": "Send it back with a change: a stale one is a 409."}}

    def get_is_overdue(self, obj) -> bool:
        """Deadline passed and not delivered (the list's own definition)."""
        return bool(getattr(obj, "is_overdue", False))

    def get_reference(self, obj) -> str:
        return f"{obj.theme.number}.{obj.position}"

    def get_domains(self, obj) -> list[int]:
        return sorted(d.number for d in obj.domains.all())


class StatusUpdateSerializer(serializers.ModelSerializer):
    created_by_name = PersonField(source="created_by")
    from_status_label = serializers.CharField(source="get_from_status_display", read_only=True)
    to_status_label = serializers.CharField(source="get_to_status_display", read_only=True)

    class Meta:
        model = StatusUpdate
        fields = (
            "id",
            "deliverable",
            "created_at",
            "created_by",
            "created_by_name",
            "from_status",
            "from_status_label",
            "to_status",
            "to_status_label",
            "note",
        )


class RiskSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    owner_name = PersonField(source="owner")
    rating = serializers.IntegerField(read_only=True)
    band = serializers.ChoiceField(choices=Band.choices, read_only=True)
    residual_rating = serializers.IntegerField(read_only=True)
    residual_band = serializers.ChoiceField(choices=Band.choices, read_only=True)
    is_review_overdue = serializers.SerializerMethodField()
    domains = serializers.SerializerMethodField()
    evidence = EvidenceIdsField()
    web_page = WebPageField()

    class Meta:
        model = Risk
        fields = (
            "id",
            "organisation",
            "plan",
            "reference",
            "category",
            "description",
            "severity",
            "likelihood",
            "rating",
            "band",
            "mitigation",
            "residual_severity",
            "residual_likelihood",
            "residual_rating",
            "residual_band",
            "owner",
            "owner_name",
            "owner_text",
            "next_review_on",
            "is_review_overdue",
            "status",
            "status_label",
            "domains",
            "evidence",
            "version",
            "created_at",
            "updated_at",
            "web_page",
        )
        extra_kwargs = {"version": {"help_text": "Send it back with a review: a stale one is a 409."}}

    def get_domains(self, obj) -> list[int]:
        return sorted(d.number for d in obj.domains.all())

    def get_is_review_overdue(self, obj) -> bool:
        """An open risk whose next review date has passed (the register's own definition)."""
        return bool(getattr(obj, "is_review_overdue", False))


class RiskReviewSerializer(serializers.ModelSerializer):
    reviewed_by_name = PersonField(source="reviewed_by")

    class Meta:
        model = RiskReview
        fields = (
            "id",
            "risk",
            "created_at",
            "reviewed_by",
            "reviewed_by_name",
            "severity_before",
            "likelihood_before",
            "residual_severity_before",
            "residual_likelihood_before",
            "severity_after",
            "likelihood_after",
            "residual_severity_after",
            "residual_likelihood_after",
            "note",
        )


class SelfAssessmentScoreSerializer(serializers.ModelSerializer):
    domain_number = serializers.IntegerField(source="domain.number", read_only=True)
    domain_name = serializers.CharField(source="domain.name", read_only=True)

    class Meta:
        model = SelfAssessmentScore
        fields = ("id", "domain_number", "domain_name", "score_percent")


class SelfAssessmentSerializer(serializers.ModelSerializer):
    scores = SelfAssessmentScoreSerializer(many=True, read_only=True)

    class Meta:
        model = SelfAssessment
        fields = ("id", "organisation", "assessed_on", "assessed_label", "tool", "notes", "version", "scores")


class IssuedPaperSerializer(serializers.ModelSerializer):
    organisation = serializers.IntegerField(source="plan.organisation_id", read_only=True)
    superseded = serializers.SerializerMethodField()
    pdf = serializers.SerializerMethodField()
    web_page = WebPageField()

    class Meta:
        model = IssuedPaper
        fields = (
            "id",
            "organisation",
            "plan",
            "number",
            "title",
            "meeting_date",
            "read_at",
            "issued_at",
            "issued_by_name",
            "supersedes",
            "superseded",
            "previous",
            "correction_note",
            "deliverable_count",
            "delivered_count",
            "overdue_count",
            "open_risk_count",
            "red_risk_count",
            "red_residual_risk_count",
            "pdf_size",
            "pdf_sha256",
            "pdf",
            "web_page",
        )

    def get_superseded(self, obj) -> bool:
        """Whether a later paper corrects this one."""
        return bool(getattr(obj, "is_superseded", False))

    def get_pdf(self, obj) -> str:
        """The address of the PDF as issued (through the API, with the same token)."""
        from django.urls import reverse

        url = reverse("api:paper-pdf", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class EvidenceLinkSerializer(serializers.ModelSerializer):
    """A record the item supports or supported: its kind and id, and whether the link is in
    force (``active``) or was removed (``removed_at``)."""

    kind = serializers.SerializerMethodField()
    kind_label = serializers.CharField(source="target_label", read_only=True)
    record = serializers.SerializerMethodField()
    active = serializers.SerializerMethodField()

    class Meta:
        model = EvidenceLink
        fields = ("id", "kind", "kind_label", "record", "active", "added_at", "removed_at")

    def get_kind(self, obj) -> str:
        """``deliverable``, ``risk`` or ``assessment_score`` (a self-assessment's domain score:
        ``scores[].id`` of ``self-assessments``)."""
        return obj.target_field

    def get_record(self, obj) -> int:
        """The id of the record, at the endpoint its kind names."""
        return getattr(obj, f"{obj.target_field}_id")

    def get_active(self, obj) -> bool:
        return obj.removed_at is None


class EvidenceItemSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    added_by_name = PersonField(source="added_by")
    is_expired = serializers.BooleanField(read_only=True, help_text="Past its review date.")
    is_expiring = serializers.BooleanField(read_only=True, help_text="Review due within 30 days.")
    has_file = serializers.BooleanField(read_only=True)
    latest_file_name = serializers.CharField(source="latest_name", read_only=True, allow_null=True)
    latest_sha256 = serializers.CharField(read_only=True, allow_null=True)
    latest_size = serializers.IntegerField(read_only=True, allow_null=True)
    links = EvidenceLinkSerializer(many=True, read_only=True, source="all_links")
    web_page = WebPageField()

    class Meta:
        model = EvidenceItem
        fields = (
            "id",
            "organisation",
            "title",
            "kind",
            "kind_label",
            "url",
            "speaks_for",
            "review_on",
            "is_expired",
            "is_expiring",
            "note",
            "added_by",
            "added_by_name",
            "has_file",
            "latest_file_name",
            "latest_sha256",
            "latest_size",
            "links",
            "version",
            "created_at",
            "updated_at",
            "web_page",
        )


class EvidenceRevisionSerializer(serializers.ModelSerializer):
    file_name = serializers.CharField(source="original_name", read_only=True)
    uploaded_by_name = PersonField(source="uploaded_by")
    file = serializers.SerializerMethodField()

    class Meta:
        model = EvidenceRevision
        fields = (
            "id",
            "item",
            "number",
            "sha256",
            "size",
            "content_type",
            "file_name",
            "uploaded_by",
            "uploaded_by_name",
            "uploaded_at",
            "note",
            "file",
        )
        extra_kwargs = {
            "number": {"help_text": "1, 2, 3... for each item, in the order uploaded."},
            "size": {"help_text": "In bytes."},
        }

    def get_file(self, obj) -> str:
        """The address of the file as uploaded (through the API, with the same token)."""
        from django.urls import reverse

        url = reverse("api:evidence-revision-file", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


# --- Writes ------------------------------------------------------------------------------------


class StatusChangeSerializer(serializers.Serializer):
    """A deliverable's status change: the status, a progress note, and the version read."""

    status = serializers.ChoiceField(choices=Deliverable.Status.choices)
    note = serializers.CharField(max_length=NOTE_MAX_LENGTH, allow_blank=True, required=False, default="")
    version = serializers.IntegerField(min_value=1, help_text="The deliverable's version as you read it.")


class RiskReviewWriteSerializer(serializers.Serializer):
    """A risk review: the scores (each optional: left as they are when not given), the
    mitigation, the next review date and status, a note (required), and the version read."""

    severity = serializers.IntegerField(min_value=SCORE_MIN, max_value=SCORE_MAX, required=False)
    likelihood = serializers.IntegerField(min_value=SCORE_MIN, max_value=SCORE_MAX, required=False)
    residual_severity = serializers.IntegerField(min_value=SCORE_MIN, max_value=SCORE_MAX, required=False)
    residual_likelihood = serializers.IntegerField(min_value=SCORE_MIN, max_value=SCORE_MAX, required=False)
    mitigation = serializers.CharField(allow_blank=True, required=False, max_length=NARRATIVE_MAX_LENGTH)
    next_review_on = serializers.DateField(allow_null=True, required=False)
    status = serializers.ChoiceField(choices=Risk.Status.choices, required=False)
    note = serializers.CharField(
        max_length=NOTE_MAX_LENGTH, help_text="What was reviewed, and why the scores stand."
    )
    version = serializers.IntegerField(min_value=1, help_text="The risk's version as you read it.")


class ConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    current = serializers.DictField(help_text="The record as it is now, with its current version.")
