"""The pieces of a list page: the chips of the filters in force (``active_filters``) and a
cell of a hand-written list table that is a card on a phone (``cell``). ``{% load lists %}``."""

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


@register.inclusion_tag("django_tables2/_card_sort.html", takes_context=True)
def card_sort(context, table):
    """A card table's "Sort by" control for phones, whose cards hide the column headers and their
    sort links: a GET form of the table's own order_by parameter, keeping the filters (and going
    back to the first page), so it works without JavaScript."""
    from apps.core.tables import sort_choices

    choices = sort_choices(table) if getattr(table, "cards", False) else []
    request = context.get("request")
    keep = []
    if choices and request is not None:
        dropped = {table.prefixed_order_by_field, table.prefixed_page_field}
        keep = [(k, v) for k, values in request.GET.lists() if k not in dropped for v in values]
    table_id = table.attrs.get("id") or "table"
    return {
        "choices": choices,
        "keep": keep,
        "field": table.prefixed_order_by_field,
        "select_id": f"{table_id}-sort",
        "table_id": table_id,
    }


@register.simple_tag(takes_context=True)
def active_filters(context, filterset):
    """The filters in force on a list, one entry per chosen value: {"label", "value", "url"},
    where ``url`` is this page without that value (and back on page 1). The values are shown as
    the exports' About sheet shows them (apps/core/exports.py), so the two always agree."""
    from django import forms

    from apps.core.exports import _shown

    if filterset is None or not filterset.is_bound:
        return []
    request = context["request"]
    form = filterset.form
    form.is_valid()
    params = request.GET.copy()
    for key in ("page", "_export"):
        params.pop(key, None)
    chips = []
    parts: list[tuple[str | None, Any]]
    for name, field in form.fields.items():
        if name in form.errors or not params.getlist(name):
            continue
        value = form.cleaned_data.get(name)
        if value is None or value == "" or (hasattr(value, "__len__") and not len(value)):
            continue
        if isinstance(field, forms.ModelMultipleChoiceField):
            parts = [(str(obj.pk), _shown(field, [obj])) for obj in value]
        elif isinstance(field, forms.MultipleChoiceField):
            parts = [(str(v), _shown(field, [v])) for v in value]
        elif getattr(field.widget, "input_type", "") == "month":
            parts = [(None, value.strftime("%B %Y"))]
        else:
            parts = [(None, _shown(field, value))]
        for raw, shown in parts:
            remaining = params.copy()
            if raw is None:
                remaining.pop(name)
            else:
                remaining.setlist(name, [v for v in remaining.getlist(name) if v != raw])
            query = remaining.urlencode()
            chips.append(
                {
                    "label": str(field.label or name),
                    "value": shown,
                    "url": f"{request.path}?{query}" if query else request.path,
                }
            )
    return chips


class CardCellNode(template.Node):
    def __init__(self, nodelist, heading, classes):
        self.nodelist, self.heading, self.classes = nodelist, heading, classes

    def render(self, context):
        classes = " ".join(["nhsuk-table__cell", *(str(c.resolve(context)) for c in self.classes)])
        return format_html(
            '<td class="{}" role="cell"><span class="nhsuk-table__heading" aria-hidden="true">{}</span>'
            '<div class="cell-value">{}</div></td>',
            classes,
            self.heading.resolve(context),
            mark_safe(self.nodelist.render(context)),  # the enclosed template's own (escaped) output
        )


@register.tag
def cell(parser, token):
    """``{% cell "Heading" "card-full" %}...{% endcell %}``: a cell of a hand-written list table
    (class "nhsuk-table--responsive"), written as templates/django_tables2/table.html writes
    those of the django-tables2 lists: on a phone each row is a card and the cell is led by its
    heading. Extra arguments are the cell's classes (card-title, card-full, card-flag,
    card-more, or any other)."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("cell needs a heading")
    nodelist = parser.parse(("endcell",))
    parser.delete_first_token()
    classes = [parser.compile_filter(bit) for bit in bits[2:]]
    return CardCellNode(nodelist, parser.compile_filter(bits[1]), classes)
