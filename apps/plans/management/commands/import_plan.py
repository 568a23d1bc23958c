"""manage.py import_plan FILE --organisation SLUG [--plan ID] [--dry-run] --user USERNAME

The web import's rules from the command line: the same checks, the same preview (printed), one
transaction, every change through the plan services and recorded under ``--user`` (an
administrator, or staff of the organisation), with the note "Imported from <file>"."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.organisations import permissions
from apps.organisations.models import Organisation
from apps.plans import imports
from apps.plans.models import ODPlan


class Command(BaseCommand):
    help = "Import an OD plan from an XLSX or CSV file (the import page's rules; preview printed)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The .xlsx or .csv file.")
        parser.add_argument("--organisation", required=True, help="The organisation's slug.")
        parser.add_argument("--plan", type=int, help="The plan to update; without it a new plan is created.")
        parser.add_argument(
            "--user",
            required=True,
            help="The account the import is recorded under: an administrator or staff of the organisation.",
        )
        parser.add_argument("--title", help="A new plan's title (default: the file name).")
        parser.add_argument("--period", default="", help="A new plan's period, e.g. 2024-2027.")
        parser.add_argument("--dry-run", action="store_true", help="Print the preview; save nothing.")
        parser.add_argument(
            "--accept",
            default="",
            help="References of rows in conflict (changed by someone else since the file's version) to "
            "apply anyway, comma-separated, e.g. 1.4,2.3; other conflicts are left as they are.",
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            organisation = Organisation.objects.get(slug=options["organisation"])
        except Organisation.DoesNotExist as exc:
            raise CommandError(f"No organisation with the slug {options['organisation']!r}.") from exc
        try:
            user = get_user_model().objects.get(username=options["user"])
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user {options['user']!r}.") from exc
        if not permissions.can_edit(user, organisation):
            raise CommandError(f"{user} may not edit {organisation}: nothing was imported.")
        plan = None
        if options["plan"] is not None:
            try:
                plan = ODPlan.objects.select_related("organisation").get(pk=options["plan"])
            except ODPlan.DoesNotExist as exc:
                raise CommandError(f"No plan {options['plan']}.") from exc
            if plan.organisation_id != organisation.pk:
                raise CommandError(f"Plan {plan.pk} belongs to {plan.organisation}, not {organisation}.")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        try:
            preview = imports.build_preview(
                target=imports.Target.load(organisation, plan), file_name=path.name, data=data
            )
        except imports.FileRejected as rejected:
            raise CommandError(f"{path.name}: {rejected} Nothing was imported.") from rejected
        for line in imports.preview_lines(preview):
            self.stdout.write(line)
        if not preview.ok:
            raise CommandError(
                f"{len(preview.errors)} errors: nothing was imported. Correct the file and run again."
            )
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was saved.")
            return
        new_plan = None
        if plan is None:
            new_plan = {"title": options["title"] or path.stem, "period_label": options["period"]}
        try:
            wanted = {ref.strip() for ref in options["accept"].split(",") if ref.strip()}
            unknown = wanted - {o.reference for o in preview.conflicts}
            if unknown:
                raise CommandError(
                    f"Not rows in conflict: {', '.join(sorted(unknown))}. Nothing was imported."
                )
            accept = [o.deliverable_id for o in preview.conflicts if o.reference in wanted]
            plan = imports.apply(preview, acting_user=user, new_plan=new_plan, accept=accept)
        except imports.ImportConflict as conflict:
            raise CommandError(f"{conflict} Nothing was imported; run again.") from conflict
        except (PermissionDenied, ValidationError) as error:
            message = " ".join(getattr(error, "messages", [str(error)]))
            raise CommandError(f"{message} Nothing was imported.") from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported into plan {plan.pk} ({plan}): {len(preview.new)} added, "
                f"{len(preview.changed)} changed, {len(preview.unchanged)} unchanged."
            )
        )
