from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.db.utils import DatabaseError
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin
from django_tables2.export import ExportMixin


@login_not_required
@never_cache
@require_safe
def healthz(request):
    """200 'ok' when the database answers, 503 when it does not. No login."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


class FilteredTableView(ExportMixin, SingleTableMixin, FilterView):
    """A django-filter form over a sortable, paginated django-tables2 table, exportable as
    CSV and XLSX (``?_export=csv``/``xlsx``: the filtered rows, all pages). An HTMX request
    gets only the table partial back, as NetBox does."""

    export_formats = ("csv", "xlsx")
    paginate_by: int | None = 50
    partial_template_name = "includes/_filtered_table.html"

    def get_export_filename(self, export_format):
        return f"{self.export_name}-{timezone.localdate():%Y-%m-%d}.{export_format}"

    def get_template_names(self):
        if getattr(self.request, "htmx", False) and not self.request.htmx.boosted:
            return [self.partial_template_name]
        return super().get_template_names()
