import django_tables2 as tables

from apps.core.exports import DECIMAL, INTEGER, ExportColumn
from apps.core.tables import NumberColumn

from .models import Organisation


def _total(field):
    """The footer of a figure's column: the sum of the rows shown (``table.totals``, set by the
    view from selectors.totals), under the column it adds up."""

    def footer(table):
        value = (getattr(table, "totals", None) or {}).get(field)
        return "" if value is None else f"{value:,}"

    return footer


class LatTable(tables.Table):
    """The 27 local area teams with their published figures. Exports write ``export_columns``:
    the same columns, the figures as numbers."""

    export_title = "Local area teams"
    export_columns = [
        ExportColumn("Local area team", "name", width=36),
        ExportColumn("Region", "parent__name", width=24),
        ExportColumn("Population (000s)", "population_thousands", INTEGER),
        ExportColumn("CCGs", "ccg_count", INTEGER),
        ExportColumn("HWBs", "hwb_count", INTEGER),
        ExportColumn("Population per CCG (000s)", "population_per_ccg_value", DECIMAL, decimals=1),
        ExportColumn("Specialised commissioning hub", "specialised_hub__name", width=36),
    ]

    name = tables.Column(
        "Local area team",
        linkify=True,
        attrs={"td": {"class": "lat-name"}},
        footer=lambda table: f"Total of the {len(table.rows)} row{'' if len(table.rows) == 1 else 's'} shown",
    )
    region = tables.Column("Region", accessor="parent__name", order_by=("parent__position", "position"))
    population_thousands = NumberColumn("Population (000s)", footer=_total("population_thousands"))
    ccg_count = NumberColumn("CCGs", footer=_total("ccg_count"))
    hwb_count = NumberColumn("HWBs", footer=_total("hwb_count"))
    population_per_ccg_value = NumberColumn("Population per CCG (000s)", decimals=1)
    specialised_hub = tables.Column(
        "Specialised commissioning hub", default="—", order_by=("specialised_hub__name",)
    )

    class Meta:
        model = Organisation
        fields = (
            "name",
            "region",
            "population_thousands",
            "ccg_count",
            "hwb_count",
            "population_per_ccg_value",
            "specialised_hub",
        )
        order_by = ("region",)
        attrs = {"class": "table", "id": "lat-table"}
