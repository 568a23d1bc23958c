"""Background work on Django's Tasks API (the django-tasks package; the database backend of
django-tasks-db in production, where `manage.py db_worker` runs the tasks, on as many machines
as you like).

django-tasks does not retry a failed task, so ``send_reminder`` does: when the mail server
refuses or cannot be reached it enqueues itself again, deferred by RETRY_DELAYS where the
backend can defer (the database backend) and at once where it cannot (the immediate backend of
`make run`). The ReminderDelivery row counts the attempts, whichever task makes them, so at most
MAX_ATTEMPTS are made for one email, and a sent email is never sent again."""

import logging

from django.utils import timezone
from django_tasks import task

from . import services

logger = logging.getLogger(__name__)


@task()
def send_reminder(user_id: int, kind: str, period: str) -> str:
    """Send one reminder email (see ``services.deliver``); returns what happened."""
    outcome = services.deliver(user_id=user_id, kind=kind, period=period)
    if outcome.retry:
        retry = send_reminder
        if send_reminder.get_backend().supports_defer:
            retry = send_reminder.using(run_after=timezone.now() + outcome.retry_delay)
        logger.warning(
            "Reminder %s/%s for user %s failed (attempt %s): %s; retrying",
            kind,
            period,
            user_id,
            outcome.attempts,
            outcome.error,
        )
        retry.enqueue(user_id, kind, period)
        return f"failed on attempt {outcome.attempts}; retry enqueued"
    if outcome.error is not None:
        # Out of attempts (or not a mail-server error): the task fails, with the traceback.
        raise outcome.error
    return outcome.state
