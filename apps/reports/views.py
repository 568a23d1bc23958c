import logging

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views import View

from apps.core.edit_views import VersionedEditView
from apps.organisations import permissions
from apps.plans import selectors as plan_selectors
from apps.plans.models import ODPlan

from . import selectors, services
from .forms import BoardReportForm
from .models import BoardReport
from .pdf import PdfError, html_to_pdf

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


class BoardReportView(View):
    """The printable board report of a plan: cover sheet, body and appendix."""

    def get(self, request, pk):
        context = _report_context_or_404(request.user, pk)
        context["can_edit"] = permissions.can_edit(request.user, context["plan"].organisation)
        return render(request, "reports/board_report.html", context)


class BoardReportPdfView(View):
    """The same report as a PDF download (A4)."""

    def get(self, request, pk):
        context = _report_context_or_404(request.user, pk)
        html = render_to_string("reports/board_report_pdf.html", context, request=request)
        plan, read_at = context["plan"], context["read_at"]
        try:
            pdf = html_to_pdf(html)
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
