"""Reads of evidence: the lists' rows, an item's page, a record's evidence, the digest's and My
work's expiring items. Each a fixed number of queries, whatever the number of rows."""

import datetime
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from apps.core.history.audit import audit_events
from apps.organisations import permissions

from .models import EvidenceItem, EvidenceLink, EvidenceRevision, expired_q, expiring_q

_LATEST = EvidenceRevision.objects.filter(item=OuterRef("pk")).order_by("-number")


def current_links_q(prefix: str = "") -> Q:
    """Links in force to items in force (``prefix`` leads from the row to the link)."""
    return Q(**{f"{prefix}removed_at__isnull": True, f"{prefix}item__archived_at__isnull": True})


def evidence_list(*, user: Any, organisation: Any = None) -> QuerySet[EvidenceItem]:
    """The current evidence the user may read (of ``organisation`` and beneath it, if given),
    with how many records each supports and its latest file."""
    rows = EvidenceItem.objects.visible_to(user)
    if organisation is not None:
        from apps.organisations.filters import within

        rows = within(rows, "organisation", organisation.pk)
    return rows.select_related("organisation", "added_by").annotate(
        supports_count=Count("links", filter=Q(links__removed_at__isnull=True), distinct=True),
        latest_name=Subquery(_LATEST.values("original_name")[:1]),
        latest_sha256=Subquery(_LATEST.values("sha256")[:1]),
        latest_size=Subquery(_LATEST.values("size")[:1]),
        has_file=Exists(EvidenceRevision.objects.filter(item=OuterRef("pk"))),
    )


def evidence_detail(*, user: Any, item_id: int, archived: bool = True) -> EvidenceItem:
    """An item the user may read (archived ones too: their page says so); DoesNotExist otherwise."""
    rows = EvidenceItem.objects.filter(permissions.visible_q(user, "organisation"))
    if not archived:
        rows = rows.current()
    return rows.select_related("organisation", "added_by").get(pk=item_id)


def item_revisions(item: EvidenceItem) -> list[EvidenceRevision]:
    return list(item.revisions.select_related("uploaded_by").order_by("-number"))


def item_links(item: EvidenceItem) -> list[EvidenceLink]:
    """What the item supports and has supported (removed links last, kept: who linked it and
    when, and when it was removed), each with its record: one query."""
    return list(
        item.links.select_related(
            "added_by",
            "deliverable__theme__plan",
            "risk",
            "assessment_score__domain",
            "assessment_score__assessment",
            "control__principal_risk__risk",
            "assurance__control__principal_risk__risk",
        ).order_by(F("removed_at").desc(nulls_first=True), "added_at", "pk")
    )


def item_history(item: EvidenceItem) -> list[Any]:
    """The item's own audit trail (its links' are the links' rows and their own events)."""
    return audit_events(item)


def record_evidence(**target: Any) -> list[EvidenceLink]:
    """The current links of one record (``deliverable=obj``, ``risk=obj``, ...), each with its
    item and the item's latest file: one query."""
    [(field, record)] = target.items()
    return records_evidence(field, [record.pk]).get(record.pk, [])


def records_evidence(field: str, pks: list[Any]) -> dict[Any, list[EvidenceLink]]:
    """The current links of the records ``pks`` of kind ``field`` (a LINK_FIELDS name), by
    record, each with its item and the item's latest file: one query for them all (a
    self-assessment's six domains)."""
    links = current_links_with_files().filter(**{f"{field}__in": pks})
    found: dict[Any, list[EvidenceLink]] = {}
    for link in links:
        found.setdefault(getattr(link, f"{field}_id"), []).append(link)
    return found


def current_links_with_files() -> QuerySet[EvidenceLink]:
    """Links in force with their item and its latest file (``latest_sha256``, ``latest_id``,
    ``latest_name``), newest evidence first: the queryset a page prefetches its records'
    evidence with (one query for all the records of a kind)."""
    latest = EvidenceRevision.objects.filter(item=OuterRef("item")).order_by("-number")
    return (
        EvidenceLink.objects.filter(current_links_q())
        .select_related("item")
        .annotate(
            latest_sha256=Subquery(latest.values("sha256")[:1]),
            latest_id=Subquery(latest.values("pk")[:1]),
            latest_name=Subquery(latest.values("original_name")[:1]),
        )
        .order_by("-item__speaks_for", "item__title", "pk")
    )


def linkable_items(*, organisation: Any, exclude_linked: dict[str, Any]) -> QuerySet[EvidenceItem]:
    """Current items of ``organisation`` not yet supporting the record ``exclude_linked``."""
    linked = EvidenceLink.objects.filter(removed_at__isnull=True, **exclude_linked).values("item_id")
    return EvidenceItem.objects.current().filter(organisation=organisation).exclude(pk__in=linked)


def due_for_review(*, organisations: Any, today: datetime.date | None = None) -> QuerySet[EvidenceItem]:
    """Current evidence of ``organisations`` (pks or a queryset) past its review date or due
    within 30 days, soonest first, each flagged expired or not."""
    today = today or timezone.localdate()
    return (
        EvidenceItem.objects.current()
        .filter(organisation__in=organisations)
        .filter(expired_q(today) | expiring_q(today))
        .select_related("organisation")
        .order_by("review_on", "pk")
    )


def paper_evidence(link: EvidenceLink) -> dict[str, Any]:
    """One link's evidence as a board paper keeps it (a link of ``current_links_with_files``)."""
    item: Any = link.item
    annotated: Any = link
    return {
        "id": item.pk,
        "title": item.title,
        "speaks_for": item.speaks_for.isoformat(),
        "sha256": annotated.latest_sha256 or "",
        "file_name": annotated.latest_name or "",
        "url": item.url,
    }


def evidence_by_deliverable(deliverable_ids: Any) -> dict[int, list[dict[str, Any]]]:
    """For a board paper: each deliverable's current evidence as the paper keeps it (title, the
    date it speaks for, the latest file's fingerprint, or the address of a link), by title. One
    query."""
    latest = EvidenceRevision.objects.filter(item=OuterRef("item")).order_by("-number")
    rows = (
        EvidenceLink.objects.filter(current_links_q(), deliverable__in=deliverable_ids)
        .annotate(
            sha256=Subquery(latest.values("sha256")[:1]),
            file_name=Subquery(latest.values("original_name")[:1]),
        )
        .order_by("item__title", "item_id")
        .values(
            "deliverable_id", "item_id", "item__title", "item__speaks_for", "item__url", "sha256", "file_name"
        )
    )
    found: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(row["deliverable_id"], []).append(
            {
                "id": row["item_id"],
                "title": row["item__title"],
                "speaks_for": row["item__speaks_for"].isoformat(),
                "sha256": row["sha256"] or "",
                "file_name": row["file_name"] or "",
                "url": row["item__url"],
            }
        )
    return found
