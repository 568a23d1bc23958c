"""The in-place status control of the deliverables list, built in Python rather than a template:
it is drawn once per editable row, and a template render per row cost more than the rest of the
table together (measured with `make bench`)."""

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from apps.core.tables import badge

from .models import Deliverable


def status_cell(deliverable, *, csrf_token, next_url, error=None, saved=False, out_of_band=False, typed=None):
    """The status badge with a small form to change it (HTMX posts it and swaps this cell).
    After a refused save, ``typed`` (the status and note the user sent) is shown beside the
    current status and put back in the form, so nothing they wrote is lost."""
    typed = typed or {}
    pk = deliverable.pk
    url = reverse("plans:deliverable_status", args=[pk])
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, " selected" if value == deliverable.status else "", label)
            for value, label in Deliverable.Status.choices
        ),
    )
    html = format_html(
        '<div class="status-cell" id="status-cell-{pk}">{badge}{error}{saved}'
        '<details{open}><summary class="small">Change status</summary>'
        '<form method="post" action="{url}" hx-post="{url}" hx-target="#status-cell-{pk}" '
        'hx-swap="outerHTML">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
        '<input type="hidden" name="version" value="{version}">'
        '<input type="hidden" name="next" value="{next_url}">'
        '<label class="visually-hidden" for="status-{pk}">New status</label>'
        '<select name="status" id="status-{pk}">{options}</select>'
        '<label class="visually-hidden" for="note-{pk}">Progress note</label>'
        '<input type="text" name="note" id="note-{pk}" maxlength="2000" value="{typed_note}" '
        'placeholder="Progress note (required)">'
        '<button type="submit" class="button secondary">Save</button>'
        "</form></details></div>",
        pk=pk,
        badge=badge(f"status-{deliverable.status}", deliverable.get_status_display()),
        error=format_html('<p class="errorlist" role="alert">{}{}</p>', error, typed_text(typed))
        if error
        else "",
        typed_note=typed.get("note", ""),
        saved=mark_safe('<span class="small muted" role="status">Saved</span>') if saved else "",
        open=" open" if error else "",
        url=url,
        csrf=csrf_token,
        version=deliverable.version,
        next_url=next_url,
        options=options,
    )
    if out_of_band:
        html += overdue_cell(deliverable, out_of_band=True)
    return html


def typed_text(typed):
    """What the user sent, as plain text for the message of a refused save ('' if nothing)."""
    label = dict(Deliverable.Status.choices).get(typed.get("status"))
    note = typed.get("note", "")
    if label and note:
        return f" You chose: {label}, with the note: “{note}”."
    if label:
        return f" You chose: {label}."
    if note:
        return f" Your note: “{note}”."
    return ""


def overdue_cell(deliverable, *, out_of_band=False):
    """The overdue marker; with ``out_of_band`` HTMX also swaps it into the row's overdue cell."""
    return format_html(
        '<span id="overdue-{}"{}>{}</span>',
        deliverable.pk,
        mark_safe(' hx-swap-oob="true"') if out_of_band else "",
        badge("overdue", "Overdue") if deliverable.is_overdue else "—",
    )
