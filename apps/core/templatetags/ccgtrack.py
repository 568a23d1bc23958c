import re
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst

register = template.Library()


@register.filter
def person(user, default="—"):
    """A user's full name, else their username; ``default`` when there is no user."""
    if user is None:
        return default
    return user.get_full_name() or user.get_username()


@register.filter
def may_edit(user, organisation):
    """Whether ``user`` may change ``organisation``'s OD data (one query)."""
    from apps.organisations.permissions import can_edit

    return can_edit(user, organisation)


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


@register.filter
def after_field(form, name):
    """The template a form draws after its field ``name`` (``form.after_field``, {name: template}),
    e.g. a risk's live rating under its pair of scores; "" for none."""
    return getattr(form, "after_field", {}).get(name, "")


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


# A remark about the source documents, as the transcribers wrote them into descriptions ("The
# documents do not state ...", "(... not in the source text)"): for administrators, not readers.
_SOURCE_REMARK = re.compile(r"\b(?:the|these) documents\b|\bsource text\b|\bin the source\b", re.IGNORECASE)
_BRACKETS = re.compile(r"\s*\([^()]*\)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@register.filter
def for_readers(text):
    """``text`` without the transcribers' remarks about the source documents: a bracket, a clause
    (between semicolons) or a sentence that speaks of "the documents" or "the source" is left
    out, the rest kept as written, line breaks included. Admin pages show the full text in their
    "About the source" section."""
    if not text:
        return text
    text = _BRACKETS.sub(lambda m: "" if _SOURCE_REMARK.search(m.group()) else m.group(), text)
    lines = []
    for line in text.split("\n"):
        kept = []
        for sentence in _SENTENCE_END.split(line):
            clauses = sentence.split("; ")
            keep = [clause for clause in clauses if not _SOURCE_REMARK.search(clause)]
            if len(keep) == len(clauses):
                kept.append(sentence)
            elif keep:
                kept.append("; ".join(keep).rstrip(" .;,") + ".")
        lines.append(" ".join(kept))
    return "\n".join(lines).strip()


_RENDER_TABLE = None
CSRF_PLACEHOLDER = "__ccgtrack_csrf_token__"


@register.simple_tag(takes_context=True)
def render_table_fresh(context, table):
    """``{% render_table table %}``, the HTML cached until the data changes
    (apps/core/freshness.py) when the rows come from a queryset: keyed by the table, the rows'
    query (which holds who may see them), the page's address (sort, page, filters) and what the
    table says of the viewer (``fragment_key()``: which organisations they may edit). A CSRF
    token in the HTML (the in-place status forms) is the viewer's own: it is cached as a
    placeholder and put in afresh on every request."""
    global _RENDER_TABLE
    from apps.core.freshness import cached, query_key

    if _RENDER_TABLE is None:
        _RENDER_TABLE = template.Engine.get_default().from_string(
            "{% load django_tables2 %}{% render_table table %}"
        )
    request = context["request"]

    def render():
        with context.push(table=table):
            return _RENDER_TABLE.render(context)

    queryset = getattr(getattr(table, "data", None), "data", None)
    if not hasattr(queryset, "query"):
        return render()
    token = getattr(table, "csrf_token", "")
    if token:
        table.csrf_token = CSRF_PLACEHOLDER
    fragment_key = getattr(table, "fragment_key", tuple)
    rows_key = getattr(getattr(table, "paginator", None), "rows_key", None) or query_key(queryset)
    parts: tuple[Any, ...] = (type(table).__qualname__, rows_key, request.get_full_path(), fragment_key())
    html = cached("table-html", parts, render)
    if token:
        table.csrf_token = token
        html = html.replace(CSRF_PLACEHOLDER, token)
    return mark_safe(html)  # the table's own HTML, escaped as it was rendered


class FreshCacheNode(template.Node):
    def __init__(self, nodelist, name, parts, scope=None):
        self.nodelist, self.name, self.parts, self.scope = nodelist, name, parts, scope

    def render(self, context):
        from apps.core.freshness import cached

        parts = tuple(part.resolve(context) for part in self.parts)
        scopes = None if self.scope is None else (self.scope.resolve(context),)
        return cached(f"fragment:{self.name}", parts, lambda: self.nodelist.render(context), scopes=scopes)


@register.tag
def fresh_cache(parser, token):
    """``{% fresh_cache "name" a b scope=organisation.pk %}...{% endfresh_cache %}``: the
    enclosed HTML cached until the data changes (apps/core/freshness.py), keyed by ``a``, ``b``:
    everything it shows beyond the data must be among them (whose page, the viewer's role, the
    date asked for). ``scope``: the organisation whose data it shows (it and everything beneath
    it), so that writes elsewhere leave it cached; without it, what the viewer may read. Nothing
    that is the viewer's own (a CSRF token, a form's values) may be inside."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("fresh_cache needs a name")
    nodelist = parser.parse(("endfresh_cache",))
    parser.delete_first_token()
    scope = None
    parts = []
    for bit in bits[2:]:
        if bit.startswith("scope="):
            scope = parser.compile_filter(bit.removeprefix("scope="))
        else:
            parts.append(parser.compile_filter(bit))
    return FreshCacheNode(nodelist, bits[1].strip("\"'"), parts, scope)


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
