"""?as_at=YYYY-MM-DD: the deliverables list, the risk register and the organisation dashboard
as the data stood at the end of a day, reconstructed from the audit trail (pghistory events).

A test runs in one transaction, so every event it writes carries the same time (PostgreSQL's
now()); ``stamp`` moves the events just written to the day the history says they happened, as
a register kept over months would have them. The last test instead commits each change for
real and checks the reconstruction against an issued paper at the exact moment it was read."""

import csv
import datetime
import io
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pgtrigger
import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from apps.core.history.as_at import AsAt
from apps.organisations.models import Membership
from apps.plans import selectors as plan_selectors
from apps.plans import services as plan_services
from apps.plans.models import Deliverable, DeliverableEvent, StatusUpdate
from apps.reports import selectors, services
from apps.risks import selectors as risk_selectors
from apps.risks import services as risk_services
from apps.risks.models import Risk, RiskEvent, RiskReview
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.plans.factories import DeliverableFactory, ODPlanFactory, ThemeFactory
from tests.reports.helpers import first_cover_sheet, update
from tests.risks.factories import RiskFactory

# The clocks below back-date audit events under pgtrigger.ignore, which PostgreSQL honours only
# for the owner role (apps/core/dbroles.py): these tests run as the owner, not the app role.
pytestmark = pytest.mark.owner_role

LONDON = ZoneInfo("Europe/London")
DAY1, DAY2, DAY3 = datetime.date(2025, 1, 10), datetime.date(2025, 2, 10), datetime.date(2025, 3, 10)


class Clock:
    """Dates the audit events written since it last did to the day the history says."""

    def __init__(self):
        self.marks = {model: self._last(model) for model in (DeliverableEvent, RiskEvent)}

    @staticmethod
    def _last(model):
        return model.objects.order_by("-pgh_id").values_list("pgh_id", flat=True).first() or 0

    def stamp(self, day, hour=12):
        moment = datetime.datetime.combine(day, datetime.time(hour), tzinfo=LONDON)
        # The audit trail is append-only in PostgreSQL; the test lifts that for its own rows.
        with pgtrigger.ignore(*(f"{model._meta.label}:append_only" for model in self.marks)):
            for model, mark in self.marks.items():
                model.objects.filter(pgh_id__gt=mark).update(pgh_created_at=moment)
                self.marks[model] = self._last(model)


def review(risk, user, **changes):
    risk.refresh_from_db()
    return risk_services.risk_review(
        risk_id=risk.pk, acting_user=user, expected_version=risk.version, changes=changes, note="Reviewed."
    )


@pytest.fixture
def kept(db):
    """A CCG's plan and register kept over three months of 2025:
    10 January: A (in progress, deadline 1 February), B (not started), C (extra) and risks R1, R2;
    10 February: A delivered, R1 rescored up, R2 closed;
    10 March: B deleted, D added, risk R3 added."""
    clock = Clock()
    ccg = OrganisationFactory(name="NHS Kept CCG", slug="nhs-kept-ccg")
    staff = UserFactory(username="kept.staff")
    MembershipFactory(user=staff, organisation=ccg, role=Membership.Role.STAFF)
    theme = ThemeFactory(plan=ODPlanFactory(organisation=ccg, title="Kept plan"), number=1)
    a = DeliverableFactory(theme=theme, position=1, title="A", deadline=datetime.date(2025, 2, 1))
    b = DeliverableFactory(
        theme=theme, position=2, title="B", status="not_started", deadline=datetime.date(2025, 2, 1)
    )
    c = DeliverableFactory(theme=theme, position=3, title="C", status="proposed")
    r1 = RiskFactory(
        organisation=ccg, reference="R1", severity=2, likelihood=2, residual_severity=1, residual_likelihood=1
    )
    r2 = RiskFactory(
        organisation=ccg, reference="R2", severity=5, likelihood=5, residual_severity=3, residual_likelihood=3
    )
    clock.stamp(DAY1)
    update(a, staff, "Done.", status="delivered")
    review(r1, staff, severity=5, likelihood=4)
    review(r2, staff, status=Risk.Status.CLOSED)
    clock.stamp(DAY2)
    b_id = b.pk
    b.delete()
    d = DeliverableFactory(theme=theme, position=4, title="D")
    r3 = RiskFactory(
        organisation=ccg, reference="R3", severity=3, likelihood=3, residual_severity=1, residual_likelihood=1
    )
    clock.stamp(DAY3)
    return {
        "ccg": ccg,
        "staff": staff,
        "theme": theme,
        "a": a,
        "b_id": b_id,
        "c": c,
        "d": d,
        "r1": r1,
        "r2": r2,
        "r3": r3,
    }


def rows(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == HTTPStatus.OK, response.content[:500]
    return response, {record.id: record for record in response.context["table"].data}


DELIVERABLES = reverse("plans:deliverable_list")
RISKS = reverse("risks:risk_list")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "day, statuses",
    [
        ("2025-01-09", {}),
        ("2025-01-31", {"A": "in_progress", "B": "not_started", "C": "proposed"}),
        ("2025-02-28", {"A": "delivered", "B": "not_started", "C": "proposed"}),
        ("2025-03-31", {"A": "delivered", "C": "proposed", "D": "in_progress"}),
    ],
)
def test_the_deliverables_list_as_at_a_day(client, kept, day, statuses):
    client.force_login(kept["staff"])
    response, found = rows(client, DELIVERABLES, as_at=day)
    assert {r.title: r.status for r in found.values()} == statuses
    html = response.content.decode()
    assert 'id="as-at-banner"' in html and "worked out from the record ccgtrack keeps of every change" in html
    assert "status-cell" not in html and "Change status" not in html  # staff, yet nothing to edit
    if "D" in statuses:
        assert f'id="deliverable-{kept["d"].pk}"' in html and f'href="/deliverables/{kept["d"].pk}/"' in html
    if "B" in statuses:
        assert "(since deleted)" in html and f'href="/deliverables/{kept["b_id"]}/"' not in html


@pytest.mark.django_db
def test_filters_sorting_and_exports_work_on_the_reconstructed_rows(client, kept):
    client.force_login(kept["staff"])
    # Overdue is judged on the as-at day: A and B were due on 1 February.
    assert {
        r.title for r in rows(client, DELIVERABLES, as_at="2025-01-31", overdue="true")[1].values()
    } == set()
    assert {r.title for r in rows(client, DELIVERABLES, as_at="2025-02-05", overdue="true")[1].values()} == {
        "A",
        "B",
    }
    assert {r.title for r in rows(client, DELIVERABLES, as_at="2025-02-28", overdue="true")[1].values()} == {
        "B"
    }
    assert {
        r.title for r in rows(client, DELIVERABLES, as_at="2025-02-28", bucket="delivered")[1].values()
    } == {"A"}
    assert {
        r.title for r in rows(client, DELIVERABLES, as_at="2025-02-28", status="not_started")[1].values()
    } == {"B"}
    assert {r.title for r in rows(client, DELIVERABLES, as_at="2025-02-28", q="C")[1].values()} == {"C"}
    page, _ = rows(client, DELIVERABLES, as_at="2025-02-28", status="not_started")
    assert 'name="as_at" value="2025-02-28"' in page.content.decode()  # the filters keep the date
    for column in (
        "title",
        "organisation",
        "theme",
        "status",
        "deadline",
        "is_overdue",
        "owner",
        "cost_amount",
    ):
        for sort in (column, f"-{column}"):
            assert (
                client.get(DELIVERABLES, {"as_at": "2025-02-28", "sort": sort}).status_code == HTTPStatus.OK
            )
    export = client.get(DELIVERABLES, {"as_at": "2025-02-28", "_export": "csv"})
    assert "deliverables-as-at-2025-02-28.csv" in export["Content-Disposition"]
    exported = exported_rows(export)
    assert {(r["Deliverable / action"], r["Status"]) for r in exported} == {
        ("A", "Delivered"),
        ("B", "Not started"),
        ("C", "Proposed"),
    }
    # The export's columns read the records as they stood: each deliverable's own ID (not its
    # audit event's), overdue on the as-at day, and no update recorded after the moment (A's
    # was recorded now, after the end of 28 February; the live export shows it).
    assert {(r["Deliverable / action"], r["ID"], r["Overdue"], r["Last update"]) for r in exported} == {
        ("A", str(kept["a"].pk), "No", ""),
        ("B", str(kept["b_id"]), "Yes", ""),
        ("C", str(kept["c"].pk), "No", ""),
    }
    live = {r["Deliverable / action"]: r for r in exported_rows(client.get(DELIVERABLES, {"_export": "csv"}))}
    assert live["A"]["ID"] == str(kept["a"].pk) and live["A"]["Last update"] != ""


def exported_rows(response):
    """The rows of a streamed CSV export, as dicts by header."""
    assert response.status_code == HTTPStatus.OK
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.django_db
def test_the_risk_register_as_at_a_day(client, kept):
    client.force_login(kept["staff"])
    _, january = rows(client, RISKS, as_at="2025-01-31")
    assert {r.reference: (r.rating, r.band, r.status) for r in january.values()} == {
        "R1": (4, "moderate", "open"),
        "R2": (25, "extreme", "open"),
    }
    response, february = rows(client, RISKS, as_at="2025-02-28")
    assert {r.reference: (r.rating, r.status) for r in february.values()} == {
        "R1": (20, "open"),
        "R2": (25, "closed"),
    }
    assert f'id="risk-{kept["r1"].pk}"' in response.content.decode()
    export = client.get(RISKS, {"as_at": "2025-02-28", "_export": "csv"})
    assert "risks-as-at-2025-02-28.csv" in export["Content-Disposition"]
    assert {(r["ID"], r["Reference"], r["Rating"], r["Status"]) for r in exported_rows(export)} == {
        (str(kept["r1"].pk), "R1", "20", "Open"),
        (str(kept["r2"].pk), "R2", "25", "Closed"),
    }
    _, march = rows(client, RISKS, as_at="2025-03-31", status="open", band="extreme")
    assert {r.reference for r in march.values()} == {"R1"}
    _, today = rows(client, RISKS, as_at="2025-03-31")
    assert set(r.reference for r in today.values()) == {"R1", "R2", "R3"}


@pytest.mark.django_db
def test_the_dashboard_as_at_a_day_and_its_figures_link_to_the_same_day(client, kept):
    client.force_login(kept["staff"])
    url = reverse("dashboards:organisation", args=["nhs-kept-ccg"])
    response = client.get(url, {"as_at": "2025-02-28"})
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert 'id="as-at-banner"' in html and "Figures as at 28 February 2025" in html
    figures = response.context["figures"]
    assert (figures["total"].count, figures["delivered"].count, figures["overdue"].count) == (3, 1, 1)
    assert response.context["risk_figures"]["band_extreme"].count == 2  # R1 rescored up, R2 closed
    assert response.context["risk_figures"]["open"].count == 1
    for key in ("total", "delivered", "overdue"):
        assert "as_at=2025-02-28" in figures[key].url
        linked = client.get(figures[key].url)
        assert linked.context["table"].paginator.count == figures[key].count, key
    assert "as_at=2025-02-28" in response.context["heatmap"]["inherent"]["rows"][0]["cells"][0]["query"]
    live = client.get(url).context["figures"]
    assert (live["total"].count, live["delivered"].count) == (3, 1)  # A, C, D now; A delivered


class HistoryClock(Clock):
    """A Clock that dates the status updates and risk reviews written since, too."""

    def __init__(self):
        self.kept = {model: self._last_pk(model) for model in (StatusUpdate, RiskReview)}
        super().__init__()

    @staticmethod
    def _last_pk(model):
        return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def stamp(self, day, hour=12):
        super().stamp(day, hour)
        moment = datetime.datetime.combine(day, datetime.time(hour), tzinfo=LONDON)
        with pgtrigger.ignore(*(f"{model._meta.label}:append_only" for model in self.kept)):
            for model, mark in self.kept.items():
                model.objects.filter(pk__gt=mark).update(created_at=moment)
                self.kept[model] = self._last_pk(model)


@pytest.mark.django_db
def test_as_at_a_day_a_record_is_left_out_once_it_was_archived(client, kept, admin_user):
    """Live pages leave archived records out. As at a day, a record archived by then is left out
    too, with its status history; one archived later is shown as it stood then, marked as
    archived since (its page is gone)."""
    clock = HistoryClock()
    c, r1 = kept["c"], kept["r1"]
    update(c, kept["staff"], "Started.", status="in_progress")
    clock.stamp(datetime.date(2025, 3, 20))
    for service, record, pk in (
        (plan_services.deliverable_update, c, "deliverable_id"),
        (risk_services.risk_review, r1, "risk_id"),
    ):
        record.refresh_from_db()
        service(
            **{pk: record.pk},
            acting_user=admin_user,
            expected_version=record.version,
            changes={"archived_at": timezone.now()},
            note="Archived in the admin.",
            via="admin",
        )
    clock.stamp(datetime.date(2025, 4, 10))
    client.force_login(kept["staff"])

    # Live: C and R1 are gone.
    assert {r.title for r in rows(client, DELIVERABLES)[1].values()} == {"A", "D"}
    assert {r.reference for r in rows(client, RISKS)[1].values()} == {"R2", "R3"}
    # As at 31 March they stood, not yet archived: listed, C without a link to its page.
    response, march = rows(client, DELIVERABLES, as_at="2025-03-31")
    assert {r.title: r.status for r in march.values()} == {
        "A": "delivered",
        "C": "in_progress",
        "D": kept["d"].status,
    }
    html = response.content.decode()
    assert "(since archived)" in html and f'href="/deliverables/{c.pk}/"' not in html
    assert {r.reference for r in rows(client, RISKS, as_at="2025-03-31")[1].values()} == {"R1", "R2", "R3"}
    exported = exported_rows(client.get(DELIVERABLES, {"as_at": "2025-03-31", "_export": "csv"}))
    assert {r["Deliverable / action"] for r in exported} == {"A", "C", "D"}
    # As at 30 April they had been archived: left out of the lists, the export and the dashboard.
    assert {r.title for r in rows(client, DELIVERABLES, as_at="2025-04-30")[1].values()} == {"A", "D"}
    assert {r.reference for r in rows(client, RISKS, as_at="2025-04-30")[1].values()} == {"R2", "R3"}
    exported = exported_rows(client.get(DELIVERABLES, {"as_at": "2025-04-30", "_export": "csv"}))
    assert {r["Deliverable / action"] for r in exported} == {"A", "D"}

    url = reverse("dashboards:organisation", args=["nhs-kept-ccg"])
    before, after = (
        client.get(url, {"as_at": "2025-03-31"}).context,
        client.get(url, {"as_at": "2025-04-30"}).context,
    )
    assert (before["figures"]["total"].count, after["figures"]["total"].count) == (3, 2)
    assert (before["risk_figures"]["open"].count, after["risk_figures"]["open"].count) == (2, 1)
    assert [u.deliverable_id for u in before["latest_updates"]] == [c.pk]  # C's own, on 20 March
    assert after["latest_updates"] == []
    assert [r.reference for r in before["top_risks"]] == ["R1", "R3"] and [
        r.reference for r in after["top_risks"]
    ] == ["R3"]
    for context in (before, after):
        for key in ("total", "status_in_progress"):
            figure = context["figures"][key]
            assert client.get(figure.url).context["table"].paginator.count == figure.count, key
    live = client.get(url).context
    assert live["figures"]["total"].count == 2
    assert all(u.deliverable_id != c.pk for u in live["latest_updates"])


@pytest.mark.django_db
def test_a_bad_date_is_a_400_with_a_message(client, staff_dorset):
    client.force_login(staff_dorset)
    for url in (DELIVERABLES, RISKS, reverse("dashboards:organisation", args=["nhs-dorset-ccg"])):
        for bad in ("garbage", "2025-02-30", "", "31/01/2025", "1999-12-31"):
            response = client.get(url, {"as_at": bad})
            assert response.status_code == HTTPStatus.BAD_REQUEST, (url, bad)
            assert b'id="as-at-error"' in response.content and b"nothing is shown" in response.content


@pytest.mark.django_db
def test_a_date_in_the_future_means_today(client, kept):
    client.force_login(kept["staff"])
    response, found = rows(client, DELIVERABLES, as_at="2099-01-01")
    assert {r.title for r in found.values()} == {"A", "C", "D"}
    assert b"which has not happened yet: this is today's data" in response.content
    assert response.context["as_at"].day == timezone.localdate()


@pytest.mark.django_db
def test_as_at_lists_use_a_fixed_number_of_queries(client, kept, django_assert_max_num_queries):
    client.force_login(kept["staff"])
    urls = (DELIVERABLES, RISKS, reverse("dashboards:organisation", args=["nhs-kept-ccg"]))
    counts = {}
    for url in urls:
        client.get(url, {"as_at": "2099-01-01"})
        cache.clear()  # counted as computed, not as read from the cache
        with django_assert_max_num_queries(40) as few:
            client.get(url, {"as_at": "2099-01-01"})
        counts[url] = len(few.captured_queries)
    DeliverableFactory.create_batch(40, theme=kept["theme"])
    RiskFactory.create_batch(40, organisation=kept["ccg"])
    for url in urls:
        cache.clear()  # counted as computed, not as read from the cache
        with django_assert_max_num_queries(counts[url]):
            response = client.get(url, {"as_at": "2099-01-01"})
        assert response.status_code == HTTPStatus.OK


@pytest.mark.django_db
def test_others_see_nothing_of_the_organisation_as_at_a_day(client, kept, staff_dorset):
    client.force_login(staff_dorset)
    assert not rows(client, DELIVERABLES, as_at="2025-02-28", within=kept["ccg"].pk)[1]
    assert (
        client.get(
            reverse("dashboards:organisation", args=["nhs-kept-ccg"]), {"as_at": "2025-02-28"}
        ).status_code
        == HTTPStatus.FORBIDDEN
    )


# --- The reconstruction equals what a paper issued at that moment saw --------------------------


def _deliverable_view(row):
    return {
        key: row[key]
        for key in (
            "id",
            "title",
            "status",
            "deadline",
            "deadline_text",
            "owner",
            "delivered_narrative",
            "in_progress_narrative",
            "comments",
            "position",
            "theme_id",
            "version",
            "overdue",
        )
    }


def _risk_view(row):
    return {
        key: row[key]
        for key in (
            "id",
            "reference",
            "status",
            "severity",
            "likelihood",
            "rating",
            "band",
            "residual_rating",
            "residual_band",
            "version",
        )
    }


@pytest.mark.django_db(transaction=True)
def test_as_at_the_moment_a_paper_was_read_equals_the_paper(settings, tmp_path):
    """Each change commits in its own transaction (so the audit trail's times are real): the
    rows reconstructed at the paper's data-read time are exactly the paper's, though the data
    has changed since; and the page for that day, with nothing changed later that day, shows
    the same."""
    settings.MEDIA_ROOT = str(tmp_path)
    ccg = OrganisationFactory(name="NHS Moment CCG", slug="nhs-moment-ccg")
    staff = UserFactory(username="moment.staff", first_name="Mo", last_name="Ment")
    MembershipFactory(user=staff, organisation=ccg, role=Membership.Role.STAFF)
    plan = ODPlanFactory(organisation=ccg, title="Moment plan")
    theme = ThemeFactory(plan=plan, number=1)
    today = timezone.localdate()
    made = [
        DeliverableFactory(
            theme=theme,
            position=n,
            title=f"Deliverable {n}",
            deadline=today + datetime.timedelta(days=n - 3),
            owner=staff if n % 2 else None,
        )
        for n in range(1, 6)
    ]
    risks = [
        RiskFactory(
            organisation=ccg,
            reference=f"M{n}",
            severity=n,
            likelihood=3,
            residual_severity=1,
            residual_likelihood=1,
        )
        for n in range(1, 4)
    ]
    update(made[0], staff, "Delivered early.", status="delivered", delivered_narrative="All done.")
    update(made[1], staff, in_progress_narrative="Half way.")
    review(risks[0], staff, severity=4, likelihood=4)
    made[4].delete()
    cover = first_cover_sheet(plan, staff, title="Moment paper", meeting_date="2026-05-20")

    paper = services.issue_paper(
        plan_id=plan.pk, acting_user=staff, cover_sheet_id=cover.pk, cover_sheet_version=1
    )

    update(made[1], staff, "Finished.", status="delivered")
    review(risks[1], staff, status=Risk.Status.CLOSED)
    DeliverableFactory(theme=theme, position=9, title="Added after the paper")
    made[2].delete()

    moment = AsAt.of_moment(paper.read_at)
    deliverables = list(plan_selectors.deliverables_as_at(moment, user=staff).order_by("position"))
    snapshot_rows = sorted(paper.snapshot["deliverables"], key=lambda r: r["position"])
    rebuilt = [
        _deliverable_view(
            {
                "id": d.id,
                "title": d.title,
                "status": d.status,
                "deadline": d.deadline.isoformat() if d.deadline else None,
                "deadline_text": d.deadline_text,
                "owner": (d.owner.get_full_name() or d.owner.get_username()) if d.owner else "",
                "delivered_narrative": d.delivered_narrative,
                "in_progress_narrative": d.in_progress_narrative,
                "comments": d.comments,
                "position": d.position,
                "theme_id": d.theme_id,
                "version": d.version,
                "overdue": d.is_overdue,
            }
        )
        for d in deliverables
    ]
    assert rebuilt == [_deliverable_view(r) for r in snapshot_rows]
    assert len(rebuilt) == 4 and rebuilt[0]["status"] == "delivered" and rebuilt[1]["status"] == "in_progress"
    rebuilt_risks = [
        _risk_view(
            {
                "id": r.id,
                "reference": r.reference,
                "status": r.status,
                "severity": r.severity,
                "likelihood": r.likelihood,
                "rating": r.rating,
                "band": r.band,
                "residual_rating": r.residual_rating,
                "residual_band": r.residual_band,
                "version": r.version,
            }
        )
        for r in risk_selectors.risks_as_at(moment, user=staff).order_by("reference")
    ]
    assert rebuilt_risks == [
        _risk_view(r) for r in sorted(paper.snapshot["risks"], key=lambda r: r["reference"])
    ]
    # The live data has moved on: the same reconstruction now differs.
    live = selectors.paper_data(plan=plan_selectors.plan_detail(plan_id=plan.pk, user=staff).plan)
    assert [r["status"] for r in sorted(live["deliverables"], key=lambda r: r["position"])][:2] == [
        "delivered",
        "delivered",
    ]
    assert Deliverable.objects.filter(theme=theme).count() == 4


@pytest.mark.django_db
def test_a_day_before_the_records_began_says_so_on_the_lists_and_the_dashboard(client, kept):
    """The kept CCG's records begin on 10 January 2025: the day before, the lists and the
    dashboard say so in a sentence (no zeros that look like data); from that day they list."""
    client.force_login(kept["staff"])
    for url in (DELIVERABLES, RISKS):
        response, found = rows(client, url, as_at="2025-01-09")
        assert not found
        sentence = response.content.decode().split('id="before-records-sentence">')[1].split("</p>")[0]
        assert "begin on 10 January 2025" in sentence and "9 January 2025" in sentence
        response, found = rows(client, url, as_at="2025-01-10")
        assert found and 'id="before-records-sentence"' not in response.content.decode()
    dashboard = reverse("dashboards:organisation", args=["nhs-kept-ccg"])
    response = client.get(dashboard, {"as_at": "2025-01-09"})
    assert response.context["before_records"] and "figures" not in response.context
    assert "begin on 10 January 2025" in response.content.decode()
    response = client.get(dashboard, {"as_at": "2025-01-10"})
    assert response.context["figures"]["total"].count == 3
