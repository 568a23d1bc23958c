from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from apps.core import views as core_views
from apps.dashboards import views as dashboard_views
from apps.signon.views import SignInWithSingleSignOnView

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/login/", SignInWithSingleSignOnView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("apps.organisations.urls")),
    path("", include("apps.plans.urls")),
    path("", include("apps.risks.urls")),
    path("", include("apps.reports.urls")),
    path("", include("apps.assurance.urls")),
    path("", include("apps.dashboards.urls")),
    path("", include("apps.reminders.urls")),
    path("", include("apps.evidence.urls")),
    path("", include("apps.api.urls")),
    path("", include("apps.api.page_urls")),
    path("", include("apps.signon.urls")),
]

handler400 = "apps.core.errors.bad_request"
handler500 = "apps.core.errors.server_error"
