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


@register.inclusion_tag("evidence/_assessment_evidence.html", takes_context=True)
def assessment_evidence(context: Any, rows: Any, organisation: Any) -> dict:
    """The self-assessment's evidence, domain by domain (``rows``: the page's DomainAssessment
    rows; those with a score): one query for all of them."""
    request = context["request"]
    scored = [row for row in rows if row.score]
    found = selectors.records_evidence("assessment_score", [row.score.pk for row in scored])
    return {
        "sections": [
            {
                "links": found.get(row.score.pk, []),
                "query": f"?assessment_score={row.score.pk}",
                "section_id": f"evidence-assessment-score-{row.score.pk}",
                "heading": f"{row.domain.number}. {row.domain.name}",
            }
            for row in scored
        ],
        "may_edit": permissions.can_edit(request.user, organisation),
        "organisation": organisation,
    }


@register.inclusion_tag("evidence/_my_evidence.html", takes_context=True)
def my_evidence(context: Any) -> dict:
    """My work's evidence: what the user added that is past its review date or due for review
    within 30 days (the reminder digest's list), soonest first. One query."""
    from apps.reminders.selectors import digest_evidence

    return {"items": list(digest_evidence(context["request"].user))}
