from django.urls import path

from . import views

app_name = "evidence"
urlpatterns = [
    path("evidence/", views.EvidenceListView.as_view(), name="item_list"),
    path("organisations/<slug:slug>/evidence/", views.EvidenceListView.as_view(), name="library"),
    path("organisations/<slug:slug>/evidence/new/", views.EvidenceCreateView.as_view(), name="item_create"),
    path("evidence/link/", views.EvidenceLinkView.as_view(), name="link_create"),
    path("evidence/<int:pk>/", views.EvidenceDetailView.as_view(), name="item_detail"),
    path("evidence/<int:pk>/edit/", views.EvidenceEditView.as_view(), name="item_edit"),
    path("evidence/<int:pk>/files/new/", views.RevisionCreateView.as_view(), name="revision_create"),
    path("evidence/<int:pk>/archive/", views.EvidenceArchiveView.as_view(), name="item_archive"),
    path("evidence/<int:pk>/restore/", views.EvidenceRestoreView.as_view(), name="item_restore"),
    path("evidence/links/<int:pk>/remove/", views.EvidenceUnlinkView.as_view(), name="link_remove"),
    path("evidence/files/<int:pk>/", views.download, name="revision_download"),
]
