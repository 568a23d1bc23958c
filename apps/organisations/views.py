from django.views.generic import TemplateView


class NationalView(TemplateView):
    template_name = "organisations/national.html"


class OrganisationDetailView(TemplateView):
    template_name = "organisations/organisation_detail.html"
