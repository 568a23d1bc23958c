"""The API's endpoints of the Board Assurance Framework (apps.assurance), read only: each list
is the framework's selector (the same visibility per person as its pages), the principal risks
the pages' own filterset, and cursor pagination (the API's default)."""

from django.db.models import Prefetch

from apps.assurance import selectors
from apps.assurance.filters import PrincipalRiskFilterSet
from apps.assurance.models import StrategicObjective
from apps.plans.models import Deliverable

from . import filters_assurance as filters
from . import serializers_assurance as serializers
from .views import ReadViewSet


class StrategicObjectiveViewSet(ReadViewSet):
    """The strategic objectives of each framework: a plan's objective or theme, or the
    organisation's own words (``wording`` either way)."""

    serializer_class = serializers.StrategicObjectiveSerializer
    filterset_class = filters.StrategicObjectiveFilterSet

    def rows(self, user):
        return selectors.visible_objectives(user=user).select_related(
            "organisation", "plan_objective", "plan_theme"
        )


class PrincipalRiskViewSet(ReadViewSet):
    """The principal risks, as the framework and its roll-up list them (the same filterset):
    the inherent, current and target ratings, the tolerance in force and whether the risk is
    outside appetite, computed once in SQL (apps.assurance's ``with_appetite``)."""

    serializer_class = serializers.PrincipalRiskSerializer
    filterset_class = PrincipalRiskFilterSet

    def rows(self, user):
        return selectors.principal_risk_list(user=user).prefetch_related(
            Prefetch("objectives", queryset=StrategicObjective.objects.only("pk"))
        )


class ControlViewSet(ReadViewSet):
    """The key controls of the principal risks, with how well each works."""

    serializer_class = serializers.ControlSerializer
    filterset_class = filters.ControlFilterSet

    def rows(self, user):
        return selectors.visible_controls(user=user).select_related("principal_risk")


class AssuranceViewSet(ReadViewSet):
    """The assurances that the controls work: their source (the three lines), level, the date
    received and the committee that received them."""

    serializer_class = serializers.AssuranceSerializer
    filterset_class = filters.AssuranceFilterSet

    def rows(self, user):
        return selectors.visible_assurances(user=user).select_related("control__principal_risk")


class GapViewSet(ReadViewSet):
    """The gaps in control and in assurance, whether each is closed, and the deliverables of the
    plan that close it (the current ones, as the framework shows them)."""

    serializer_class = serializers.GapSerializer
    filterset_class = filters.GapFilterSet

    def rows(self, user):
        return (
            selectors.visible_gaps(user=user)
            .select_related("principal_risk")
            .prefetch_related(Prefetch("deliverables", queryset=Deliverable.objects.current().only("pk")))
        )


class RiskAppetiteViewSet(ReadViewSet):
    """The board's appetite per category (the GGI's five levels) and its tolerance."""

    serializer_class = serializers.RiskAppetiteSerializer
    filterset_class = filters.RiskAppetiteFilterSet

    def rows(self, user):
        return selectors.visible_appetites(user=user).select_related("organisation")


class CommitteeViewSet(ReadViewSet):
    """The board's committees, which monitor principal risks and receive assurances."""

    serializer_class = serializers.CommitteeSerializer
    filterset_class = filters.CommitteeFilterSet

    def rows(self, user):
        return selectors.visible_committees(user=user)


def register(router):
    """The framework's endpoints on the API's router."""
    router.register("strategic-objectives", StrategicObjectiveViewSet, basename="strategic-objective")
    router.register("principal-risks", PrincipalRiskViewSet, basename="principal-risk")
    router.register("controls", ControlViewSet, basename="control")
    router.register("assurances", AssuranceViewSet, basename="assurance")
    router.register("gaps", GapViewSet, basename="gap")
    router.register("risk-appetites", RiskAppetiteViewSet, basename="risk-appetite")
    router.register("committees", CommitteeViewSet, basename="committee")
