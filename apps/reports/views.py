import datetime
import hashlib
import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe
from django.views import View

from apps.core import receipts
from apps.core.edit_views import VersionedEditView
from apps.core.forms import add_service_errors
from apps.core.freshness import cached
from apps.organisations import permissions
from apps.plans import selectors as plan_selectors
from apps.plans.models import ODPlan

from . import paper, pdfs, selectors, services
from .forms import BoardReportForm, IssuePaperForm
from .models import BoardReport, IssuedPaper
from .pdf import PdfError
from .tables import IssuedPaperTable

logger = logging.getLogger(__name__)


def _report_context_or_404(user, pk):
    try:
        return selectors.board_report(plan_id=pk, user=user)
    except ODPlan.DoesNotExist as exc:
        # Existing but invisible is a 404 too, as on the plan page.
        raise Http404("No such plan.") from exc


def _visible_plan_or_404(user, pk):
    try:
        return plan_selectors.plan_list(user=user).get(pk=pk)
    except ODPlan.DoesNotExist as exc:
        raise Http404("No such plan.") from exc


READ_AT_MARK = "__ccgtrack_read_at__"


def _live_report_page(user, pk):
    """The live report's HTML body, with the plan and its latest issued paper, kept until the
    data changes (apps/core/freshness.py) and read now: while nothing was written, the paper the
    data gives now is the one already drawn, the same for every reader who may see the plan (the
    body shows nothing of its reader), so only the moment it was read is put in afresh (the
    changes since the latest issued paper end then, and none were recorded in between)."""
    plan = _visible_plan_or_404(user, pk)

    def draw():
        context = _report_context_or_404(user, pk)
        context["paper"]["read_at_text"] = READ_AT_MARK
        body = render_to_string("reports/_report_body.html", {"paper": context["paper"], "pdf": False})
        return {k: context[k] for k in ("plan", "baseline", "totals")} | {"body": body}

    page = cached("board-report-page", (pk,), draw, scopes=(plan.organisation_id,))
    read_at = timezone.localtime()
    body = page["body"].replace(READ_AT_MARK, date_format(read_at, "j F Y, H:i T"))
    # What the body was drawn from, read only if asked (the template never does; tests do).
    report = SimpleLazyObject(lambda: _report_context_or_404(user, pk))
    return page | {
        "body": mark_safe(body),  # our own template's HTML
        "read_at": read_at,
        "snapshot": SimpleLazyObject(lambda: report["snapshot"]),
        "paper": SimpleLazyObject(lambda: report["paper"]),
    }


class BoardReportView(View):
    """The printable board report of a plan, drawn from live data: cover sheet, what changed
    since the latest issued paper, body and appendices."""

    def get(self, request, pk):
        context = _live_report_page(request.user, pk)
        context["can_edit"] = permissions.can_edit(request.user, context["plan"].organisation)
        if pdfs.ahead() and not pdfs.is_stored(context["plan"]):
            pdfs.ask_for([pk], delay=datetime.timedelta(0))  # its reader may well want the PDF next
        return render(request, "reports/board_report.html", context)


class BoardReportPdfView(View):
    """The same live report as a PDF download (A4), made once per state of the data and kept
    (apps/reports/pdfs.py): WeasyPrint takes seconds to lay out a 40-page report, so the task
    worker makes it ahead when the data change, and every download is a PDF already made, which
    says when its data was read (nothing has changed since)."""

    def get(self, request, pk):
        plan = _visible_plan_or_404(request.user, pk)
        try:
            pdf, read_at = pdfs.make(plan)
        except PdfError as exc:
            # Say so on the report page (which prints to A4 as well) rather than fail with a 500.
            logger.error("Board report PDF of plan %s failed: %s", plan.pk, exc)
            messages.error(request, "The PDF could not be made on this server; print the page instead.")
            return redirect("reports:board_report", pk=plan.pk)
        response = HttpResponse(pdf, content_type="application/pdf")
        filename = f"board-report-plan-{plan.pk}-{read_at:%Y%m%d-%H%M}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class CoverEditView(VersionedEditView):
    """The cover sheet form, for staff who may edit the plan's organisation. The form carries the
    id of the report it was opened for, so a save never lands on another report (for example
    when someone moves a meeting date and a different report becomes the latest)."""

    template_name = "reports/cover_edit.html"
    form_class = BoardReportForm
    service = services.cover_sheet_edit
    form_only = True
    success_message = "Cover sheet saved."
    conflict_message = (
        "Someone else saved this cover sheet while you were editing it. Your changes were not saved: "
        "the form shows the current values, and what you typed is shown beside it."
    )

    def get_object(self, request, pk):
        plan = _visible_plan_or_404(request.user, pk)
        if request.method != "POST":
            return self._latest_or_new(plan)
        report_id = request.POST.get("report", "")
        if not report_id:
            return self._new(plan)
        try:
            return BoardReport.objects.select_related("plan__organisation").get(pk=int(report_id), plan=plan)
        except (ValueError, BoardReport.DoesNotExist) as exc:
            raise Http404("No such board report for this plan.") from exc

    def current_object(self, request, obj, pk):
        return self._latest_or_new(obj.plan)

    def save(self, request, obj, form):
        return services.board_report_save(
            plan=obj.plan,
            report_id=obj.pk,
            acting_user=request.user,
            expected_version=form.cleaned_data["version"],
            data=form.cover(),
            via="form",
        )

    def success_url(self, obj):
        return reverse("reports:board_report", args=[obj.plan_id])

    def get_context(self, request, obj):
        return {"plan": obj.plan}

    @classmethod
    def _latest_or_new(cls, plan):
        return services.latest_report(plan) or cls._new(plan)

    @staticmethod
    def _new(plan):
        return BoardReport(plan=plan, title=f"{plan.title} Update", author=plan.author, version=0)


# --- Issued papers ---------------------------------------------------------------------------


class IssuePaperView(View):
    """Issue the report to a meeting: GET asks for confirmation, naming the meeting and the
    title from the cover sheet (and, when a paper for that meeting stands already, that this is
    a correction); POST issues it through ``services.issue_paper``. Staff who may edit the
    plan's organisation only (403 for others who can see the plan, 404 for those who cannot)."""

    template_name = "reports/issue_confirm.html"

    def dispatch(self, request, pk):
        self.plan = _visible_plan_or_404(request.user, pk)
        if not permissions.can_edit(request.user, self.plan.organisation):
            raise PermissionDenied("Only staff of the plan's organisation may issue its board paper.")
        return super().dispatch(request, pk)

    def state(self):
        cover = services.latest_report(self.plan)
        latest = selectors.current_papers(self.plan.pk).only(*selectors.LIST_FIELDS).first()
        correcting = latest if latest and cover and latest.meeting_date == cover.meeting_date else None
        return cover, latest, correcting

    def get(self, request, pk):
        cover, latest, correcting = self.state()
        return self.render(request, self.confirmation(cover, correcting), cover, latest, correcting)

    def post(self, request, pk):
        cover, latest, correcting = self.state()
        form = IssuePaperForm(request.POST, correction=correcting is not None)
        if not form.is_valid():
            return self.render(request, form, cover, latest, correcting, status=400)
        try:
            issued = services.issue_paper(
                plan_id=self.plan.pk,
                acting_user=request.user,
                cover_sheet_id=form.cleaned_data["cover_sheet"],
                cover_sheet_version=form.cleaned_data["version"],
                correction_note=form.cleaned_data["correction_note"],
            )
        except services.StaleVersionError:
            return self.refused(
                request,
                "The cover sheet changed after you opened this page, so nothing was issued. Check the "
                "meeting and the title below, then confirm again.",
            )
        except services.IssueConflict:
            return self.refused(
                request, "Another paper of this plan was issued at the same moment, so nothing was issued."
            )
        except PdfError:
            logger.exception("Plan %s: the paper's PDF could not be made; nothing was issued.", self.plan.pk)
            messages.error(
                request,
                "The paper's PDF could not be made, so nothing was issued. Try again later; if it fails "
                "again, tell the administrator.",
            )
            return self.render(request, form, cover, latest, correcting, status=503)
        except ValidationError as error:
            cover, latest, correcting = self.state()
            form = IssuePaperForm(request.POST, correction=correcting is not None)
            form.is_valid()
            add_service_errors(form, error)
            return self.render(request, form, cover, latest, correcting, status=400)
        receipts.saved(
            request, f"Paper {issued.number} issued for the meeting of {issued.meeting_date:%d/%m/%Y}."
        )
        return redirect(issued)

    @staticmethod
    def confirmation(cover, correcting):
        """The confirmation form for the cover sheet as it stands (None without one)."""
        if cover is None:
            return None
        return IssuePaperForm(
            initial={"cover_sheet": cover.pk, "version": cover.version}, correction=correcting is not None
        )

    def refused(self, request, message):
        """409: nothing issued; the confirmation again, for the plan as it now stands."""
        messages.error(request, message)
        cover, latest, correcting = self.state()
        return self.render(
            request, self.confirmation(cover, correcting), cover, latest, correcting, status=409
        )

    def render(self, request, form, cover, latest, correcting, status=200):
        context = {
            "plan": self.plan,
            "form": form,
            "cover": cover,
            "latest": latest,
            "correcting": correcting,
        }
        return render(request, self.template_name, context, status=status)


def _visible_paper_or_404(user, pk):
    try:
        return selectors.paper_detail(paper_id=pk, user=user)
    except IssuedPaper.DoesNotExist as exc:
        raise Http404("No such paper.") from exc


class PlanPapersView(View):
    """The papers issued from a plan's board report, latest first."""

    def get(self, request, pk):
        try:
            plan, papers = selectors.plan_papers(plan_id=pk, user=request.user)
        except ODPlan.DoesNotExist as exc:
            raise Http404("No such plan.") from exc
        context = {
            "plan": plan,
            "table": IssuedPaperTable(papers),
            "papers": papers,
            "can_issue": permissions.can_edit(request.user, plan.organisation),
        }
        return render(request, "reports/paper_list.html", context)


class PaperDetailView(View):
    """An issued paper, as the HTML kept when it was issued: never redrawn from live data."""

    def get(self, request, pk):
        issued = _visible_paper_or_404(request.user, pk)
        intact = hashlib.sha256(issued.html.encode("utf-8")).hexdigest() == issued.html_sha256
        if not intact:
            logger.error("Issued paper %s: its HTML does not match its SHA-256.", issued.pk)
        context = {
            "paper": issued,
            "plan": issued.plan,
            "html_intact": intact,
            # Our own template's output, escaped when it was rendered at issue and kept unchanged
            # since (the database refuses any change to the row).
            "body": mark_safe(issued.html) if intact else "",
            "superseded_by": getattr(issued, "superseded_by", None),
        }
        return render(request, "reports/paper_detail.html", context)


class PaperPdfView(View):
    """The PDF rendered when the paper was issued, byte for byte, checked against its SHA-256."""

    def get(self, request, pk):
        issued = _visible_paper_or_404(request.user, pk)
        data = selectors.issued_pdf_bytes(issued)
        if data is None:
            return render(
                request,
                "reports/paper_pdf_unavailable.html",
                {"paper": issued, "plan": issued.plan},
                status=503,
            )
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{paper_filename(issued)}"'
        response["Content-Length"] = str(len(data))
        return response


def paper_filename(issued):
    slug = issued.plan.organisation.slug
    return f"board-paper-{slug}-{issued.meeting_date:%Y-%m-%d}-paper-{issued.number}.pdf"


class PaperCompareView(View):
    """Two issued papers of one plan side by side: their headline figures, and what changed from
    the earlier to the later, from their snapshots."""

    def get(self, request, pk, other):
        try:
            earlier, later = selectors.paper_pair(first_id=pk, second_id=other, user=request.user)
        except IssuedPaper.DoesNotExist as exc:
            raise Http404("No such pair of papers of one plan.") from exc
        changes = selectors.changes_between(earlier, later)
        context = {
            "plan": earlier.plan,
            "earlier": earlier,
            "later": later,
            "rows": paper.side_by_side(earlier.snapshot, later.snapshot),
            "changes": paper.changes_context(changes),
        }
        return render(request, "reports/paper_compare.html", context)
