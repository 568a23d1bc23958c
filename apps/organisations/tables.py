import django_tables2 as tables

from apps.core.exports import DECIMAL, INTEGER, ExportColumn
from apps.core.tables import NumberColumn

from .models import Organisation


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

    name = tables.Column("Local area team", linkify=True, attrs={"td": {"class": "lat-name"}})
    region = tables.Column("Region", accessor="parent__name", order_by=("parent__position", "position"))
    population_thousands = NumberColumn("Population (000s)")
    ccg_count = NumberColumn("CCGs")
    hwb_count = NumberColumn("HWBs")
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
