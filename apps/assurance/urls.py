from django.urls import path

from . import views

app_name = "assurance"
urlpatterns = [
    path("assurance/", views.PrincipalRiskListView.as_view(), name="principal_risk_list"),
    path("organisations/<slug:slug>/assurance/", views.FrameworkView.as_view(), name="framework"),
    path(
        "organisations/<slug:slug>/assurance/objectives/new/",
        views.StrategicObjectiveCreateView.as_view(),
        name="objective_create",
    ),
    path(
        "organisations/<slug:slug>/assurance/principal-risks/new/",
        views.PrincipalRiskCreateView.as_view(),
        name="principal_risk_create",
    ),
    path(
        "organisations/<slug:slug>/assurance/committees/new/",
        views.CommitteeCreateView.as_view(),
        name="committee_create",
    ),
    path(
        "organisations/<slug:slug>/assurance/appetite/new/",
        views.RiskAppetiteCreateView.as_view(),
        name="appetite_create",
    ),
    path(
        "assurance/objectives/<int:pk>/edit/",
        views.StrategicObjectiveEditView.as_view(),
        name="objective_edit",
    ),
    path(
        "assurance/principal-risks/<int:pk>/",
        views.PrincipalRiskDetailView.as_view(),
        name="principal_risk_detail",
    ),
    path(
        "assurance/principal-risks/<int:pk>/edit/",
        views.PrincipalRiskEditView.as_view(),
        name="principal_risk_edit",
    ),
    path(
        "assurance/principal-risks/<int:pk>/controls/new/",
        views.ControlCreateView.as_view(),
        name="control_create",
    ),
    path("assurance/principal-risks/<int:pk>/gaps/new/", views.GapCreateView.as_view(), name="gap_create"),
    path("assurance/controls/<int:pk>/edit/", views.ControlEditView.as_view(), name="control_edit"),
    path(
        "assurance/controls/<int:pk>/assurances/new/",
        views.AssuranceCreateView.as_view(),
        name="assurance_create",
    ),
    path("assurance/assurances/<int:pk>/edit/", views.AssuranceEditView.as_view(), name="assurance_edit"),
    path("assurance/gaps/<int:pk>/edit/", views.GapEditView.as_view(), name="gap_edit"),
    path("assurance/committees/<int:pk>/", views.CommitteeDetailView.as_view(), name="committee_detail"),
    path(
        "assurance/committees/<int:pk>/papers/issue/",
        views.CommitteePaperIssueView.as_view(),
        name="committee_paper_issue",
    ),
    path(
        "assurance/committee-papers/<int:pk>/",
        views.CommitteePaperDetailView.as_view(),
        name="committee_paper_detail",
    ),
    path(
        "assurance/committee-papers/<int:pk>/pdf/",
        views.CommitteePaperPdfView.as_view(),
        name="committee_paper_pdf",
    ),
    path("assurance/committees/<int:pk>/edit/", views.CommitteeEditView.as_view(), name="committee_edit"),
    path("assurance/appetite/<int:pk>/edit/", views.RiskAppetiteEditView.as_view(), name="appetite_edit"),
]
