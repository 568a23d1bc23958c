"""The tables' cells are drawn with each callable's signature remembered per code object
(apps/core/table_signatures.py): the answers are django-tables2's own, for every kind of
callable, and a table still passes each ``render_FOO`` only the arguments it takes."""

import functools

import django_tables2 as tables
from django.test import RequestFactory
from django_tables2 import utils

from apps.core import table_signatures


def _function(value, record):
    return value


class _Columns:
    def render_value(self, value):
        return value

    def render_both(self, value, record, **rest):
        return value

    def __call__(self, value, *args):
        return value


def test_the_remembered_signature_is_installed():
    assert utils.signature is table_signatures.signature


def test_every_kind_of_callable_gets_django_tables2s_own_answer():
    first, second = _Columns(), _Columns()
    callables = [
        _function,
        lambda record: record,
        first.render_value,
        second.render_value,
        first.render_both,
        functools.partial(_function, record=None),
        first,
        _Columns,
    ]
    for fn in callables:
        assert table_signatures.signature(fn) == table_signatures._asked(fn), fn
        assert table_signatures.signature(fn) == table_signatures._asked(fn), fn  # remembered
    assert table_signatures.signature(first.render_value) == (("value",), None)
    assert table_signatures.signature(first.render_both) == (("value", "record"), "rest")
    assert table_signatures.signature(_function) == (("value", "record"), None)


def test_a_table_passes_each_render_method_what_it_takes():
    class Table(tables.Table):
        name = tables.Column()
        size = tables.Column()

        def render_name(self, value, record):
            return f"{value} ({record['size']})"

        def render_size(self, value):
            return f"{value:,}"

    table = Table([{"name": "Dorset", "size": 1200}, {"name": "Darlington", "size": 35}])
    table.request = RequestFactory().get("/")
    for _ in range(2):  # the second time from what was remembered
        cells = [[row.get_cell(name) for name in ("name", "size")] for row in table.rows]
        assert cells == [["Dorset (1200)", "1,200"], ["Darlington (35)", "35"]]
