"""The board report's PDF, made once per state of the data, ahead of its readers (issue 20,
item 6): WeasyPrint takes seconds to lay a 120-deliverable report out (40 pages: 23 s on a busy
2-core machine), too long for anyone to wait for.

A PDF is kept in Django's file storage (the media folder, or the bucket several app servers
share) under a name made of the data versions of the plan's organisation (apps/core/freshness.py),
the release and the day: the task worker, which has no cache in common with the app servers
without Redis, and every app server find the same file. When the plan's data changes (a save
through the edit path, of a deliverable, a risk, a status or the cover sheet), the task worker
is asked to make the new PDF a little later (``AHEAD_DELAY``: a burst of changes makes one PDF),
and a reader who opens the report page asks for it too; a reader who asks for the PDF before it
is made waits for the one being made, else makes it. Older PDFs of the plan are deleted when a
new one is stored. With ``BOARD_REPORT_PDF_AHEAD`` off (the tests), the PDF is made when first
asked for, as before."""

import datetime
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import timezone

from apps.core import freshness
from apps.plans import selectors as plan_selectors

from . import selectors
from .pdf import html_to_pdf

FOLDER = "board-report-pdfs"
AHEAD_DELAY = datetime.timedelta(seconds=30)
WAIT_SECONDS = 60  # how long a reader waits for a PDF being made before making it


def _name(plan: Any) -> str:
    digest = freshness.key_of(
        freshness.RELEASE, freshness.versions((plan.organisation_id,)), timezone.localdate()
    )[:40]
    return f"{FOLDER}/plan-{plan.pk}/{digest}.pdf"


def is_stored(plan: Any) -> bool:
    """Whether the PDF of ``plan``'s data as it stands is made (without reading it)."""
    return default_storage.exists(_name(plan))


def stored(plan: Any) -> tuple[bytes, datetime.datetime] | None:
    """The PDF of ``plan``'s data as it stands, if made: (its bytes, when it was made)."""
    name = _name(plan)
    if not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as file:
        data = file.read()
    return data, timezone.localtime(default_storage.get_modified_time(name))


def make(plan: Any) -> tuple[bytes, datetime.datetime]:
    """The PDF of ``plan``'s data as it stands: the stored one, else made now (once: whoever
    else asks meanwhile waits for it) and stored."""
    name = _name(plan)  # the versions as read before the data
    found = stored(plan)
    if found is not None:
        return found
    lock = f"ccgtrack:pdf-making:{name}"
    if not cache.add(lock, 1, WAIT_SECONDS):
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline and cache.get(lock) is not None:
            time.sleep(0.25)
            found = stored(plan)
            if found is not None:
                return found
    try:
        context = selectors.board_report_of(
            plan_selectors.plan_detail_among(type(plan).objects.all(), plan.pk).plan
        )
        pdf = html_to_pdf(render_to_string("reports/board_report_pdf.html", context))
        if not default_storage.exists(name):
            default_storage.save(name, ContentFile(pdf))
        _delete_older(plan, keep=name)
        return pdf, context["read_at"]
    finally:
        cache.delete(lock)


def _delete_older(plan: Any, keep: str) -> None:
    folder = f"{FOLDER}/plan-{plan.pk}"
    try:
        _dirs, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError):
        return
    for file in files:
        if f"{folder}/{file}" != keep:
            default_storage.delete(f"{folder}/{file}")


def ahead() -> bool:
    return bool(getattr(settings, "BOARD_REPORT_PDF_AHEAD", False))


def asked_key(plan_id: int) -> str:
    return f"ccgtrack:pdf-asked:{plan_id}"


def ask_for(plan_ids: list[int], *, delay: datetime.timedelta | None = None) -> None:
    """Ask the task worker to make these plans' PDFs ``delay`` from now (AHEAD_DELAY: a burst of
    changes makes one PDF), once per plan while a task is waiting to run (or for ``delay``, at
    least 5 s, where the worker does not share the cache)."""
    from .tasks import make_board_report_pdf

    if not ahead():
        return
    delay = AHEAD_DELAY if delay is None else delay
    for plan_id in plan_ids:
        if not cache.add(asked_key(plan_id), 1, max(int(delay.total_seconds()), 5)):
            continue
        task = make_board_report_pdf
        if delay and task.get_backend().supports_defer:
            task = task.using(run_after=timezone.now() + delay)
        task.enqueue(plan_id)


def data_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    """post_save of what a board report shows (connected in ReportsConfig.ready): once the
    transaction commits, ask for the PDFs of the plans it belongs to."""
    if not ahead():
        return
    from django.db import transaction

    from apps.plans.models import ODPlan, Theme

    label = sender._meta.label
    if label == "plans.Deliverable":
        plans = list(Theme.objects.filter(pk=instance.theme_id).values_list("plan_id", flat=True))
    elif label == "risks.Risk":
        plans = list(
            ODPlan.objects.filter(organisation_id=instance.organisation_id).values_list("pk", flat=True)
        )
    else:  # reports.BoardReport, its cover sheet
        plans = [instance.plan_id]
    transaction.on_commit(lambda: ask_for(plans))
