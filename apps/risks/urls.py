from django.urls import path

from . import views

app_name = "risks"
urlpatterns = [
    path("risks/", views.RiskListView.as_view(), name="risk_list"),
    path("risks/heatmap/", views.HeatmapView.as_view(), name="heatmap"),
    path("risks/<int:pk>/", views.RiskDetailView.as_view(), name="risk_detail"),
]
