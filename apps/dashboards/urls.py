from django.urls import path

from . import views

app_name = "dashboards"
urlpatterns = [
    path("dashboard/", views.NationalDashboardView.as_view(), name="national"),
    path("dashboard/<slug:slug>/", views.OrganisationDashboardView.as_view(), name="organisation"),
]
