from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("plans/<int:pk>/report/", views.BoardReportView.as_view(), name="board_report"),
    path("plans/<int:pk>/report/pdf/", views.BoardReportPdfView.as_view(), name="board_report_pdf"),
    path("plans/<int:pk>/report/cover/", views.CoverEditView.as_view(), name="cover_edit"),
    path("plans/<int:pk>/report/issue/", views.IssuePaperView.as_view(), name="issue"),
    path("plans/<int:pk>/reports/", views.PlanPapersView.as_view(), name="paper_list"),
    path("reports/<int:pk>/", views.PaperDetailView.as_view(), name="paper_detail"),
    path("reports/<int:pk>/pdf/", views.PaperPdfView.as_view(), name="paper_pdf"),
    path("reports/<int:pk>/compare/<int:other>/", views.PaperCompareView.as_view(), name="paper_compare"),
]
