"""The in-place status control of the deliverables list, built in Python rather than a template:
it is drawn once per editable row, and a template render per row cost more than the rest of the
table together (measured with `make bench`)."""

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from apps.core.tables import badge

from .models import Deliverable
from .services import NOTE_MAX_LENGTH

STATUS_CHOICES = Deliverable.Status.choices


def status_cell(
    deliverable,
    *,
    csrf_token,
    next_url,
    error=None,
    saved=False,
    out_of_band=False,
    typed=None,
):
    """The status badge with a small form to change it (HTMX posts it and swaps this cell).

    After a refused save, ``typed`` (the status and note the user sent) is said in the error
    beside the current status and put back in the form, which stays open with that choice and
    note; an error summary at the top of the form (nhsuk-frontend's) links the error to the note
    field, which also carries it, and focus goes to the summary. After a save focus returns to
    the row (static/js/app.js acts on ``data-focus``)."""
    typed = typed or {}
    chosen_status = typed.get("status")
    pk = deliverable.pk
    url = reverse("plans:deliverable_status", args=[pk])
    selected = chosen_status if chosen_status in Deliverable.Status.values else deliverable.status
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((value, " selected" if value == selected else "", label) for value, label in STATUS_CHOICES),
    )
    error_id = f"status-error-{pk}"
    summary_id = f"status-errors-{pk}"
    hint_id = f"note-hint-{pk}"
    label = deliverable.get_status_display()
    summary_html = error_html = saved_html = ""
    if error:
        sent = typed_text(typed).strip()
        summary_html = format_html(
            '<div class="nhsuk-error-summary" id="{}" data-error-summary tabindex="-1"><div role="alert">'
            '<h3 class="nhsuk-error-summary__title">Not saved</h3><div class="nhsuk-error-summary__body">'
            '<ul class="nhsuk-error-summary__list"><li><a href="#note-{}">{}</a></li></ul>{}'
            "</div></div></div>",
            summary_id,
            pk,
            error,
            format_html("<p>{}</p>", sent) if sent else "",
        )
        error_html = format_html('<p class="errorlist" id="{}">{}</p>', error_id, error)
    if saved:
        saved_html = format_html(' <span class="small muted" role="status">Saved: {}</span>', label)
    html = format_html(
        '<div class="status-cell" id="status-cell-{pk}"{focus}>{badge}{saved}'
        '<details{open}><summary class="small">Change status<span class="visually-hidden"> of this '
        "deliverable</span></summary>"
        '<form method="post" action="{url}" hx-post="{url}" hx-target="#status-cell-{pk}" '
        'hx-swap="outerHTML">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
        '<input type="hidden" name="version" value="{version}">'
        '<input type="hidden" name="next" value="{next_url}">'
        "{summary}"
        '<label for="status-{pk}">New status</label>'
        '<select name="status" id="status-{pk}">{options}</select>'
        '<label for="note-{pk}">Progress note</label>'
        '<span class="note-hint" id="{hint_id}">Required when the status changes.</span>'
        "{error}"
        '<textarea name="note" id="note-{pk}" rows="3" maxlength="{max_length}" '
        'aria-describedby="{described_by}"{invalid}>{note}</textarea>'
        '<button type="submit" class="button secondary">Save status</button>'
        "</form></details></div>",
        pk=pk,
        focus=format_html(' data-focus="{}"', summary_id if error else f"deliverable-{pk}")
        if (error or saved)
        else "",
        badge=badge(f"status-{deliverable.status}", label),
        summary=summary_html,
        error=error_html,
        saved=saved_html,
        open=" open" if error else "",
        url=url,
        csrf=csrf_token,
        version=deliverable.version,
        next_url=next_url,
        options=options,
        hint_id=hint_id,
        max_length=NOTE_MAX_LENGTH,
        described_by=f"{error_id} {hint_id}" if error else hint_id,
        invalid=mark_safe(' aria-invalid="true"') if error else "",
        note=typed.get("note", "") if error else "",
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
