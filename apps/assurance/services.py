"""Writes to the Board Assurance Framework, each through the one versioned edit path
(``apps.core.edits``): the form, the admin and the seed's examples all take it. Permission is as
for risks: staff and organisation administrators of the record's organisation (or above it)
change it, board members read it. Each service adds only its own rule; the audit trail
(pghistory) is each record's history."""

from typing import Any

from django.core.exceptions import ValidationError

from apps.organisations.permissions import OrganisationEdit
from apps.plans.models import Deliverable

from .models import (
    Assurance,
    Committee,
    Control,
    Gap,
    PrincipalRisk,
    RiskAppetite,
    StrategicObjective,
)

RISK_ORGANISATION = "risk__organisation"


def _same_organisation(obj: Any, organisation_id: int, field: str, message: str) -> None:
    if obj is not None and obj.organisation_id != organisation_id:
        raise ValidationError({field: message})


class FrameworkEdit(OrganisationEdit):
    """An edit of the framework: a change of its many-to-many values (a gap's actions, a
    principal risk's objectives), which the audit trail does not record, is written into the
    note of the audit event of the same save."""

    def check(self, edit):
        self.rule(edit)
        if edit.related_notes:
            edit.note = edit.history_note
            edit.related_notes = []

    def rule(self, edit):
        """The service's own rule; raise ValidationError to refuse the edit."""


class CommitteeEdit(FrameworkEdit):
    """A committee of an organisation's board."""

    model = Committee
    fields = ("name", "purpose")
    create_fields = ("organisation", "name", "purpose")
    select_related = ("organisation",)


class AppetiteEdit(FrameworkEdit):
    """The board's appetite for a category. Every change is kept in the audit trail with its
    note, as the issue asks ("appetite changes are history")."""

    model = RiskAppetite
    fields = ("level", "tolerance", "statement")
    create_fields = ("organisation", "category", "level", "tolerance", "statement")
    select_related = ("organisation",)

    def rule(self, edit):
        if not edit.note:
            raise ValidationError({"note": "Write a note: when and where the board set this appetite."})


class StrategicObjectiveEdit(FrameworkEdit):
    """An objective of the framework: one of the organisation's plan's objectives, or its own."""

    model = StrategicObjective
    fields = ("plan_objective", "plan_theme", "text", "executive_lead", "position")
    create_fields = ("organisation", *fields)
    select_related = ("organisation", "plan_objective__theme__plan", "plan_theme__plan")

    def rule(self, edit):
        objective, theme = edit.obj.plan_objective, edit.obj.plan_theme
        own = edit.obj.organisation_id
        if objective is not None and objective.theme.plan.organisation_id != own:
            raise ValidationError({"plan_objective": "Choose an objective of the organisation's own plan."})
        if theme is not None and theme.plan.organisation_id != own:
            raise ValidationError({"plan_theme": "Choose a theme of the organisation's own plan."})


class PrincipalRiskEdit(FrameworkEdit):
    """A risk of the register made a principal risk: its objectives (of its own organisation),
    a target score no higher than its inherent rating, the committee that monitors it."""

    model = PrincipalRisk
    fields = ("target_severity", "target_likelihood", "target_date", "category", "tolerance", "committee")
    create_fields = ("risk", *fields)
    related_fields = {"objectives": "Strategic objectives"}
    organisation_path = RISK_ORGANISATION
    select_related = ("risk__organisation", "committee")

    def rule(self, edit):
        principal = edit.obj
        risk = principal.risk
        _same_organisation(
            principal.committee,
            risk.organisation_id,
            "committee",
            "Choose a committee of the risk's organisation.",
        )
        objectives = edit.related.get("objectives")
        if objectives is None and edit.created:
            objectives = []
        if objectives is not None:
            if not objectives:
                raise ValidationError({"objectives": "Choose the strategic objectives this risk threatens."})
            if any(o.organisation_id != risk.organisation_id for o in objectives):
                raise ValidationError({"objectives": "Choose objectives of the risk's own organisation."})
        if (
            principal.target_severity
            and principal.target_likelihood
            and principal.target_severity * principal.target_likelihood > risk.inherent_rating
        ):
            raise ValidationError(
                {"target_likelihood": "The target rating cannot be above the risk's inherent rating."}
            )


class ControlEdit(FrameworkEdit):
    """A key control of a principal risk."""

    model = Control
    fields = ("description", "owner", "effectiveness")
    create_fields = ("principal_risk", *fields)
    organisation_path = "principal_risk__risk__organisation"
    select_related = ("principal_risk__risk__organisation",)


class AssuranceEdit(FrameworkEdit):
    """An assurance of a control, received by a committee of the same organisation."""

    model = Assurance
    fields = ("description", "line", "level", "received_on", "committee")
    create_fields = ("control", *fields)
    organisation_path = "control__principal_risk__risk__organisation"
    select_related = ("control__principal_risk__risk__organisation", "committee")

    def rule(self, edit):
        organisation = self.organisation_of(edit.obj)
        _same_organisation(
            edit.obj.committee, organisation.pk, "committee", "Choose a committee of the risk's organisation."
        )


class GapEdit(FrameworkEdit):
    """A gap in control or assurance, closed by deliverables of the organisation's plans."""

    model = Gap
    fields = ("kind", "description", "closed_on")
    create_fields = ("principal_risk", *fields)
    related_fields = {"deliverables": "Actions closing it"}
    organisation_path = "principal_risk__risk__organisation"
    select_related = ("principal_risk__risk__organisation",)

    def related_display(self, name, objs):
        return "; ".join(sorted(str(o) for o in objs))

    def rule(self, edit):
        organisation = self.organisation_of(edit.obj)
        deliverables = edit.related.get("deliverables") or []
        ids = [d.pk for d in deliverables]
        if ids:
            own = Deliverable.objects.filter(pk__in=ids, theme__plan__organisation=organisation).count()
            if own != len(set(ids)):
                raise ValidationError(
                    {"deliverables": "Choose deliverables of the organisation's own plans."}
                )


committee_edit = CommitteeEdit()
appetite_edit = AppetiteEdit()
objective_edit = StrategicObjectiveEdit()
principal_risk_edit = PrincipalRiskEdit()
control_edit = ControlEdit()
assurance_edit = AssuranceEdit()
gap_edit = GapEdit()
