"""The evidence column of the deliverables' and risks' exports: each record's current evidence,
its title and the address of its page, in one subquery per export (not a query per row)."""

from django.conf import settings
from django.contrib.postgres.aggregates import StringAgg
from django.db.models import OuterRef, Subquery, TextField, Value
from django.db.models.functions import Cast, Concat

from .models import EvidenceLink

EVIDENCE_HEADER = "Evidence"


def evidence_titles(field: str, outer: str = "pk") -> Subquery:
    """The current evidence of the row's record (``field``: "deliverable", "risk"), as
    "Title (https://.../evidence/12/); ...", by title. ``outer``: the exported row's field holding
    the record's pk ("id" for the audit trail's copies of a record)."""
    address = Concat(
        Value(f"{settings.SITE_URL}/evidence/"),
        Cast("item_id", TextField()),
        Value("/"),
        output_field=TextField(),
    )
    shown = Concat("item__title", Value(" ("), address, Value(")"), output_field=TextField())
    rows = (
        EvidenceLink.objects.filter(
            **{field: OuterRef(outer)}, removed_at__isnull=True, item__archived_at__isnull=True
        )
        .order_by()
        .values(field)
        .annotate(text=StringAgg(shown, "; ", order_by="item__title"))
        .values("text")
    )
    return Subquery(rows, output_field=TextField())
