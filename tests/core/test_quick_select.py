"""QuickSelect (apps/core/filters.py) writes the select Django's Select writes: the same
attributes, options, labels (escaped) and selection, only without a template per option."""

from html.parser import HTMLParser

import pytest
from django import forms
from django.utils.safestring import mark_safe

from apps.core.filters import QuickSelect


class _Parsed(HTMLParser):
    def __init__(self):
        super().__init__()
        self.select, self.options, self._open = None, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "select":
            self.select = dict(attrs)
        elif tag == "option":
            self._open = [dict(attrs), ""]

    def handle_data(self, data):
        if self._open is not None:
            self._open[1] += data

    def handle_endtag(self, tag):
        if tag == "option":
            self.options.append((self._open[0], self._open[1].strip()))
            self._open = None


def _parse(html):
    parsed = _Parsed()
    parsed.feed(str(html))
    return parsed.select, parsed.options


CHOICES = [
    ("", "All"),
    (1, "Bath & North East <Somerset>"),
    (2, 'The "quoted" one'),
    (3, mark_safe("<b>safe</b>")),
]


@pytest.mark.parametrize("value", [None, "", "1", 2, 3, "99", ["2"]])
def test_quick_select_writes_what_django_writes(value):
    attrs = {"id": "id_organisation", "aria-describedby": "id_organisation_error", "required": True}
    assert _parse(QuickSelect(choices=CHOICES).render("organisation", value, attrs)) == _parse(
        forms.Select(choices=CHOICES).render("organisation", value, attrs)
    )


def test_grouped_options_are_left_to_django():
    grouped = [("North", [(1, "Leeds"), (2, "York")]), ("South", [(3, "Bath")])]
    assert QuickSelect(choices=grouped).render("place", 2) == forms.Select(choices=grouped).render("place", 2)
