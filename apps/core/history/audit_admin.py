"""The audit trail in the Django admin: django-pghistory's events admin, read-only (no add,
change or delete, as pghistory makes it) and with its query parameters checked, so a link that
names no record (``?obj=plans.deliverable:abc``) answers 400 or 404 instead of a 500."""

from django.apps import apps
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.text import capfirst
from pghistory import config
from pghistory.admin import EventsAdmin

from apps.core.history.audit import EVENT_LABELS, HIDDEN_FIELDS, VIA_LABELS, describe_changes
from apps.core.input import bad_request
from apps.core.read_only_admin import ReadOnlyAdminMixin

METHODS = ("tracks", "references")


class AuditTrailAdmin(ReadOnlyAdminMixin, EventsAdmin):
    """Every event of every tracked record. Nothing here changes or deletes an event: PostgreSQL
    refuses that too (the event tables are append-only)."""

    def get_actions(self, request):
        return {}

    # The list says what happened in people's words, as the product's audit trail does (not the
    # stored diff, "owner_id: [null, 2]").
    def get_list_display(self, request):
        return ("when", "record", "what", "changes", "note")

    @admin.display(description="When", ordering="pgh_created_at")
    def when(self, event):
        return event.pgh_created_at

    @admin.display(description="Record")
    def record(self, event):
        model = _model(event.pgh_obj_model)
        name = capfirst(str(model._meta.verbose_name)) if model else event.pgh_obj_model
        return f"{name} (number {event.pgh_obj_id})"

    @admin.display(description="What")
    def what(self, event):
        what = EVENT_LABELS.get(event.pgh_label, capfirst(event.pgh_label))
        via = (event.pgh_context or {}).get("via", "")
        return f"{what} {VIA_LABELS[via]}" if via in VIA_LABELS else what

    @admin.display(description="Changes")
    def changes(self, event):
        model = _model(event.pgh_obj_model)
        diff = {f: v for f, v in (event.pgh_diff or {}).items() if f not in HIDDEN_FIELDS}
        if model is None or not diff:
            return "—"
        (changes,) = describe_changes(model, [diff])
        return "; ".join(f"{c.label}: {c.before} → {c.after}" for c in changes)

    @admin.display(description="Note")
    def note(self, event):
        return (event.pgh_context or {}).get("note", "") or "—"

    def changelist_view(self, request, extra_context=None):
        error = parameter_error(request.GET)
        if error:
            return bad_request(request, error)
        return super().changelist_view(request, extra_context=extra_context)


def _model(label):
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def parameter_error(query):
    """A message if the audit trail's ``obj``, ``model``, ``method`` or ``event_model`` is not
    one pghistory can use; raises Http404 if ``obj`` names a record that does not exist."""
    if "obj" in query:
        label, _, pk = query["obj"].partition(":")
        model = _model(label)
        if model is None or not pk:
            return "obj must name a record as app_label.model:id, e.g. plans.deliverable:12."
        try:
            pk = model._meta.pk.to_python(pk)
        except ValidationError:
            return f"obj: {pk!r} is not an id of {model._meta.verbose_name}."
        if not model._default_manager.filter(pk=pk).exists():
            raise Http404(f"No {model._meta.verbose_name} {pk}.")
    if "model" in query and _model(query["model"]) is None:
        return "model must name a model as app_label.model, e.g. plans.deliverable."
    if "method" in query and query["method"] not in METHODS:
        return f"method must be one of: {', '.join(METHODS)}."
    if "event_model" in query:
        event_model = _model(query["event_model"])
        if event_model is None or not hasattr(event_model, "pgh_trackers"):
            return "event_model must name an event model, e.g. plans.deliverableevent."
    return None


def install(site=None):
    """Put AuditTrailAdmin in place of pghistory's own registration (called from
    CoreConfig.ready, which runs after pghistory.admin has registered)."""
    site = site or admin.site
    model = config.admin_queryset().model
    if site.is_registered(model):
        site.unregister(model)
    site.register(model, AuditTrailAdmin)
