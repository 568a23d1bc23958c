from django.urls import path

from . import views

app_name = "risks"
urlpatterns = [
    path("risks/", views.RiskListView.as_view(), name="risk_list"),
    path("risks/heatmap/", views.HeatmapView.as_view(), name="heatmap"),
    path("risks/archived/", views.ArchivedRiskListView.as_view(), name="risk_archived"),
    path("risks/<int:pk>/", views.RiskDetailView.as_view(), name="risk_detail"),
    path("risks/<int:pk>/edit/", views.RiskDetailsEditView.as_view(), name="risk_edit"),
    path("risks/<int:pk>/archive/", views.RiskArchiveView.as_view(), name="risk_archive"),
    path("risks/<int:pk>/restore/", views.RiskRestoreView.as_view(), name="risk_restore"),
    path("organisations/<slug:slug>/risks/new/", views.RiskCreateView.as_view(), name="risk_create"),
]
