import django_filters
from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Q

from apps.core.filters import AnyYesNoWidget, LabelledDateRangeWidget, ModelChoiceFilter, PersonChoiceFilter
from apps.core.history.as_at import PARAM
from apps.core.history.lists import AsAtFilterMixin
from apps.core.search import search_filter
from apps.organisations import permissions
from apps.organisations.filters import WithinFilter
from apps.organisations.models import Organisation

from .models import (
    DELIVERABLE_SEARCH_FIELDS,
    SOON_DAYS,
    STALE_DAYS,
    AuthorisationDomain,
    Deliverable,
    DeliverableAsAt,
    ODPlan,
    StatusUpdate,
    Theme,
    due_soon_q,
    overdue_q,
    stale_q,
)
from .selectors import status_updates_as_at


def _evidenced():
    """The pks of the deliverables with current evidence linked (the evidence app's links, found
    by name: the plans do not import the apps built on them)."""
    link = apps.get_model("evidence", "EvidenceLink")
    return link.objects.filter(
        deliverable__isnull=False, removed_at__isnull=True, item__archived_at__isnull=True
    ).values("deliverable_id")


def _organisations(request):
    return Organisation.objects.filter(
        permissions.visible_q(request.user, "pk"), pk__in=ODPlan.objects.values("organisation_id")
    )


def _plans(request):
    return ODPlan.objects.filter(permissions.visible_q(request.user, "organisation"))


def _chosen(request, name):
    """The ids given for ``name`` in the query (digits only; anything else is the form's to
    refuse)."""
    return [int(v) for v in request.GET.getlist(name)[:20] if v.isdigit() and len(v) < 19]


def _themes(request):
    """The themes the theme filter offers: those of the plan or organisation chosen, or, for a
    member, of the plans they may see. For an administrator with neither chosen, none but the
    one given: every theme in England (1,274 at national scale) is no list to choose from. A
    theme given by a link (a dashboard's ?theme=) is always among them. No query of its own
    (the dashboard builds this filter once per figure)."""
    themes = Theme.objects.filter(permissions.visible_q(request.user, "plan__organisation")).select_related(
        "plan__organisation"
    )
    plans, organisations = _chosen(request, "plan"), _chosen(request, "organisation")
    if plans:
        offered = Q(plan__in=plans)
    elif organisations:
        offered = Q(plan__organisation__in=organisations)
    elif not permissions.is_admin(request.user):
        return themes
    else:
        offered = Q(pk__in=[])
    return themes.filter(offered | Q(pk__in=_chosen(request, "theme")))


def _owners(request):
    return get_user_model().objects.filter(
        pk__in=Deliverable.objects.filter(
            permissions.visible_q(request.user, "theme__plan__organisation")
        ).values("owner_id")
    )


class DeliverableFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search title and narratives")
    within = WithinFilter(field_name="theme__plan__organisation")
    organisation = ModelChoiceFilter(
        field_name="theme__plan__organisation",
        queryset=_organisations,
        label="Organisation",
        empty_label="All",
    )
    plan = ModelChoiceFilter(field_name="theme__plan", queryset=_plans, label="Plan", empty_label="All")
    theme = ModelChoiceFilter(
        queryset=_themes,
        label="Theme / priority area",
        empty_label="All",
    )
    # Checkboxes, not a multi-select that needs Ctrl-click. A column of the row itself: no join
    # repeats a row, so no DISTINCT (django-filter's default), which sorted and compared every
    # wide row of England's in-progress deliverables (the page 134 ms of SQL).
    status = django_filters.MultipleChoiceFilter(
        choices=Deliverable.Status.choices,
        label="Status",
        widget=forms.CheckboxSelectMultiple,
        distinct=False,
    )
    bucket = django_filters.ChoiceFilter(
        method="filter_bucket",
        label="Progress",
        choices=list(Deliverable.BUCKET_LABELS.items()),
        empty_label="Any",
    )
    domain = ModelChoiceFilter(
        method="filter_domain",
        queryset=AuthorisationDomain.objects.all(),
        label="Authorisation domain",
        empty_label="Any",
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Overdue", widget=AnyYesNoWidget)
    due_soon = django_filters.BooleanFilter(
        method="filter_due_soon", label=f"Due in the next {SOON_DAYS} days", widget=AnyYesNoWidget
    )
    stale = django_filters.BooleanFilter(
        method="filter_stale", label=f"Not updated by anyone for {STALE_DAYS} days", widget=AnyYesNoWidget
    )
    owner = PersonChoiceFilter(queryset=_owners, label="Owner", empty_label="Anyone")
    has_cost = django_filters.BooleanFilter(
        field_name="cost_amount",
        lookup_expr="isnull",
        exclude=True,
        label="Cost stated",
        widget=AnyYesNoWidget,
    )
    delivered_month = django_filters.DateFilter(
        method="filter_delivered_month",
        label="Delivered in month",
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        error_messages={"invalid": "Enter a month as year and month, YYYY-MM (for example 2013-03)."},
    )
    deadline = django_filters.DateFromToRangeFilter(label="Deadline between", widget=LabelledDateRangeWidget)
    has_evidence = django_filters.BooleanFilter(
        method="filter_has_evidence", label="Evidence linked", widget=AnyYesNoWidget
    )
    # The dashboard's "changed status since the last paper": the moment the paper's data was read.
    changed_after = django_filters.IsoDateTimeFilter(
        method="filter_changed_after",
        label="Status changed after (date and time)",
        error_messages={"invalid": "Give a date and time as YYYY-MM-DDTHH:MM, for example 2014-01-15T09:30."},
    )

    class Meta:
        model = Deliverable
        fields: tuple[str, ...] = (
            "q",
            "organisation",
            "plan",
            "theme",
            "status",
            "bucket",
            "domain",
            "overdue",
            "due_soon",
            "stale",
            "owner",
            "deadline",
        )

    def search(self, queryset, name, value):
        return search_filter(queryset, DELIVERABLE_SEARCH_FIELDS, value)

    def filter_delivered_month(self, queryset, name, value):
        """Deliverables whose status was changed to delivered in the month of ``value``."""
        delivered = StatusUpdate.objects.delivered_in_month(value.year, value.month)
        return queryset.filter(pk__in=delivered.values("deliverable_id"))

    def filter_domain(self, queryset, name, value):
        """Deliverables that serve the domain ``value``: a subquery, not a join, so the
        dashboard counts its domain figures in its one pass over the rows (figures.py)."""
        tagged = Deliverable.domains.through.objects.filter(authorisationdomain=value)
        return queryset.filter(pk__in=tagged.values("deliverable_id"))

    def filter_has_evidence(self, queryset, name, value):
        """Deliverables with (or without) current evidence linked (apps/evidence): a subquery,
        so the dashboard's "delivered without evidence" is counted in its one pass."""
        linked = _evidenced()
        return queryset.filter(pk__in=linked) if value else queryset.exclude(pk__in=linked)

    def filter_changed_after(self, queryset, name, value):
        """Deliverables whose status was changed after the moment ``value``."""
        changed = StatusUpdate.objects.status_changes().filter(created_at__gt=value)
        return queryset.filter(pk__in=changed.values("deliverable_id"))

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())

    def filter_bucket(self, queryset, name, value):
        return queryset.in_bucket(value)

    def filter_due_soon(self, queryset, name, value):
        return queryset.filter(due_soon_q()) if value else queryset.exclude(due_soon_q())

    def filter_stale(self, queryset, name, value):
        return queryset.filter(stale_q()) if value else queryset.exclude(stale_q())


class DeliverableAsAtFilterSet(AsAtFilterMixin, DeliverableFilterSet):
    """The deliverables list's filters over the deliverables as they stood at a date: the rules
    that depend on the day are judged on it, the status history as it stood then."""

    domain = django_filters.ModelChoiceFilter(
        field_name="pgh_obj__domains",
        queryset=AuthorisationDomain.objects.all(),
        label="Authorisation domain",
        empty_label="Any",
    )

    class Meta(DeliverableFilterSet.Meta):
        model = DeliverableAsAt
        fields: tuple[str, ...] = (*DeliverableFilterSet.Meta.fields, PARAM)

    def filter_overdue(self, queryset, name, value):
        q = overdue_q(self.as_at_value.day)
        return queryset.filter(q) if value else queryset.exclude(q)

    def filter_due_soon(self, queryset, name, value):
        q = due_soon_q(self.as_at_value.day)
        return queryset.filter(q) if value else queryset.exclude(q)

    def filter_stale(self, queryset, name, value):
        q = stale_q(self.as_at_value.moment)
        return queryset.filter(q) if value else queryset.exclude(q)

    def filter_delivered_month(self, queryset, name, value):
        delivered = status_updates_as_at(self.as_at_value).delivered_in_month(value.year, value.month)
        return queryset.filter(id__in=delivered.values("deliverable_id"))

    def filter_has_evidence(self, queryset, name, value):
        # The evidence linked now (links have no as-at view of their own).
        linked = _evidenced()
        return queryset.filter(id__in=linked) if value else queryset.exclude(id__in=linked)

    def filter_changed_after(self, queryset, name, value):
        changed = status_updates_as_at(self.as_at_value).status_changes().filter(created_at__gt=value)
        return queryset.filter(id__in=changed.values("deliverable_id"))
