import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from pghistory.models import Events

from apps.core.history.audit import StaleVersionError
from apps.risks import selectors, services
from apps.risks.models import Risk, RiskReview

pytestmark = pytest.mark.django_db


@pytest.fixture
def risk(darlington):
    return Risk.objects.get(organisation=darlington, reference="R1")  # 5 x 3, residual 4 x 2


def _review(risk, user, **kwargs):
    kwargs.setdefault("expected_version", risk.version)
    kwargs.setdefault("note", "Reviewed at the Executive.")
    return services.risk_review(risk_id=risk.pk, acting_user=user, **kwargs)


def test_a_review_records_who_scores_before_and_after_and_the_note(risk, staff_darlington):
    _review(risk, staff_darlington, changes={"residual_likelihood": 1, "mitigation": "New controls."})
    review = RiskReview.objects.get(risk=risk)
    assert review.reviewed_by == staff_darlington
    assert (review.residual_severity_before, review.residual_likelihood_before) == (4, 2)
    assert (review.residual_severity_after, review.residual_likelihood_after) == (4, 1)
    [linked], _ = selectors.risk_history(risk)
    assert linked.changed["mitigation"][1] == "New controls."  # read from the audit trail
    event = Events.objects.tracks(risk).order_by("-pgh_created_at").first()
    assert review.audit_context_id == event.pgh_context_id
    assert event.pgh_label == "update" and event.pgh_context["note"] == "Reviewed at the Executive."


def test_residual_above_inherent_is_refused(risk, staff_darlington):
    with pytest.raises(ValidationError, match="cannot be above"):
        _review(risk, staff_darlington, changes={"residual_severity": 5, "residual_likelihood": 4})
    risk.refresh_from_db()
    assert (risk.residual_severity, risk.residual_likelihood) == (4, 2)
    assert not RiskReview.objects.filter(risk=risk).exists()


@pytest.mark.parametrize("note", ["", "   "])
def test_a_note_is_required(risk, staff_darlington, note):
    before = (risk.likelihood, risk.version)
    with pytest.raises(ValidationError) as excinfo:
        _review(risk, staff_darlington, changes={"likelihood": 2}, note=note)
    assert excinfo.value.message_dict["note"] == [
        "Write a review note: what was reviewed, and why the scores stand."
    ]
    risk.refresh_from_db()
    assert (risk.likelihood, risk.version) == before
    assert not RiskReview.objects.filter(risk=risk).exists()


def test_the_audit_trail_says_how_the_review_was_made(risk, staff_darlington):
    _review(risk, staff_darlington, changes={"likelihood": 2}, via="import")
    event = Events.objects.tracks(risk).order_by("-pgh_created_at", "-pgh_id").first()
    assert event.pgh_context["via"] == "import"


def test_a_review_by_the_service_is_recorded_as_made_in_ccgtrack(risk, staff_darlington):
    _review(risk, staff_darlington, changes={"likelihood": 2})
    event = Events.objects.tracks(risk).order_by("-pgh_created_at", "-pgh_id").first()
    assert event.pgh_context["via"] == "ccgtrack"
    assert event.pgh_context["user"] == staff_darlington.pk


def test_stale_version_is_refused(risk, staff_darlington):
    _review(risk, staff_darlington, changes={"likelihood": 2})
    with pytest.raises(StaleVersionError):
        _review(risk, staff_darlington, expected_version=risk.version, changes={"likelihood": 1})


@pytest.mark.parametrize("who", ["staff_dorset", "board_dorset", "no_role_user"])
def test_only_staff_of_the_owning_organisation_may_review(request, risk, who):
    with pytest.raises(PermissionDenied):
        _review(risk, request.getfixturevalue(who), changes={"likelihood": 1})


def test_failure_after_the_save_rolls_back(risk, staff_darlington, monkeypatch):
    monkeypatch.setattr(
        RiskReview.objects, "create", lambda **kw: (_ for _ in ()).throw(RuntimeError("boom"))
    )
    with pytest.raises(RuntimeError):
        _review(risk, staff_darlington, changes={"likelihood": 4})
    risk.refresh_from_db()
    assert risk.likelihood == 3
