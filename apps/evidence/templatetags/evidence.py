"""``{% record_evidence deliverable "deliverable" %}``: a record's evidence on its page, with the
controls to add or link evidence for those who may change the record. ``{% load evidence %}``."""

from typing import Any

from django import template

from apps.organisations import permissions

from .. import selectors

register = template.Library()


@register.inclusion_tag("evidence/_record_evidence.html", takes_context=True)
def record_evidence(
    context: Any,
    record: Any,
    field: str,
    organisation: Any,
    heading_level: int = 2,
    heading: str = "Evidence",
) -> dict:
    request = context["request"]
    return {
        "links": selectors.record_evidence(**{field: record}),
        "may_edit": permissions.can_edit(request.user, organisation),
        "query": f"?{field}={record.pk}",
        "organisation": organisation,
        "section_id": f"evidence-{field.replace('_', '-')}-{record.pk}",
        "heading_level": heading_level,
        "heading": heading,
    }


@register.inclusion_tag("evidence/_my_evidence.html", takes_context=True)
def my_evidence(context: Any) -> dict:
    """My work's evidence: what the user added that is past its review date or due for review
    within 30 days (the reminder digest's list), soonest first. One query."""
    from apps.reminders.selectors import digest_evidence

    return {"items": list(digest_evidence(context["request"].user))}
