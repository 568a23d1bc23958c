"""The data as it stood at a date: "as reported to the board in March".

``?as_at=YYYY-MM-DD`` on the deliverables list, the risk register and the organisation
dashboard shows the records as they stood at the end of that day (Europe/London),
reconstructed from the audit trail: for each deliverable or risk, its latest pghistory event
recorded up to then, unless that event is its deletion; records inserted later have no such
event and are absent. Rows are the event rows themselves, seen through proxy models
(``DeliverableAsAt``, ``RiskAsAt``) that carry the records' querysets, so the lists' filters,
sorting, paging, exports and the dashboard's figures run on them in SQL, unchanged, and the
number of queries stays what it is for live data.

Archived records: every event carries the record's ``archived_at`` as it was then, so the
rows go through the same ``current()`` as the live pages: as at a day, a record archived by
then is left out, and one archived later is shown as it stood (marked "since archived" on the
list, where its page is gone).

What the audit trail does not record is shown as it is now, and the banner says so: which
authorisation domains a deliverable serves (a many-to-many), the themes and plans, the risk
band edges and the self-assessment.

This module is the one place the reconstruction lives: the day (``AsAt``, its form), the rows
that stood (``standing``), when the records began (``records_began``). Each kind of record shown
as at a date declares its proxy beside its model with ``@as_at_record``: ``plans.DeliverableAsAt``
and ``risks.RiskAsAt``, with their selectors and filtersets in their own apps. The lists' base is
``apps.core.history.lists``.
"""

import datetime
from dataclasses import dataclass
from typing import Any, TypeVar

from django import forms
from django.db import connection
from django.db.models import Lookup, Model, Q
from django.http import QueryDict
from django.utils import timezone

PARAM = "as_at"


@dataclass(frozen=True)
class AsAt:
    """A day, and the moment its data is read at: the last instant of that day in
    Europe/London. ``requested`` is the day asked for when it lay in the future."""

    day: datetime.date
    moment: datetime.datetime
    requested: datetime.date | None = None

    @classmethod
    def of_day(cls, day: datetime.date) -> "AsAt":
        today = timezone.localdate()
        requested = day if day > today else None
        day = min(day, today)
        start_of_next = timezone.make_aware(
            datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
        )
        return cls(day=day, moment=start_of_next - datetime.timedelta(microseconds=1), requested=requested)

    @classmethod
    def of_moment(cls, moment: datetime.datetime) -> "AsAt":
        """The data as it stood at an exact moment (an issued paper's data read time)."""
        return cls(day=timezone.localtime(moment).date(), moment=moment)

    @property
    def param(self) -> str:
        return self.day.isoformat()


class AsAtForm(forms.Form):
    as_at = forms.DateField(
        label="Show the data as at",
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Give the date as YYYY-MM-DD, for example 2014-03-31."},
    )

    def clean_as_at(self):
        day = self.cleaned_data["as_at"]
        if day < datetime.date(2000, 1, 1):
            raise forms.ValidationError("ccgtrack holds no data from before 2000.")
        return day


def from_query(query: QueryDict) -> tuple[AsAt | None, AsAtForm]:
    """(AsAt or None, AsAtForm): None when ``query`` has no as_at; the form carries the error
    when it has a bad one."""
    if PARAM not in query:
        return None, AsAtForm()
    form = AsAtForm({PARAM: query.get(PARAM, "")})
    if not form.is_valid():
        return None, form
    return AsAt.of_day(form.cleaned_data[PARAM]), form


# --- The reconstruction ----------------------------------------------------------------------


class AnyOf(Lookup):
    """``field = ANY(%s::integer[])`` with the whole list as one parameter, which PostgreSQL
    probes as a hash; ``__in`` would spell out every id, once per figure."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::integer[])", [*params, list(self.rhs)]


# The kinds of record shown as at a date: (proxy of the event model, path to its organisation),
# in the order their apps load.
RECORDS: list[tuple[Any, str]] = []

Proxy = TypeVar("Proxy", bound=type[Model])


def as_at_record(organisation: str):
    """Class decorator for the proxy of a tracked model's pghistory event model that shows its
    records as at a date: ``organisation`` is the path from a row to the organisation it belongs
    to. The proxy's rows can then be picked by ``standing`` and count for ``records_began``."""

    def register(proxy: Proxy) -> Proxy:
        pgh_id: Any = proxy._meta.get_field("pgh_id")
        pgh_id.register_lookup(AnyOf)
        RECORDS.append((proxy, organisation))
        return proxy

    return register


def _standing(event_model, moment):
    """Q for the event rows that are the records as they stood at ``moment``: per record the
    latest event (by insertion order, which is the order the row was written in) recorded up
    to then, unless it is the record's deletion.

    The rows are picked once (one DISTINCT ON query) and the rest of the page refers to them by
    id, as one array parameter: a dashboard filters them some thirty times, and sorting the
    whole audit trail for each of those made it seven times slower (measured with the bench
    data: 5,000 deliverables, 50,000 events)."""
    latest = (
        event_model.objects.filter(pgh_created_at__lte=moment)
        .order_by("pgh_obj_id", "-pgh_id")
        .distinct("pgh_obj_id")
        .values_list("pgh_id", "pgh_label")
    )
    return Q(pgh_id__any_of=[pgh_id for pgh_id, label in latest if label != "delete"])


def standing(proxy: Any, as_at: AsAt) -> Any:
    """Every record of ``proxy``'s kind as it stood at ``as_at`` (a queryset of the proxy),
    archived ones too: ``current()`` leaves out those archived by then."""
    return proxy.objects.filter(_standing(proxy, as_at.moment))


def records_began(organisations) -> datetime.datetime | None:
    """When ccgtrack's records of ``organisations`` (pks, or a subquery of them) begin: the
    first audit event of any of their records shown as at a date (deliverables and risks; for
    the seed, the moment it was loaded), or None if there is none. Before it there is nothing
    to show as at a day, and a page says so rather than showing zeros. One query."""
    firsts = [
        proxy.objects.filter(**{f"{path}__in": organisations})
        .order_by("pgh_created_at")
        .values("pgh_created_at")[:1]
        .query.sql_with_params()
        for proxy, path in RECORDS
    ]
    if not firsts:
        return None
    with connection.cursor() as cursor:
        # LEAST skips a NULL: the first of any, or NULL when none has a record.
        sql = ", ".join(f"({part_sql})" for part_sql, _ in firsts)
        cursor.execute(f"SELECT LEAST({sql})", tuple(p for _, params in firsts for p in params))
        (began,) = cursor.fetchone()
    return began
