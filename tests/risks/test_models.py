import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.risks.models import Band, BandScheme, Risk
from tests.risks.factories import RiskFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "rating, band",
    [
        (1, Band.LOW),
        (3, Band.LOW),
        (4, Band.MODERATE),
        (6, Band.MODERATE),
        (8, Band.HIGH),
        (12, Band.HIGH),
        (15, Band.EXTREME),
        (25, Band.EXTREME),
    ],
)
def test_default_nhs_bands_at_their_boundaries(rating, band):
    assert BandScheme.current().band_for(rating) == band


def test_database_bands_match_python_bands_for_every_possible_rating(darlington):
    scheme = BandScheme.current()
    for s in range(1, 6):
        for lik in range(1, 6):
            RiskFactory(organisation=darlington, severity=s, likelihood=lik)
    for risk in Risk.objects.filter(category="Generated").with_ratings(scheme):
        assert risk.rating == risk.severity * risk.likelihood
        assert risk.band == scheme.band_for(risk.rating)


def test_bands_follow_an_admin_change_of_edges(darlington):
    scheme = BandScheme.current()
    scheme.low_max, scheme.moderate_max, scheme.high_max = 4, 9, 16
    scheme.full_clean()
    scheme.save()
    assert [scheme.band_for(r) for r in (4, 5, 9, 10, 16, 20)] == [
        Band.LOW,
        Band.MODERATE,
        Band.MODERATE,
        Band.HIGH,
        Band.HIGH,
        Band.EXTREME,
    ]
    slip = Risk.objects.with_ratings().get(organisation=darlington, reference="R5")
    assert (slip.rating, slip.band) == (16, Band.HIGH)  # was extreme under the default edges


def test_band_edges_must_rise():
    scheme = BandScheme.current()
    scheme.low_max, scheme.moderate_max = 6, 4
    with pytest.raises(ValidationError):
        scheme.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        scheme.save()


def test_residual_above_inherent_is_refused_by_the_model_and_the_database(darlington):
    risk = RiskFactory.build(
        organisation=darlington, severity=2, likelihood=2, residual_severity=3, residual_likelihood=2
    )
    with pytest.raises(ValidationError, match="cannot be above the inherent rating"):
        risk.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        risk.save()


@pytest.mark.parametrize("field", ["severity", "likelihood", "residual_severity", "residual_likelihood"])
@pytest.mark.parametrize("value", [0, 6])
def test_scores_outside_1_to_5_are_refused_by_the_database(darlington, field, value):
    risk = RiskFactory.build(organisation=darlington, severity=5, likelihood=5)
    setattr(risk, field, value)
    with pytest.raises(IntegrityError), transaction.atomic():
        risk.save()
