from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("plans/<int:pk>/report/", views.BoardReportView.as_view(), name="board_report"),
    path("plans/<int:pk>/report/pdf/", views.BoardReportPdfView.as_view(), name="board_report_pdf"),
    path("plans/<int:pk>/report/cover/", views.CoverEditView.as_view(), name="cover_edit"),
]
