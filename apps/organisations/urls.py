from django.urls import path

from . import views

app_name = "organisations"
urlpatterns = [
    path("national/", views.NationalView.as_view(), name="national"),
    path("organisations/<slug:slug>/", views.OrganisationDetailView.as_view(), name="organisation_detail"),
]
