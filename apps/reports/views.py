from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views import View

from apps.core import permissions
from apps.core.forms import add_service_errors
from apps.plans import selectors as plan_selectors
from apps.plans.models import ODPlan

from . import selectors, services
from .forms import BoardReportForm
from .models import BoardReport
from .pdf import html_to_pdf


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
        pdf = html_to_pdf(html)
        plan, read_at = context["plan"], context["read_at"]
        response = HttpResponse(pdf, content_type="application/pdf")
        filename = f"board-report-plan-{plan.pk}-{read_at:%Y%m%d-%H%M}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class CoverEditView(View):
    """The cover sheet form, for staff who may edit the plan's organisation."""

    template_name = "reports/cover_edit.html"

    def get(self, request, pk):
        plan = _visible_plan_or_404(request.user, pk)
        permissions.require_edit(request.user, plan.organisation)
        return self._render(request, plan, BoardReportForm(instance=self._instance(plan)))

    def post(self, request, pk):
        plan = _visible_plan_or_404(request.user, pk)
        permissions.require_edit(request.user, plan.organisation)
        form = BoardReportForm(request.POST, instance=self._instance(plan))
        if not form.is_valid():
            return self._render(request, plan, form, status=400)
        try:
            services.board_report_save(
                plan=plan,
                acting_user=request.user,
                expected_version=form.cleaned_data["version"],
                data=form.cover(),
            )
        except services.StaleVersionError as conflict:
            form = BoardReportForm(instance=conflict.current or self._instance(plan))
            form.conflict = True
            messages.error(
                request,
                "Someone else saved this cover sheet while you were editing it. Your changes were "
                "not saved: the form now shows the current values.",
            )
            return self._render(request, plan, form, status=409)
        except ValidationError as error:
            add_service_errors(form, error)
            return self._render(request, plan, form, status=400)
        messages.success(request, "Cover sheet saved.")
        return redirect("reports:board_report", pk=plan.pk)

    @staticmethod
    def _instance(plan):
        return services.latest_report(plan) or BoardReport(
            plan=plan, title=f"{plan.title} Update", author=plan.author
        )

    def _render(self, request, plan, form, status=200):
        return render(request, self.template_name, {"plan": plan, "form": form}, status=status)
