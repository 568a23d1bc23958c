from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django_tasks import TaskResultStatus

from apps.reminders import services
from apps.reminders.tasks import send_reminder


class Command(BaseCommand):
    help = (
        "Send the reminders due now: each owner's digest (overdue, due in 30 days, no update for 60 "
        "days) and each staff lead's escalation list, once per person per week or day as they chose. "
        "Running it again in the same period sends nothing more. Schedule it daily (cron or a "
        "systemd timer); the emails are sent by tasks (`manage.py db_worker` in production)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="List who would get what; send and record nothing."
        )

    def handle(self, *args, dry_run=False, verbosity=1, **options):
        due = services.due_reminders()
        if dry_run:
            users = get_user_model().objects.in_bulk({d.user_id for d in due})
            shown = 0
            for item in due:
                reminder = services.build_reminder(users[item.user_id], item.kind, item.period)
                if reminder is None:
                    continue  # nothing they may see: no email
                shown += 1
                self.stdout.write(
                    f"would send {item.kind} ({item.period}) to {item.username} "
                    f"<{reminder.message.to[0]}>: {reminder.item_count} item(s)"
                )
                if verbosity > 1:
                    for section, obj in reminder.lines:
                        self.stdout.write(f"    {section}: {obj}")
            self.stdout.write(f"Dry run: {shown} email(s) would be sent; nothing was sent or recorded.")
            return
        for item in due:
            result = send_reminder.enqueue(item.user_id, item.kind, item.period)
            if result.status == TaskResultStatus.SUCCESSFUL:
                outcome = result.return_value  # the immediate backend ran it already
            else:
                outcome = result.status.lower()
            if verbosity > 1 or result.status == TaskResultStatus.FAILED:
                self.stdout.write(f"{item.kind} ({item.period}) for {item.username}: {outcome}")
        self.stdout.write(f"{len(due)} reminder task(s) enqueued.")
