"""A bounded property-based fuzz (hypothesis) of every form and every list's query string: no
input answers 500, and input that is refused (4xx) changes nothing in the database.

Each target runs a fixed number of examples (derandomized, so every run tries the same inputs
and a failure reproduces), with no deadline: the point is the answers, not their speed. The
examples share one test transaction, so a valid save may raise a version; every example reads
the current version first, so later examples still reach the checks past the version."""

from http import HTTPStatus

import pytest
from django.db.models import Sum
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pghistory.models import Events

from apps.core.bounds import NARRATIVE_MAX_LENGTH, NOTE_MAX_LENGTH
from apps.plans.models import Deliverable, StatusUpdate
from apps.reports.models import COVER_FIELDS, BoardReport
from apps.risks.models import Band, Risk, RiskReview

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    # Each test runs its examples in a nested @given function (no fixture is passed to @given, so
    # the function-scoped-fixture health check does not arise); a page takes tens of ms.
    suppress_health_check=[HealthCheck.too_slow],
)

# --- Values ---------------------------------------------------------------------------------

text = st.text(max_size=40)  # any code point but surrogates: NUL, RTL marks, emoji ...
long_text = st.sampled_from(["x" * (NOTE_MAX_LENGTH + 1), "y" * (NARRATIVE_MAX_LENGTH + 1), "z " * 60_000])
numbers = st.integers(min_value=-(10**20), max_value=10**20).map(str)
dates = st.dates().flatmap(
    lambda d: st.sampled_from([d.isoformat(), d.strftime("%d/%m/%Y"), d.isoformat()[:7]])
)
junk = st.one_of(text, numbers, dates, long_text, st.sampled_from(["", "true", "false", "-1", "0", "\x00"]))


def form(valid):
    """A post: the valid one (the form as the page would send it); or that with up to three
    fields replaced by anything or left out; or anything at all."""
    mutations = st.dictionaries(st.sampled_from(sorted(valid)), st.one_of(junk, st.none()), max_size=3)
    return st.one_of(
        st.just(valid),
        mutations.map(lambda m: {k: v for k, v in {**valid, **m}.items() if v is not None}),
        st.fixed_dictionaries({}, optional=dict.fromkeys(valid, junk)),
    )


def _state():
    """What any accepted write changes: the versions (raised by PostgreSQL on every UPDATE), the
    number of records, history rows and audit events."""
    return (
        Deliverable.objects.aggregate(v=Sum("version"))["v"],
        Risk.objects.aggregate(v=Sum("version"))["v"],
        BoardReport.objects.aggregate(v=Sum("version"))["v"],
        BoardReport.objects.count(),
        StatusUpdate.objects.count(),
        RiskReview.objects.count(),
        Events.objects.count(),
    )


def _check(response, before):
    assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR, response.content[:500]
    if response.status_code >= HTTPStatus.BAD_REQUEST:
        assert _state() == before, f"a refused request ({response.status_code}) changed the database"


def _str(value):
    return "" if value is None else str(value)


# --- Forms ----------------------------------------------------------------------------------


@pytest.fixture
def deliverable(dorset):
    return Deliverable.objects.filter(theme__plan__organisation=dorset).order_by("pk").first()


@pytest.fixture
def risk(darlington):
    return Risk.objects.get(organisation=darlington, reference="R2")


def _fuzz(post_strategy, submit):
    """Run the examples of one form; return the status of every answer."""
    answers = []

    @FUZZ
    @given(data=st.data())
    def run(data):
        post = data.draw(post_strategy())
        before = _state()
        response = submit(post)
        _check(response, before)
        answers.append(response)

    run()
    return answers


def _both(answers):
    """The fuzz reached past the checks (some saves accepted) and was refused too."""
    codes = [a.status_code for a in answers]
    assert any(c < HTTPStatus.BAD_REQUEST for c in codes), codes
    assert any(c >= HTTPStatus.BAD_REQUEST for c in codes), codes


def test_fuzz_the_deliverable_update_form(client, staff_dorset, deliverable):
    client.force_login(staff_dorset)

    def post():
        current = Deliverable.objects.get(pk=deliverable.pk)
        return form(
            {
                "status": current.status,
                "note": "Progress.",
                "delivered_narrative": current.delivered_narrative,
                "in_progress_narrative": current.in_progress_narrative,
                "owner": "",
                "deadline": _str(current.deadline),
                "version": str(current.version),
            }
        )

    _both(_fuzz(post, lambda data: client.post(deliverable.get_absolute_url(), data)))


def test_fuzz_the_in_place_status_change(client, staff_dorset, deliverable):
    client.force_login(staff_dorset)
    url = reverse("plans:deliverable_status", args=[deliverable.pk])

    def post():
        current = Deliverable.objects.get(pk=deliverable.pk)
        other = "in_progress" if current.status != "in_progress" else "delivered"
        valid = {
            "status": other,
            "note": "Moved on.",
            "version": str(current.version),
            "next": "/deliverables/",
        }
        return st.tuples(form(valid), st.booleans())

    def submit(drawn):
        data, htmx = drawn
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        response = client.post(url, data, **headers)
        if response.status_code == HTTPStatus.FOUND:  # never to another site
            assert response["Location"].startswith("/") and not response["Location"].startswith("//")
        return response

    _both(_fuzz(post, submit))


def test_fuzz_the_risk_review_form(client, staff_darlington, risk):
    client.force_login(staff_darlington)

    def post():
        current = Risk.objects.get(pk=risk.pk)
        return form(
            {
                "severity": str(current.severity),
                "likelihood": str(current.likelihood),
                "residual_severity": str(current.residual_severity),
                "residual_likelihood": str(current.residual_likelihood),
                "mitigation": current.mitigation,
                "owner": "",
                "next_review_on": _str(current.next_review_on),
                "status": current.status,
                "note": "Reviewed.",
                "version": str(current.version),
            }
        )

    _both(_fuzz(post, lambda data: client.post(risk.get_absolute_url(), data)))


def test_fuzz_the_cover_sheet_form(client, staff_dorset):
    client.force_login(staff_dorset)
    plan_id = BoardReport.objects.get(pk=1).plan_id

    def post():
        report = BoardReport.objects.get(pk=1)
        valid = {name: _str(getattr(report, name)) for name in COVER_FIELDS}
        valid.update(meeting_date=report.meeting_date.isoformat(), version=str(report.version), report="1")
        return form(valid)

    _both(_fuzz(post, lambda data: client.post(reverse("reports:cover_edit", args=[plan_id]), data)))


# --- Lists' query strings -------------------------------------------------------------------

COMMON = ["sort", "page", "per_page", "_export"]
VALUES = st.one_of(
    junk,
    st.sampled_from(
        ["csv", "xlsx", "title", "-deadline", "rating", "-name", "delivered", "in_progress", *Band.values]
    ),
    st.integers(min_value=0, max_value=3000).map(str),
)
LISTS = {
    "deliverables": (
        reverse("plans:deliverable_list"),
        "q within organisation plan theme status bucket domain overdue due_soon stale owner has_cost "
        "delivered_month deadline_after deadline_before",
    ),
    "risks": (
        reverse("risks:risk_list"),
        "q within organisation category band residual_band owner review_overdue status severity "
        "likelihood residual_severity residual_likelihood",
    ),
    "heat map": (
        reverse("risks:heatmap"),
        "q within organisation band residual_band status severity likelihood",
    ),
    "national": (reverse("organisations:national"), "q region hub hosts_hub"),
    "national dashboard": (reverse("dashboards:national"), ""),
    "organisation dashboard": (reverse("dashboards:organisation", args=["nhs-dorset-ccg"]), "within"),
}
# The organisation dashboard reads no query parameter but ``within``; it is the costliest page.
EXAMPLES = {"organisation dashboard": 10}


@pytest.mark.parametrize("target", list(LISTS))
def test_fuzz_every_lists_query_string(client, admin_user, target):
    url, names = LISTS[target]
    keys = st.sampled_from(names.split() + COMMON)
    client.force_login(admin_user)

    @settings(FUZZ, max_examples=EXAMPLES.get(target, FUZZ.max_examples))
    @given(query=st.lists(st.tuples(keys, VALUES), max_size=6))
    def run(query):
        before = _state()
        response = client.get(url, query)  # a list of pairs: a key may repeat, as in a real URL
        assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR, (query, response.content[:300])
        assert _state() == before  # a read changes nothing

    run()
