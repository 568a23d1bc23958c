from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views import View

from apps.core import receipts
from apps.core.forms import add_service_errors

from . import selectors, services
from .forms import ReminderPreferenceForm


class ReminderPreferenceView(View):
    """/my/reminders/: how often you get reminders, and what the next ones would list now."""

    template_name = "reminders/preferences.html"

    def render_page(self, form, status=200):
        user = self.request.user
        sections, risks = services.digest_sections(user)
        escalation, escalation_risks = services.escalation_sections(user)
        context = {
            "form": form,
            "sections": sections,
            "risks": risks,
            "escalation": escalation,
            "escalation_risks": escalation_risks,
            "leads": selectors.led_organisations(user).exists(),
            "escalation_days": selectors.ESCALATION_DAYS,
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request):
        form = ReminderPreferenceForm(initial={"frequency": selectors.frequency_of(request.user)})
        return self.render_page(form)

    def post(self, request):
        form = ReminderPreferenceForm(request.POST)
        if not form.is_valid():
            return self.render_page(form, status=400)
        try:
            preference = services.preference_set(user=request.user, frequency=form.cleaned_data["frequency"])
        except ValidationError as error:
            add_service_errors(form, error)
            return self.render_page(form, status=400)
        receipts.saved(request, f"reminders {preference.get_frequency_display().split(' (')[0].lower()}.")
        return redirect("reminders:preferences")
