import django_tables2 as tables
from django.utils.html import format_html


class NumberColumn(tables.Column):
    """A right-aligned figure with thousands separators (exports write their own typed
    columns: ``apps.core.exports``)."""

    def __init__(self, *args, decimals=0, **kwargs):
        self.decimals = decimals
        attrs = kwargs.pop("attrs", {})
        attrs.setdefault("td", {"class": "num"})
        attrs.setdefault("th", {"class": "num"})
        attrs.setdefault("tf", {"class": "num"})
        super().__init__(*args, attrs=attrs, **kwargs)

    def render(self, value):
        return f"{value:,.{self.decimals}f}"


def badge(css_class, text):
    return format_html('<span class="badge {}">{}</span>', css_class, text)
