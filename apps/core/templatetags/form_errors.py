"""Errors and messages as the pages show them: the error summary of a form (nhsuk-frontend's,
after GOV.UK's) and the messages split into errors and the rest. ``{% load form_errors %}``."""

from typing import Any

from django import template
from django.utils.text import capfirst

register = template.Library()


def _summary_text(label: str, message: str) -> str:
    """An error as the summary lists it: the message, led by its field's label unless it names
    the field already ("Enter a review note ..."), so each line says which field it is about."""
    label = str(label or "").strip()
    if not label or label.lower() in message.lower():
        return message
    return f"{capfirst(label)}: {message}"


def summary_items(form: Any) -> list[dict[str, str]]:
    """The errors of ``form`` for an error summary, in the order of the form: the form's own
    errors (no link), then each field's, linked to the field (its first option for a group of
    radios or checkboxes)."""
    if form is None or not form.errors:
        return []
    items = [{"text": str(e), "href": ""} for e in form.non_field_errors()]
    for bound in form:
        for error in bound.errors:
            target = bound.id_for_label or (f"{bound.auto_id}_0" if bound.auto_id else "")
            if bound.is_hidden:
                items.append({"text": str(error), "href": ""})
            else:
                items.append(
                    {"text": _summary_text(bound.label, str(error)), "href": f"#{target}" if target else ""}
                )
    return items


@register.inclusion_tag("includes/_error_summary.html")
def error_summary(form=None, intro="", errors=(), summary_id="error-summary", heading="There is a problem"):
    """nhsuk-frontend's error summary (GOV.UK's pattern): a box at the top of the form naming
    each error, each linked to its field; static/js/app.js focuses it when the page opens (or
    the in-place control comes back), and a link focuses its field. ``errors``: more messages,
    not tied to a field."""
    items = [{"text": str(e), "href": ""} for e in errors] + summary_items(form)
    return {"items": items, "intro": intro, "summary_id": summary_id, "heading": heading}


@register.filter
def error_messages(messages):
    """The messages of the error level (shown as an error summary, which takes the focus)."""
    from django.contrib.messages import constants

    return [m for m in messages if m.level >= constants.ERROR]


@register.filter
def other_messages(messages):
    """The other messages (shown in a status region, read out without moving the focus)."""
    from django.contrib.messages import constants

    return [m for m in messages if m.level < constants.ERROR]


@register.filter
def after_field(form, name):
    """The template a form draws after its field ``name`` (``form.after_field``, {name: template}),
    e.g. a risk's live rating under its pair of scores; "" for none."""
    return getattr(form, "after_field", {}).get(name, "")
