"""The Darlington OD risk register seed (fixtures/05_risks_darlington.json) against Table 2 of
NHS Darlington CCG Organisational Development Plan Phase 2.2, version 1.5, June 2012."""

from collections import Counter

import pytest

from apps.risks.models import Risk

pytestmark = pytest.mark.django_db

# reference: (category, description starts with, (S, L, residual S, residual L), printed R, printed residual)
OR, SD = "Organisational Readiness", "Strategic Delivery"
TABLE_2 = {
    "R1": (OR, "Failure to identify the right organisational", (5, 3, 4, 2), "15 Red", "8 Amb"),
    "R2": (OR, "Establishing unrealistic timescales", (4, 4, 4, 3), "16 Red", "12 Amb"),
    "R3": (OR, "Not building effective relationships", (4, 4, 3, 3), "16 Red", "9 Amb"),
    "R4": (OR, "No effective and robust governance", (5, 3, 5, 3), "15 Red", "15 Red"),
    "R5": (OR, "Not putting in place and developing the right leadership", (4, 4, 4, 3), "12 Red", "12 Amb"),
    "R6": (OR, "Shortage of the right skills and resources", (5, 3, 5, 3), "15 Red", "15 Red"),
    "R7": (SD, "Insufficient leadership (clinical and non-clinical)", (5, 3, 4, 3), "15 Red", "12 Amb"),
    "R8": (SD, "Lack of pathway redesign, project, procurement", (5, 3, 4, 3), "15 Red", "12 Amb"),
    "R9": (SD, "Failure to establish to right level of commissioning", (5, 3, 4, 3), "15 Red", "12 Amb"),
}


def darlington_risks():
    return Risk.objects.filter(plan_id=2)


def test_nine_risks_in_table_order():
    risks = list(darlington_risks().order_by("pk").values_list("pk", "reference"))
    assert risks == [(i, f"R{i}") for i in range(1, 10)]


def test_categories():
    assert dict(Counter(darlington_risks().values_list("category", flat=True))) == {
        "Organisational Readiness": 6,
        "Strategic Delivery": 3,
    }


@pytest.mark.parametrize("reference", sorted(TABLE_2))
def test_each_risk_as_printed(reference):
    category, description, scores, printed, printed_residual = TABLE_2[reference]
    risk = Risk.objects.get(plan_id=2, reference=reference)
    assert risk.organisation.slug == "nhs-darlington-ccg"
    assert risk.category == category
    assert risk.description.startswith(description)
    assert (risk.severity, risk.likelihood, risk.residual_severity, risk.residual_likelihood) == scores
    assert risk.status == "open"
    assert risk.owner is None and risk.next_review_on is None
    assert risk.version == 1
    if scores[0] * scores[1] == int(printed.split()[0]):
        assert risk.source_note == f"Source printed R {printed}; residual R {printed_residual}."
    else:  # the slip row
        assert risk.source_note == (
            "Source printed R 12 (Red) for S 4 x L 4; the rating is derived as 16. "
            f"Residual printed R {printed_residual}."
        )


def test_residual_never_above_inherent():
    for risk in darlington_risks():
        assert risk.residual <= risk.inherent_rating


def test_ratings_derived_from_the_scores():
    ratings = dict(darlington_risks().with_ratings().values_list("reference", "rating"))
    assert ratings == {
        "R1": 15,
        "R2": 16,
        "R3": 16,
        "R4": 15,
        "R5": 16,
        "R6": 15,
        "R7": 15,
        "R8": 15,
        "R9": 15,
    }
    residuals = dict(darlington_risks().with_ratings().values_list("reference", "residual_rating"))
    assert residuals == {
        "R1": 8,
        "R2": 12,
        "R3": 9,
        "R4": 15,
        "R5": 12,
        "R6": 15,
        "R7": 12,
        "R8": 12,
        "R9": 12,
    }


def test_slip_row_stored_as_4_x_4_with_note():
    risk = Risk.objects.get(plan_id=2, reference="R5")
    assert risk.description == (
        "Not putting in place and developing the right leadership both clinically and managerially to enable "
        "the organisation to move forward"
    )
    assert (risk.severity, risk.likelihood) == (4, 4)
    assert risk.inherent_rating == 16
    assert risk.source_note.startswith(
        "Source printed R 12 (Red) for S 4 x L 4; the rating is derived as 16."
    )


def test_slip_row_bands_from_the_derived_rating():
    risk = darlington_risks().with_ratings().get(reference="R5")
    assert risk.rating == 16
    assert risk.band == "extreme"  # the source printed Red: the derived 16 keeps it in the top band


def test_every_risk_records_what_the_source_printed():
    for risk in darlington_risks():
        assert risk.source_note.startswith("Source printed R ")


def test_mitigation_spot_checks():
    r1 = Risk.objects.get(plan_id=2, reference="R1")
    assert r1.mitigation == (
        "Use of external support and diagnostic tool to assess and agree priorities throughout the "
        "transition process. Take time to reflect changing needs and refresh plan over time"
    )
    r9 = Risk.objects.get(plan_id=2, reference="R9")
    assert r9.description == (
        "Failure to establish to right level of commissioning technical expertise from the commissioning "
        "support organisation."
    )
    assert r9.mitigation == (
        "Commissioning support arrangements are in development in the cluster and across the NE working to a "
        "similar trajectory as our CCG."
    )
