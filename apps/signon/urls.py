from django.contrib.auth.decorators import login_not_required
from django.urls import path

from . import views

app_name = "signon"
urlpatterns = [
    path("accounts/sign-on/start/", login_not_required(views.SignOnStartView.as_view()), name="start"),
    path(
        "accounts/sign-on/callback/", login_not_required(views.SignOnCallbackView.as_view()), name="callback"
    ),
    path(
        "organisations/<slug:slug>/people/domains/",
        views.AllowedDomainsView.as_view(),
        name="allowed_domains",
    ),
    path(
        "organisations/<slug:slug>/people/domains/<int:pk>/withdraw/",
        views.AllowedDomainWithdrawView.as_view(),
        name="allowed_domain_withdraw",
    ),
]
