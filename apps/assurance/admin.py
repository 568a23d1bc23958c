"""The framework in the Django admin: every change and every new record goes through its
service (``apps.core.edit_admin``), so each leaves the same history as a staff member's edit."""

from django.contrib import admin

from apps.core.edit_admin import VersionedEditAdmin

from . import services
from .models import Assurance, Committee, Control, Gap, PrincipalRisk, RiskAppetite, StrategicObjective


class FrameworkAdmin(VersionedEditAdmin):
    adds_through_service = True
    readonly_fields = ("version",)

    def has_delete_permission(self, request, obj=None):
        # History is kept: a record of the framework is corrected, never deleted here.
        return False


@admin.register(Committee)
class CommitteeAdmin(FrameworkAdmin):
    edit_service = services.committee_edit
    list_display = ("name", "organisation")
    list_select_related = ("organisation",)
    search_fields = ("name", "organisation__name")
    autocomplete_fields = ("organisation",)


@admin.register(RiskAppetite)
class RiskAppetiteAdmin(FrameworkAdmin):
    edit_service = services.appetite_edit
    list_display = ("organisation", "category", "level", "tolerance")
    list_filter = ("category", "level")
    list_select_related = ("organisation",)
    autocomplete_fields = ("organisation",)


@admin.register(StrategicObjective)
class StrategicObjectiveAdmin(FrameworkAdmin):
    edit_service = services.objective_edit
    list_display = ("__str__", "organisation", "executive_lead", "position")
    list_select_related = ("organisation", "plan_objective")
    search_fields = ("text", "plan_objective__text", "executive_lead")
    autocomplete_fields = ("organisation",)
    raw_id_fields = ("plan_objective",)


@admin.register(PrincipalRisk)
class PrincipalRiskAdmin(FrameworkAdmin):
    edit_service = services.principal_risk_edit
    list_display = ("__str__", "category", "target_severity", "target_likelihood", "target_date", "committee")
    list_select_related = ("risk", "committee")
    search_fields = ("risk__description", "risk__reference")
    raw_id_fields = ("risk", "committee")
    filter_horizontal = ("objectives",)


@admin.register(Control)
class ControlAdmin(FrameworkAdmin):
    edit_service = services.control_edit
    list_display = ("__str__", "owner", "effectiveness")
    list_filter = ("effectiveness",)
    search_fields = ("description", "owner")
    raw_id_fields = ("principal_risk",)


@admin.register(Assurance)
class AssuranceAdmin(FrameworkAdmin):
    edit_service = services.assurance_edit
    list_display = ("__str__", "line", "level", "received_on", "committee")
    list_filter = ("line", "level")
    list_select_related = ("committee",)
    search_fields = ("description",)
    raw_id_fields = ("control", "committee")


@admin.register(Gap)
class GapAdmin(FrameworkAdmin):
    edit_service = services.gap_edit
    list_display = ("__str__", "kind", "closed_on")
    list_filter = ("kind",)
    search_fields = ("description",)
    raw_id_fields = ("principal_risk",)
    filter_horizontal = ("deliverables",)
