"""The reminder tasks on django-tasks' database backend, run by the real `manage.py db_worker`
(a transactional test: the worker and the tasks commit, as they do in production)."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from apps.reminders import services
from apps.reminders.models import Frequency, ReminderDelivery
from tests.reminders.conftest import DATABASE, World

pytestmark = pytest.mark.django_db(transaction=True)


def worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0", verbosity=0)


def test_db_worker_sends_retries_later_and_never_sends_twice(settings, smtp_server):
    settings.TASKS = DATABASE
    world = World()
    for user in (world.colleague, world.lead):
        services.preference_set(user=user, frequency=Frequency.NONE)
    smtp_server.refuse = 1

    call_command("send_reminders", verbosity=0)
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    assert not smtp_server.received and not ReminderDelivery.objects.exists()  # nothing sent yet

    worker()  # attempt 1: refused; the task enqueues its retry, deferred
    delivery = ReminderDelivery.objects.get()
    assert (delivery.state, delivery.attempts) == ("failed", 1)
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after > timezone.now() + datetime.timedelta(seconds=50)
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 1

    call_command("send_reminders", verbosity=0)  # the job again, before the retry is due
    worker()  # runs the job's new task (attempt 2), not the deferred retry
    assert len(smtp_server.received) == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("sent", 2)

    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    worker()  # the retry comes due: the email went already, so it sends nothing
    retry.refresh_from_db()
    assert retry.status == "SUCCESSFUL" and retry.return_value == "already sent"
    assert len(smtp_server.received) == 1
    call_command("send_reminders", verbosity=0)
    assert not DBTaskResult.objects.filter(status="READY").exists()
