"""``{% table_rows table %}``: the rows of a django-tables2 table's body, written in Python.

templates/django_tables2/table.html wrote each row and cell with template tags: for a list's
page of 50 rows and 10 columns that was some 2,000 template nodes and each cell's attributes
worked out afresh, two thirds of the time the table took. This writes the same HTML: each cell
is still django-tables2's (``BoundRow.get_cell``: the column's ``render_FOO``, its default, its
link), shown as ``{{ cell }}`` shows it; a column's ``td`` attributes are worked out once per
table unless one of them depends on the row (a callable), when they are worked out per cell as
before."""

from django import template
from django.template.base import render_value_in_context
from django.utils import formats
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def _td_depends_on_row(column) -> bool:
    attrs = {**column._table.attrs, **column.column.attrs}
    td = attrs.get("td", attrs.get("cell", {}))
    return any(callable(value) for value in td.values())


@register.simple_tag(takes_context=True)
def table_rows(context, table) -> SafeString:
    cards = getattr(table, "cards", False)
    columns = []
    for column in table.columns:
        column.current_record = column.current_value = None
        fixed_td = None if _td_depends_on_row(column) else column.attrs["td"].as_html()
        heading = conditional_escape(getattr(column.column, "card_heading", None) or column.header)
        columns.append((column, fixed_td, heading))
    parts = []
    for row in table.paginated_rows:
        parts.append(f"<tr {row.attrs.as_html()}>")
        for column, fixed_td, heading in columns:
            cell = row.get_cell(column.name)
            column.current_value, column.current_record = cell, row.record
            td = fixed_td if fixed_td is not None else column.attrs["td"].as_html()
            if column.localize is None:
                shown = render_value_in_context(cell, context)
            elif column.localize:
                shown = conditional_escape(formats.localize(cell, use_l10n=True))
            else:
                shown = conditional_escape(formats.localize(cell, use_l10n=False))
            if cards:
                parts.append(
                    f'<td {td} role="cell"><span class="nhsuk-table__heading" aria-hidden="true">'
                    f'{heading}</span><div class="cell-value">{shown}</div></td>'
                )
            else:
                parts.append(f"<td {td}>{shown}</td>")
        parts.append("</tr>\n")
    return mark_safe("".join(parts))  # noqa: S308 - every part above is escaped or django-tables2's safe HTML
