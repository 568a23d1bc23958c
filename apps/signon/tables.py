import django_tables2 as tables
from django.template.loader import render_to_string
from django.utils.dateformat import format as date_format
from django.utils.timezone import localtime

from apps.core.tables import CardTable, badge

from .models import AllowedDomain


class AllowedDomainTable(CardTable):
    """The allowed domains of an organisation and those beneath it, each with its withdraw button."""

    domain = tables.Column("Email domain", attrs={"td": {"class": "card-title"}})
    organisation = tables.Column("Organisation", accessor="organisation__name")
    role = tables.Column("Role")
    status = tables.Column("Status", accessor="withdrawn_at", empty_values=(), orderable=False)
    created_at = tables.DateTimeColumn(format="j M Y H:i", verbose_name="Allowed on")
    withdraw = tables.Column("Actions", accessor="pk", orderable=False, attrs={"td": {"class": "card-full"}})

    class Meta:
        model = AllowedDomain
        fields = ("domain", "organisation", "role", "status", "created_at", "withdraw")
        attrs = {"class": "table", "id": "allowed-domains"}
        empty_text = "No domain is allowed: people join only by invitation."

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope

    def render_status(self, record):
        if record.withdrawn_at:
            return badge("overdue", f"Withdrawn {date_format(localtime(record.withdrawn_at), 'j M Y')}")
        return badge("status-delivered", "Allowed")

    def render_withdraw(self, record):
        if record.withdrawn_at:
            return "—"
        return render_to_string(
            "signon/partials/_withdraw.html",
            {"record": record, "scope": self.scope},
            request=self.request,
        )
