"""HTML cached until the data changes (apps/core/freshness.py): a list's table
(``render_table_fresh``, which splices the viewer's own CSRF token into the cached HTML) and any
fragment of a page (``fresh_cache``). ``{% load fresh_cache %}``."""

from typing import Any

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


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
