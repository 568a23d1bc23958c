from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.utils import DatabaseError
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin

from apps.core import audience, exports
from apps.core.errors import RETRY_AFTER_SECONDS
from apps.core.freshness import CachedPaginator
from apps.core.input import bad_request, per_page_error


@login_not_required
@never_cache
@require_safe
def healthz(request):
    """200 'ok' when the database answers, 503 when it does not, with the same Retry-After as
    the pages' 503 (a load balancer or monitor asks again then). No login."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        response = HttpResponse("database unavailable", status=503, content_type="text/plain")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponse("ok", content_type="text/plain")


class FilteredTableView(SingleTableMixin, FilterView):
    """A django-filter form over a sortable, paginated django-tables2 table, exportable as
    CSV and XLSX (``?_export=csv``/``xlsx``: the filtered rows, all pages, in the table's
    order). An HTMX request gets only the table partial back, as NetBox does.

    The export writes the columns its table declares in ``export_columns`` (see
    ``apps.core.exports``), not the table's rendered cells."""

    export_formats = ("csv", "xlsx")
    export_trigger_param = "_export"
    export_name = "export"
    paginate_by: int | None = 50
    partial_template_name = "includes/_filtered_table.html"

    def get(self, request, *args, **kwargs):
        # django-tables2 hands ?per_page= to the paginator unchecked (0, -1, huge): refuse it here.
        error = per_page_error(request)
        if error:
            return bad_request(request, error)
        export_format = request.GET.get(self.export_trigger_param)
        if export_format in self.export_formats:
            return self.export(export_format)
        return super().get(request, *args, **kwargs)

    def get_table_pagination(self, table):
        # Counts and pages cached until the data changes (apps/core/freshness.py).
        pagination = super().get_table_pagination(table)
        if pagination is not False:
            pagination["paginator_class"] = CachedPaginator
        return pagination

    def paginate_queryset(self, queryset, page_size):
        # The table pages the rows (django-tables2's RequestConfig, with this view's
        # paginate_by); ListView paging them again would count every matching row a second time.
        return None, None, queryset, False

    def get_export_filename(self, export_format):
        return f"{self.export_name}-{timezone.localdate():%Y-%m-%d}.{export_format}"

    def export(self, export_format):
        """The rows the page would list (its filterset's queryset, so the same permission
        scoping and filters, as FilterView.get applies them) in the table's sort order."""
        self.filterset = self.get_filterset(self.get_filterset_class())
        if not self.filterset.is_bound or self.filterset.is_valid() or not self.get_strict():
            self.object_list = self.filterset.qs
        else:
            self.object_list = self.filterset.queryset.none()
        table_class = self.get_table_class()
        table = RequestConfig(self.request, paginate=False).configure(table_class(data=self.object_list))
        columns = self.get_export_columns(table_class)
        if not columns:
            raise ImproperlyConfigured(f"{table_class.__name__} declares no export_columns to export.")
        # Only what the person exporting may see on the pages (apps/core/audience.py).
        columns = audience.visible_columns(columns, table_class._meta.model, self.request.user)
        rows = exports.export_rows(table.data.data, columns)
        filename = self.get_export_filename(export_format)
        if export_format == "csv":
            return exports.csv_response(columns, rows, filename)
        return exports.xlsx_response(columns, rows, self.export_about(table), filename)

    def get_export_columns(self, table_class):
        """The columns the export writes: those the table declares."""
        return getattr(table_class, "export_columns", None)

    def export_about(self, table):
        applied, rejected = exports.applied_filters(self.filterset)
        params = self.request.GET.copy()
        params.pop(self.export_trigger_param, None)
        user = self.request.user
        name = user.get_full_name()
        sorted_by = "; ".join(
            f"{table.columns[o.bare].verbose_name}{' (descending)' if o.is_descending else ''}"
            for o in (table.order_by or ())
            if o.bare in table.columns
        )
        return exports.About(
            title=getattr(table, "export_title", "") or self.export_name.replace("-", " ").capitalize(),
            filters=applied,
            filter_errors=rejected,
            sorted_by=sorted_by,
            exported_by=f"{name} ({user.get_username()})" if name else user.get_username(),
            exported_at=timezone.now(),
            address=self.request.path + (f"?{params.urlencode()}" if params else ""),
        )

    def get_template_names(self):
        if getattr(self.request, "htmx", False) and not self.request.htmx.boosted:
            return [self.partial_template_name]
        return super().get_template_names()
