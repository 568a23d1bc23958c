"""`make bench`: time the dashboards and list pages on the seed data plus 5,000 generated
deliverables and 50,000 history rows, in a throw-away database.

Prints median and 95th percentile times and queries per page, and fails (exit 1) if any page's
95th percentile is over the budget (300 ms by default)."""

import datetime
import random
import statistics
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.organisations.models import Membership, Organisation
from apps.plans.models import Deliverable, ODPlan, StatusUpdate, Theme
from apps.risks.models import Risk

PAGES = [
    ("Organisation dashboard (Dorset)", "/dashboard/nhs-dorset-ccg/"),
    ("Organisation dashboard (NHS CB roll-up)", "/dashboard/nhs-commissioning-board/"),
    ("National dashboard", "/dashboard/"),
    ("Deliverables list", "/deliverables/"),
    ("Deliverables list, overdue filter", "/deliverables/?overdue=true&sort=-deadline"),
    ("Deliverables list, text search", "/deliverables/?q=engagement"),
    ("Risk register", "/risks/"),
    ("Risk heat map", "/risks/heatmap/"),
    ("National picture", "/national/"),
    ("Dorset OD plan page", "/plans/1/"),
]
STATUSES = [choice for choice, _ in Deliverable.Status.choices]


class Command(BaseCommand):
    help = "Benchmark the dashboard and list pages on generated data (a throw-away database)."

    def add_arguments(self, parser):
        parser.add_argument("--deliverables", type=int, default=5000)
        parser.add_argument("--history", type=int, default=50000)
        parser.add_argument("--risks", type=int, default=500)
        parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
        parser.add_argument("--budget-ms", type=float, default=300.0)
        parser.add_argument("--keep", action="store_true", help="keep the generated database for profiling")

    def handle(self, *args, **options):
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        connection.settings_dict.setdefault("TEST", {})["NAME"] = f"{connection.settings_dict['NAME']}_bench"
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            call_command("load_seed", verbosity=0)
            started = time.perf_counter()
            self.generate(options)
            self.stdout.write(
                f"Generated {options['deliverables']:,} deliverables, {options['history']:,} history rows "
                f"and {options['risks']:,} risks in {time.perf_counter() - started:.1f} s "
                f"(database {connection.settings_dict['NAME']})."
            )
            failures = self.measure(options)
        finally:
            if not options["keep"]:
                connection.creation.destroy_test_db(old_name, verbosity=0)
        if failures:
            raise CommandError(f"Over the {options['budget_ms']:.0f} ms budget: {', '.join(failures)}")

    def generate(self, options):
        rng = random.Random(2012)
        dorset = Organisation.objects.get(slug="nhs-dorset-ccg")
        plan = ODPlan.objects.create(
            organisation=dorset, title="Generated plan (benchmark)", period_label="2020-2027"
        )
        themes = [
            Theme.objects.create(plan=plan, number=n, title=f"Generated theme {n}") for n in range(1, 11)
        ]
        today = timezone.localdate()
        deliverables = Deliverable.objects.bulk_create(
            Deliverable(
                theme=themes[i % len(themes)],
                position=i // len(themes) + 1,
                title=f"Generated deliverable {i}: strengthen engagement and governance",
                status=rng.choice(STATUSES),
                deadline=today + datetime.timedelta(days=rng.randint(-900, 400)),
                in_progress_narrative="Generated narrative for benchmarking.",
                cost_amount=rng.choice([None, None, 500, 2000]),
            )
            for i in range(options["deliverables"])
        )
        user = get_user_model().objects.create(username="bench.staff")
        Membership.objects.create(user=user, organisation=dorset, role=Membership.Role.STAFF)
        start = timezone.now() - datetime.timedelta(days=730)
        StatusUpdate.objects.bulk_create(
            StatusUpdate(
                deliverable=rng.choice(deliverables),
                created_by=user,
                created_at=start + datetime.timedelta(minutes=rng.randint(0, 730 * 24 * 60)),
                from_status=rng.choice(STATUSES),
                to_status=rng.choice(STATUSES),
                note="Generated progress note.",
            )
            for _ in range(options["history"])
        )
        Risk.objects.bulk_create(
            Risk(
                organisation=dorset,
                reference=f"B{i}",
                description=f"Generated risk {i}",
                severity=(s := rng.randint(1, 5)),
                likelihood=(lik := rng.randint(1, 5)),
                residual_severity=rng.randint(1, s),
                residual_likelihood=rng.randint(1, lik),
                next_review_on=today + datetime.timedelta(days=rng.randint(-60, 120)),
            )
            for i in range(options["risks"])
        )
        connection.cursor().execute("ANALYZE")

    def measure(self, options):
        admin = get_user_model().objects.create(username="bench.admin", is_superuser=True, is_staff=True)
        client = Client()
        client.force_login(admin)
        failures = []
        header = f"{'page':<42} {'median ms':>10} {'p95 ms':>8} {'queries':>8}  result"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for label, url in PAGES:
            for _ in range(3):  # warm up
                assert client.get(url).status_code == 200, url
            times, queries = [], 0
            for _ in range(options["requests"]):
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, url
                queries = len(captured.captured_queries)
            median = statistics.median(times)
            p95 = statistics.quantiles(times, n=20)[18] if len(times) >= 2 else times[0]
            ok = p95 <= options["budget_ms"]
            if not ok:
                failures.append(label)
            self.stdout.write(
                f"{label:<42} {median:>10.1f} {p95:>8.1f} {queries:>8}  {'ok' if ok else 'OVER BUDGET'}"
            )
        return failures
