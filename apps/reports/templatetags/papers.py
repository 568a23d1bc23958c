"""Template tags of the board paper (templates/reports/)."""

from django import template
from django.utils.html import format_html

from apps.reports.paper import title_parts

register = template.Library()


@register.simple_tag(takes_context=True)
def paper_title(context, text, kind="", pk=None):
    """A title (or a risk's description) as a paper's summaries print it: whole, never cut in
    the middle of a word or a sentence. Only a very long one (past ``paper.TITLE_WORDS`` words)
    whose full text the paper prints elsewhere (the appendix row ``#<kind>-<pk>``) is cut after a
    whole word, with an ellipsis and a link to that row. A page without the appendix (two
    papers compared) sets ``whole_titles`` and prints every title whole."""
    shown, cut = title_parts(text)
    if not cut or not kind or pk is None or context.get("whole_titles"):
        return text
    return format_html(
        '{} <a href="#{}-{}" class="full-text-link">(in full in the appendix)</a>', shown, kind, pk
    )
