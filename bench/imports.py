"""How long importing 1,000 changed rows takes (issue 20, item 4), through the import's one
service: `make bench-import` (or `DJANGO_SETTINGS_MODULE=ccgtrack.settings_test python -m
bench.imports [--rows N] [--repeat R]`).

In a throw-away database (Django's test database, made and dropped here), with the seed loaded,
it adds a plan of N deliverables (1,000 by default) to Dorset, exports them as the deliverables
list exports them (XLSX), changes every row of the file (a status, a narrative, a comment and,
on every other row, the authorisation domains), then times, as staff of Dorset:

- the preview (``imports.build_preview``: reading, mapping, checking), and
- the confirmed import (``imports.apply``: the plan locked, the file read again and compared,
  every row saved through the deliverables' edit path in one batch: locks, versions, audit
  events, one history row each),

counting the queries of each, and checks that every row changed and has its history row. Not a
test: timings on a shared machine vary; tests never assert them."""

import argparse
import io
import os
import statistics
import sys
import time


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccgtrack.settings_test")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        call_command("load_seed", verbosity=0)
        results = [
            _one_run(options.rows, run, CaptureQueriesContext, connection) for run in range(options.repeat)
        ]
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    previews = [r[0] for r in results]
    applies = [r[1] for r in results]
    print(
        f"Import of {options.rows:,} changed rows, {options.repeat} runs "
        f"(median; each run a fresh plan):\n"
        f"  preview  {statistics.median(previews):6.2f} s   {results[0][2]:5d} queries\n"
        f"  confirm  {statistics.median(applies):6.2f} s   {results[0][3]:5d} queries\n"
        f"  total    {statistics.median([p + a for p, a in zip(previews, applies, strict=True)]):6.2f} s"
    )
    return 0


def _one_run(rows, run, CaptureQueriesContext, connection):
    from openpyxl import load_workbook

    from apps.core import exports
    from apps.organisations.models import Membership, Organisation
    from apps.plans import imports
    from apps.plans.models import AuthorisationDomain, Deliverable, ODPlan, StatusUpdate, Theme
    from tests.factories import MembershipFactory, UserFactory
    from tests.plans.import_files import to_xlsx

    dorset = Organisation.objects.get(slug="nhs-dorset-ccg")
    user = UserFactory(username=f"bench.import.{run}")
    MembershipFactory(user=user, organisation=dorset, role=Membership.Role.STAFF)
    plan = ODPlan.objects.create(organisation=dorset, title=f"Bench plan {run}", period_label="2026")
    themes = [Theme.objects.create(plan=plan, number=n, title=f"Theme {n}") for n in range(1, 11)]
    Deliverable.objects.bulk_create(
        [
            Deliverable(
                theme=themes[i % 10], position=i // 10 + 1, title=f"Deliverable {i}", status="in_progress"
            )
            for i in range(rows)
        ]
    )
    queryset = Deliverable.objects.filter(theme__plan=plan).order_by("theme__number", "position")
    out = io.BytesIO()
    exports.write_xlsx(
        out, imports.EXPORT, exports.export_rows(queryset, imports.EXPORT), exports.About("Bench")
    )
    sheet = load_workbook(io.BytesIO(out.getvalue())).worksheets[0]
    table = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = table[0]
    column = {name: header.index(name) for name in header}
    domains = "; ".join(str(d.number) for d in AuthorisationDomain.objects.order_by("number")[:2])
    for n, row in enumerate(table[1:]):
        row[column[imports.STATUS]] = "Delivered"
        row[column[imports.IN_PROGRESS]] = f"Finished in run {run}, row {n}."
        row[column[imports.COMMENTS]] = "Signed off at the Executive."
        if n % 2 == 0:
            row[column[imports.DOMAINS]] = domains
    data = to_xlsx(table)
    with CaptureQueriesContext(connection) as preview_queries:
        started = time.perf_counter()
        preview = imports.build_preview(
            target=imports.Target.load(dorset, plan), file_name="bench.xlsx", data=data
        )
        preview_seconds = time.perf_counter() - started
    assert preview.ok and len(preview.changed) == rows, (preview.errors[:3], len(preview.changed))
    with CaptureQueriesContext(connection) as apply_queries:
        started = time.perf_counter()
        imports.apply(preview, acting_user=user)
        apply_seconds = time.perf_counter() - started
    assert queryset.filter(status="delivered", version=2).count() == rows
    assert StatusUpdate.objects.filter(deliverable__theme__plan=plan).count() == rows
    return preview_seconds, apply_seconds, len(preview_queries), len(apply_queries)


if __name__ == "__main__":
    sys.exit(main())
