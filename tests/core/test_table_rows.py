"""{% table_rows %} (apps/core/templatetags/table_rows.py) writes a table's rows as the template
tags wrote them: each cell as django-tables2 renders it, escaped, with its column's attributes,
worked out per row where they depend on the row."""

import datetime

import django_tables2 as tables
from django.template.loader import get_template
from django.test import RequestFactory

from apps.core.tables import CardTable


class Row:
    def __init__(self, name, day, amount):
        self.name, self.day, self.amount = name, day, amount


class Plain(tables.Table):
    name = tables.Column(attrs={"td": {"data-name": lambda record: record.name.lower()}})
    day = tables.Column()
    amount = tables.Column(localize=False)


class Cards(CardTable):
    name = tables.Column("Name", attrs={"td": {"class": "card-title"}})
    amount = tables.Column("Amount")

    def render_amount(self, value):
        return f"£{value}"


ROWS = [Row("Alpha <b>", datetime.date(2013, 4, 1), 12345), Row("Beta", datetime.date(2013, 5, 2), 7)]


def render(table):
    request = RequestFactory().get("/")
    table.paginate(per_page=10)
    return get_template("django_tables2/table.html").render({"table": table, "request": request}, request)


def test_each_cell_is_escaped_and_a_row_dependent_attribute_is_worked_out_per_row():
    html = render(Plain(ROWS))
    assert '<td data-name="alpha &lt;b&gt;">Alpha &lt;b&gt;</td>' in html
    assert '<td data-name="beta">Beta</td>' in html
    assert "<td >1 Apr 2013</td>" in html  # as {{ cell }} shows a date
    assert "<td >12345</td>" in html  # localize=False: no thousands separator


def test_a_card_table_heads_each_cell_and_uses_the_columns_render_method():
    html = render(Cards(ROWS))
    assert html.count('<tr class="nhsuk-table__row even" role="row">') == 1
    assert html.count('<tr class="nhsuk-table__row odd" role="row">') == 1
    assert (
        '<td class="card-title nhsuk-table__cell" role="cell"><span class="nhsuk-table__heading" '
        'aria-hidden="true">Name</span><div class="cell-value">Beta</div></td>'
    ) in html
    assert '<div class="cell-value">£7</div>' in html


def test_an_empty_table_says_so():
    assert "No rows match." in render(Cards([]))
