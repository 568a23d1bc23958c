"""`make bench`: time the dashboards and list pages on generated data in a throw-away database.

- `make bench` (seed scale): the seed plus 5,000 generated deliverables and 50,000 history rows,
  timed through the test client; prints median and 95th percentile times and queries per page, and
  fails (exit 1) if any page's 95th percentile is over the budget (300 ms by default).
- `make bench SCALE=national`: every CCG in England with a plan (apps/dashboards/bench_national.py),
  served by gunicorn with the production settings; each page is measured against a trivial view
  (apps/dashboards/bench_http.py) and reported as a ratio of requests per second, with p50, p95 and
  queries per page, the exports and the board report PDF."""

import datetime
import os
import random
import statistics
import time
from urllib.parse import quote

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.dashboards import bench_http, bench_national
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
        parser.add_argument("--scale", choices=["seed", "national"], default="seed")
        parser.add_argument("--seconds", type=int, default=4, help="national: seconds per load run")
        parser.add_argument("--rounds", type=int, default=3, help="national: interleaved rounds per page")
        parser.add_argument("--connections", type=int, default=4, help="national: concurrent clients")
        parser.add_argument("--workers", type=int, default=2, help="national: gunicorn workers")
        parser.add_argument("--worker-class", default=None, help="national: gunicorn worker class")
        parser.add_argument("--threads", type=int, default=None, help="national: gunicorn threads")
        parser.add_argument("--only", default="", help="national: measure only pages whose label has this")

    def handle(self, *args, **options):
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        connection.settings_dict.setdefault("TEST", {})["NAME"] = f"{connection.settings_dict['NAME']}_bench"
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            call_command("load_seed", verbosity=0)
            seed_queries = {}
            if options["scale"] == "national":
                seed_queries = self.count_queries(self.national_pages(seed=True)[0])
            started = time.perf_counter()
            if options["scale"] == "national":
                made = bench_national.generate()
                took = time.perf_counter() - started
                self.stdout.write(
                    f"Generated {made['ccgs']} CCGs, {made['deliverables']:,} deliverables, "
                    f"{made['risks']:,} risks, {made['status_updates']:,} status updates and "
                    f"{made['audit_events']:,} audit events in {took:.1f} s."
                )
                failures = self.measure_national(options, seed_queries)
            else:
                self.generate(options)
                self.stdout.write(
                    f"Generated {options['deliverables']:,} deliverables, {options['history']:,} history "
                    f"rows and {options['risks']:,} risks in {time.perf_counter() - started:.1f} s "
                    f"(database {connection.settings_dict['NAME']})."
                )
                failures = self.measure(options)
        finally:
            if not options["keep"]:
                connection.creation.destroy_test_db(old_name, verbosity=0)
        if failures and options["scale"] == "national":
            raise CommandError("Query counts grew with the data: " + "; ".join(failures))
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

    def after_a_write(self, server, path, cookie):
        """Milliseconds for the page's first request after a write (a deliverable saved: the
        data version moves, so nothing is read from the cache and every figure is computed)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE plans_deliverable SET updated_at = now() "
                "WHERE id = (SELECT min(id) FROM plans_deliverable)"
            )
        connection.close()
        seconds, _size, _growth = bench_http.single(server, path, cookie)
        return seconds * 1000

    def count_queries(self, pages):
        """Per page, as computed (nothing read from the cache), as the benchmark user, in this
        process: {label: (queries, median milliseconds of 3)}."""
        client = self.admin_client()
        counts = {}
        for label, url in pages:
            client.get(url)
            times = []
            for _ in range(3):
                cache.clear()
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    assert client.get(url).status_code == 200, url
                    times.append((time.perf_counter() - started) * 1000)
            counts[label] = (len(captured.captured_queries), statistics.median(times))
        return counts

    def admin_client(self):
        admin, _ = get_user_model().objects.get_or_create(
            username="bench.admin", defaults={"is_superuser": True, "is_staff": True}
        )
        client = Client()
        client.force_login(admin)
        return client

    def national_pages(self, seed=False):
        """The pages measured, on a generated CCG (``seed``: on Dorset, before generating)."""
        ccgs = Organisation.objects.filter(
            **({"slug": "nhs-dorset-ccg"} if seed else {"slug__startswith": "nhs-generated-"})
        )
        ccg = ccgs.order_by("pk").first()
        plan = ODPlan.objects.filter(organisation=ccg).first()
        deliverable = Deliverable.objects.filter(theme__plan=plan).order_by("pk").first()
        if ccg is None or plan is None or deliverable is None:
            raise CommandError("No generated national data: run the national mode's setup first.")
        return [
            ("deliverable detail", deliverable.get_absolute_url()),
            ("/national/", "/national/"),
            ("plan page", plan.get_absolute_url()),
            ("board report", f"/plans/{plan.pk}/report/"),
            ("heat map", "/risks/heatmap/"),
            ("national dashboard", "/dashboard/"),
            ("risk register", "/risks/"),
            ("deliverables list, all", "/deliverables/"),
            ("deliverables list, status filter", "/deliverables/?status=in_progress"),
            ("deliverables list, text search", "/deliverables/?q=engagement"),
            ("deliverables list, within a CCG", f"/deliverables/?within={ccg.pk}"),
            ("a CCG's dashboard", f"/dashboard/{ccg.slug}/"),
            ("Dorset's dashboard", "/dashboard/nhs-dorset-ccg/"),
            ("NHS CB roll-up dashboard", "/dashboard/nhs-commissioning-board/"),
        ], plan

    def measure_national(self, options, seed_queries):
        client = self.admin_client()
        cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        pages, plan = self.national_pages()
        pages = [(label, url) for label, url in pages if options["only"] in label]
        queries = self.count_queries(pages)
        grown = [label for label, _url in pages if queries[label][0] != seed_queries[label][0]]
        connection.close()  # the server's workers take over the database
        database = connection.settings_dict
        host, port = database["HOST"] or "127.0.0.1", database["PORT"] or 5432
        host = quote(host, safe="") if host.startswith("/") else host  # the embedded server's socket
        url = f"postgres://{database['USER']}@{host}:{port}/{database['NAME']}"
        if database.get("PASSWORD"):
            url = url.replace("@", f":{database['PASSWORD']}@", 1)
        self.stdout.write(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        server = bench_http.Server(
            url, workers=options["workers"], worker_class=options["worker_class"], threads=options["threads"]
        )
        try:
            header = (
                f"{'page':<36} {'ratio':>6} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8} {'errors':>7}"
                f" {'after a write ms':>17} {'computed ms':>13}"
            )
            self.stdout.write(
                "queries and computed ms: nothing from the cache, in this process, at seed scale / "
                "national scale; after a write: the server's first request once the data changed"
            )
            self.stdout.write(header)
            self.stdout.write("-" * len(header))
            run = dict(seconds=options["seconds"], connections=options["connections"])
            anonymous = bench_http.load(server.url + "/bench/ok-anonymous/", "", **run)
            logged_in = bench_http.load(server.url + "/bench/ok/", cookie, **run)
            self.stdout.write(
                f"{'trivial view, logged in / anonymous':<36} {logged_in.rps / anonymous.rps:>6.2f} "
                f"{logged_in.p50_ms:>8.1f} {logged_in.p95_ms:>8.1f} {'':>8} {logged_in.errors:>7}"
                f"   ({logged_in.rps:.0f} vs {anonymous.rps:.0f} requests/s)"
            )
            for label, path in pages:
                ratio, page_runs, _ = bench_http.compare(
                    server, path, cookie, rounds=options["rounds"], **run
                )
                p50 = statistics.median(r.p50_ms for r in page_runs)
                p95 = statistics.median(r.p95_ms for r in page_runs)
                errors = sum(r.errors for r in page_runs)
                after_write = statistics.median(self.after_a_write(server, path, cookie) for _ in range(3))
                self.stdout.write(
                    f"{label:<36} {ratio:>6.3f} {p50:>8.1f} {p95:>8.1f} "
                    f"{f'{seed_queries[label][0]}/{queries[label][0]}':>8} {errors:>7} {after_write:>17.1f} "
                    f"{f'{seed_queries[label][1]:.0f}/{queries[label][1]:.0f}':>13}"
                )
            if not options["only"]:
                for label, path in [
                    ("CSV export, every deliverable", "/deliverables/?_export=csv"),
                    ("XLSX export, every deliverable", "/deliverables/?_export=xlsx"),
                    ("board report PDF (120 deliverables)", f"/plans/{plan.pk}/report/pdf/"),
                    ("the same PDF again, nothing changed", f"/plans/{plan.pk}/report/pdf/"),
                ]:
                    seconds, size, growth = bench_http.single(server, path, cookie)
                    self.stdout.write(
                        f"{label:<36} {seconds:>8.2f} s  {size / 1e6:>6.1f} MB  "
                        f"worker memory +{growth:.0f} MB"
                    )
        finally:
            server.stop()
            self.stdout.write(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        # Query counts must not grow with the data: the same at seed and at national scale.
        return [
            f"{label}: {seed_queries[label][0]} queries at seed scale, {queries[label][0]} at national"
            for label in grown
        ]
