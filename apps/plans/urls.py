from django.urls import path

from . import views

app_name = "plans"
urlpatterns = [
    path("plans/<int:pk>/", views.PlanDetailView.as_view(), name="plan_detail"),
    path("plans/import/", views.PlanImportView.as_view(), name="plan_import_new"),
    path("plans/import/confirm/", views.PlanImportConfirmView.as_view(), name="plan_import_new_confirm"),
    path(
        "plans/import/template.<str:file_format>",
        views.PlanImportTemplateView.as_view(),
        name="plan_import_template",
    ),
    path("plans/<int:pk>/import/", views.PlanImportView.as_view(), name="plan_import"),
    path("plans/<int:pk>/import/confirm/", views.PlanImportConfirmView.as_view(), name="plan_import_confirm"),
    path("my/", views.MyWorkView.as_view(), name="my_work"),
    path("deliverables/", views.DeliverableListView.as_view(), name="deliverable_list"),
    path("deliverables/<int:pk>/", views.DeliverableDetailView.as_view(), name="deliverable_detail"),
    path("deliverables/<int:pk>/status/", views.DeliverableStatusView.as_view(), name="deliverable_status"),
    path(
        "organisations/<slug:slug>/self-assessment/",
        views.SelfAssessmentView.as_view(),
        name="self_assessment",
    ),
    # Adding to a plan, editing details, archiving and restoring (issue 19).
    path(
        "plans/<int:pk>/deliverables/new/", views.DeliverableCreateView.as_view(), name="deliverable_create"
    ),
    path("deliverables/archived/", views.ArchivedDeliverableListView.as_view(), name="deliverable_archived"),
    path("deliverables/<int:pk>/edit/", views.DeliverableDetailsEditView.as_view(), name="deliverable_edit"),
    path(
        "deliverables/<int:pk>/archive/", views.DeliverableArchiveView.as_view(), name="deliverable_archive"
    ),
    path(
        "deliverables/<int:pk>/restore/", views.DeliverableRestoreView.as_view(), name="deliverable_restore"
    ),
    path("plans/<int:pk>/themes/new/", views.ThemeCreateView.as_view(), name="theme_create"),
    path("themes/<int:pk>/edit/", views.ThemeEditView.as_view(), name="theme_edit"),
    path("themes/<int:pk>/objectives/new/", views.ObjectiveCreateView.as_view(), name="objective_create"),
    path("objectives/<int:pk>/edit/", views.ObjectiveEditView.as_view(), name="objective_edit"),
    path(
        "organisations/<slug:slug>/self-assessment/new/",
        views.SelfAssessmentCreateView.as_view(),
        name="self_assessment_create",
    ),
    path(
        "self-assessments/<int:pk>/edit/", views.SelfAssessmentEditView.as_view(), name="self_assessment_edit"
    ),
]
