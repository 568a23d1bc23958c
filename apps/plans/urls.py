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
]
