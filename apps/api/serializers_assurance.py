"""What the API shows of the Board Assurance Framework (apps.assurance): strategic objectives,
principal risks with their three ratings and the tolerance and outside appetite computed once
(``PrincipalRiskQuerySet.with_appetite``), controls, assurances, gaps, risk appetites and
committees; related records by id, and the web page of each record."""

from rest_framework import serializers

from apps.assurance.models import (
    Assurance,
    Committee,
    Control,
    Gap,
    PrincipalRisk,
    RiskAppetite,
    StrategicObjective,
)

from .serializers import WebPageField


def _ids(related) -> list[int]:
    return sorted(row.pk for row in related.all())


class StrategicObjectiveSerializer(serializers.ModelSerializer):
    wording = serializers.CharField(read_only=True, help_text="The objective as the framework words it.")
    web_page = WebPageField()

    class Meta:
        model = StrategicObjective
        fields = (
            "id",
            "organisation",
            "position",
            "wording",
            "text",
            "plan_objective",
            "plan_theme",
            "executive_lead",
            "version",
            "web_page",
        )


class PrincipalRiskSerializer(serializers.ModelSerializer):
    organisation = serializers.IntegerField(source="risk.organisation_id", read_only=True)
    reference = serializers.CharField(source="risk.reference", read_only=True)
    description = serializers.CharField(source="risk.description", read_only=True)
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    inherent_severity = serializers.IntegerField(source="risk.severity", read_only=True)
    inherent_likelihood = serializers.IntegerField(source="risk.likelihood", read_only=True)
    inherent_rating = serializers.IntegerField(read_only=True)
    current_severity = serializers.IntegerField(source="risk.residual_severity", read_only=True)
    current_likelihood = serializers.IntegerField(source="risk.residual_likelihood", read_only=True)
    current_rating = serializers.IntegerField(read_only=True)
    target_rating = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Null until the board sets a target."
    )
    tolerance_in_force = serializers.IntegerField(
        source="tolerance_used",
        read_only=True,
        allow_null=True,
        help_text="The risk's own tolerance, else its category's appetite's; null where neither is set.",
    )
    outside_appetite = serializers.BooleanField(
        read_only=True, help_text="The current rating is above the tolerance in force."
    )
    objectives = serializers.SerializerMethodField()
    web_page = WebPageField()

    class Meta:
        model = PrincipalRisk
        fields = (
            "id",
            "organisation",
            "risk",
            "reference",
            "description",
            "category",
            "category_label",
            "inherent_severity",
            "inherent_likelihood",
            "inherent_rating",
            "current_severity",
            "current_likelihood",
            "current_rating",
            "target_severity",
            "target_likelihood",
            "target_rating",
            "target_date",
            "tolerance",
            "tolerance_in_force",
            "outside_appetite",
            "objectives",
            "committee",
            "version",
            "web_page",
        )
        extra_kwargs = {"tolerance": {"help_text": "The risk's own tolerance; null to take its category's."}}

    def get_objectives(self, obj) -> list[int]:
        """The strategic objectives the risk threatens."""
        return _ids(obj.objectives)


class ControlSerializer(serializers.ModelSerializer):
    effectiveness_label = serializers.CharField(source="get_effectiveness_display", read_only=True)
    web_page = WebPageField()

    class Meta:
        model = Control
        fields = (
            "id",
            "principal_risk",
            "description",
            "owner",
            "effectiveness",
            "effectiveness_label",
            "version",
            "web_page",
        )


class AssuranceSerializer(serializers.ModelSerializer):
    principal_risk = serializers.IntegerField(source="control.principal_risk_id", read_only=True)
    line_label = serializers.CharField(source="get_line_display", read_only=True)
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    web_page = WebPageField()

    class Meta:
        model = Assurance
        fields = (
            "id",
            "principal_risk",
            "control",
            "description",
            "line",
            "line_label",
            "level",
            "level_label",
            "received_on",
            "committee",
            "version",
            "web_page",
        )
        extra_kwargs = {"line": {"help_text": "Its source, on the three lines of assurance."}}


class GapSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    closed = serializers.SerializerMethodField()
    deliverables = serializers.SerializerMethodField()
    web_page = WebPageField()

    class Meta:
        model = Gap
        fields = (
            "id",
            "principal_risk",
            "kind",
            "kind_label",
            "description",
            "closed",
            "closed_on",
            "deliverables",
            "version",
            "web_page",
        )

    def get_closed(self, obj) -> bool:
        return obj.closed_on is not None

    def get_deliverables(self, obj) -> list[int]:
        """The deliverables of the plan that close the gap."""
        return _ids(obj.deliverables)


class RiskAppetiteSerializer(serializers.ModelSerializer):
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    web_page = WebPageField()

    class Meta:
        model = RiskAppetite
        fields = (
            "id",
            "organisation",
            "category",
            "category_label",
            "level",
            "level_label",
            "tolerance",
            "statement",
            "version",
            "web_page",
        )


class CommitteeSerializer(serializers.ModelSerializer):
    web_page = WebPageField()

    class Meta:
        model = Committee
        fields = ("id", "organisation", "name", "purpose", "version", "web_page")
