import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.organisations.models import Membership, Organisation

DEFAULT_PASSWORD = "ccgtrack-demo-2026"
DEMO_EMAIL_DOMAIN = "ccgtrack.example"

# username, first name, last name, organisation slug, role (None: admin)
DEMO_ACCOUNTS: list[tuple[str, str, str, str | None, str | None]] = [
    ("admin", "Demo", "Administrator", None, None),
    ("staff.dorset", "Dorset", "Staff", "nhs-dorset-ccg", Membership.Role.STAFF),
    ("staff.darlington", "Darlington", "Staff", "nhs-darlington-ccg", Membership.Role.STAFF),
    ("board.dorset", "Dorset", "Board member", "nhs-dorset-ccg", Membership.Role.GOVERNING_BODY),
    ("orgadmin.dorset", "Dorset", "Organisation administrator", "nhs-dorset-ccg", Membership.Role.ORG_ADMIN),
]


class Command(BaseCommand):
    help = "Create the demo accounts (development only: refuses when DEBUG is off unless --force)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Create them even with DEBUG off.")

    @transaction.atomic
    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Demo accounts are for development: run with DEBUG=1 (as `make run` does).")
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
        User = get_user_model()
        for username, first, last, slug, role in DEMO_ACCOUNTS:
            # Create what is missing; never reset an account or a role someone has changed.
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    # Invitations and reminders need an address (`make run` prints the emails).
                    "email": f"{username}@{DEMO_EMAIL_DOMAIN}",
                    "is_superuser": role is None,
                    "is_staff": role is None,
                },
            )
            if created:
                user.set_password(password)
                user.save(update_fields=["password"])
            if slug and role is not None:
                organisation = Organisation.objects.get(slug=slug)
                Membership.objects.get_or_create(
                    user=user, organisation=organisation, defaults={"role": role}
                )
        self.stdout.write(f"Demo logins (password of newly created accounts: {password}):")
        for username, _, _, slug, role in DEMO_ACCOUNTS:
            what = "administrator" if role is None else f"{Membership.Role(role).label}, {slug}"
            self.stdout.write(f"  {username:<18} {what}")
