from django.urls import path

from . import views

app_name = "reminders"
urlpatterns = [
    path("my/reminders/", views.ReminderPreferenceView.as_view(), name="preferences"),
]
