"""The demo accounts of `make run`, made once per database.

They are created on the first start only (a ``SeedRecord`` remembers it): an account or a
membership deleted, deactivated or changed afterwards is never brought back by a restart. The
known password (``DEMO_PASSWORD``, else the default) is used only with DEBUG on, as `make run`
runs; with ``--force`` on a DEBUG-off database each account gets a random password, printed
once."""

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.core.models import SeedRecord
from apps.organisations.models import Membership, Organisation

DEFAULT_PASSWORD = "ccgtrack-demo-2026"
DEMO_EMAIL_DOMAIN = "ccgtrack.example"
CREATED = {"model": "demo", "key": "accounts"}  # the SeedRecord saying they were made once

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
        if SeedRecord.objects.filter(**CREATED).exists():
            self.stdout.write(
                "Demo logins (made on the first start; one deleted or deactivated since is not made again):"
            )
            self._list(get_user_model().objects.filter(is_active=True).values_list("username", flat=True))
            return
        known = settings.DEBUG
        password = (os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD) if known else None
        User = get_user_model()
        passwords = {}
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
                passwords[username] = password or os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)
                user.set_password(passwords[username])
                user.save(update_fields=["password"])
            if slug and role is not None:
                organisation = Organisation.objects.get(slug=slug)
                Membership.objects.get_or_create(
                    user=user, organisation=organisation, defaults={"role": role}
                )
        SeedRecord.objects.create(**CREATED)
        if known:
            self.stdout.write(f"Demo logins (password of newly created accounts: {password}):")
            self._list([username for username, *_ in DEMO_ACCOUNTS])
        else:
            self.stdout.write("Demo logins, each with its own password (shown once, not stored):")
            for username, secret in passwords.items():
                self.stdout.write(f"  {username:<18} {secret}")

    def _list(self, usernames):
        existing = set(usernames)
        for username, _, _, slug, role in DEMO_ACCOUNTS:
            if username not in existing:
                continue
            what = "administrator" if role is None else f"{Membership.Role(role).label}, {slug}"
            self.stdout.write(f"  {username:<18} {what}")
