from django.urls import path

from . import views

app_name = "plans"
urlpatterns = [
    path("plans/<int:pk>/", views.PlanDetailView.as_view(), name="plan_detail"),
    path("deliverables/", views.DeliverableListView.as_view(), name="deliverable_list"),
    path("deliverables/<int:pk>/", views.DeliverableDetailView.as_view(), name="deliverable_detail"),
    path("deliverables/<int:pk>/status/", views.DeliverableStatusView.as_view(), name="deliverable_status"),
    path(
        "organisations/<slug:slug>/self-assessment/",
        views.SelfAssessmentView.as_view(),
        name="self_assessment",
    ),
]
