from django.urls import path

from . import views

app_name = "organisations"
urlpatterns = [
    path("national/", views.NationalView.as_view(), name="national"),
    path("organisations/<slug:slug>/", views.OrganisationDetailView.as_view(), name="organisation_detail"),
    path("organisations/<slug:slug>/people/", views.PeopleView.as_view(), name="people"),
    path("organisations/<slug:slug>/people/invite/", views.InviteView.as_view(), name="people_invite"),
    path(
        "organisations/<slug:slug>/people/<int:membership_id>/role/",
        views.RoleChangeView.as_view(),
        name="people_role",
    ),
    path(
        "organisations/<slug:slug>/people/<int:membership_id>/remove/",
        views.MembershipRemoveView.as_view(),
        name="people_remove",
    ),
    path(
        "organisations/<slug:slug>/people/accounts/<int:user_id>/deactivate/",
        views.AccountDeactivateView.as_view(),
        name="people_deactivate",
    ),
    path(
        "organisations/<slug:slug>/people/accounts/<int:user_id>/reactivate/",
        views.AccountReactivateView.as_view(),
        name="people_reactivate",
    ),
    path(
        "organisations/<slug:slug>/people/accounts/<int:user_id>/resend-invitation/",
        views.InvitationResendView.as_view(),
        name="people_resend",
    ),
    path(
        "accounts/invitation/<uidb64>/<token>/",
        views.InvitationAcceptView.as_view(),
        name="invitation_accept",
    ),
]
