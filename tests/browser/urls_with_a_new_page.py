"""The project's URLconf plus a page the sweep has not been told about (for test_every_page)."""

from django.http import HttpResponse
from django.urls import include, path

urlpatterns = [
    path("", include("ccgtrack.urls")),
    path("people/<slug:slug>/", lambda request, slug: HttpResponse(slug), name="people_page"),
]
