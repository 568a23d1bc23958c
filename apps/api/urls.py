from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import views, views_assurance

router = DefaultRouter()
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("plans", views.PlanViewSet, basename="plan")
router.register("themes", views.ThemeViewSet, basename="theme")
router.register("objectives", views.ObjectiveViewSet, basename="objective")
router.register("deliverables", views.DeliverableViewSet, basename="deliverable")
router.register("status-updates", views.StatusUpdateViewSet, basename="status-update")
router.register("risks", views.RiskViewSet, basename="risk")
router.register("risk-reviews", views.RiskReviewViewSet, basename="risk-review")
router.register("self-assessments", views.SelfAssessmentViewSet, basename="self-assessment")
router.register("papers", views.IssuedPaperViewSet, basename="paper")
router.register("evidence", views.EvidenceItemViewSet, basename="evidence")
router.register("evidence-revisions", views.EvidenceRevisionViewSet, basename="evidence-revision")
views_assurance.register(router)  # the Board Assurance Framework


def _open(patterns):
    """The API answers a request without a session itself (401 with what it wants: a token),
    so the site's login redirect (LoginRequiredMiddleware) stands aside for it."""
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            _open(pattern.url_patterns)
        else:
            pattern.callback = login_not_required(pattern.callback)
    return patterns


app_name = "api"
urlpatterns = [
    path("api/v1/", include(_open(router.urls))),
    path("api/schema/", login_not_required(SpectacularAPIView.as_view()), name="schema"),
    # Swagger UI from the sidecar's vendored files; its start script is a file of its own (the
    # split view), so the site's Content-Security-Policy (no inline script) holds on it too.
    path(
        "api/docs/",
        login_not_required(
            SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/swagger_ui.html")
        ),
        name="docs",
    ),
]
