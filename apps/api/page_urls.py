"""The pages where people manage their API tokens (the API itself: apps/api/urls.py)."""

from django.urls import path

from . import pages

app_name = "tokens"
urlpatterns = [
    path("my/api-tokens/", pages.MyTokensView.as_view(), name="my_tokens"),
    path("my/api-tokens/<int:pk>/revoke/", pages.TokenRevokeView.as_view(), name="token_revoke"),
    path(
        "organisations/<slug:slug>/api-tokens/",
        pages.OrganisationTokensView.as_view(),
        name="organisation_tokens",
    ),
]
