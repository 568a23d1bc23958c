import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.plans.models import ODPlan
from apps.reports.models import BoardReport
from apps.reports.services import StaleVersionError, board_report_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def dorset_plan(dorset):
    return ODPlan.objects.get(organisation=dorset)


@pytest.fixture
def darlington_plan(darlington):
    return ODPlan.objects.get(organisation=darlington)


def test_staff_save_raises_the_version_and_keeps_other_fields(staff_dorset, dorset_plan):
    report = board_report_save(
        plan=dorset_plan,
        acting_user=staff_dorset,
        report_id=1,
        expected_version=1,
        data={"legal_implications": "  Reviewed by the legal team.  "},
    )
    report.refresh_from_db()
    assert report.pk == 1 and report.version == 2
    assert report.legal_implications == "Reviewed by the legal team."
    assert report.freedom_of_information == "Unrestricted."


def test_first_report_is_created_from_version_zero(staff_darlington, darlington_plan):
    report = board_report_save(
        plan=darlington_plan,
        acting_user=staff_darlington,
        expected_version=0,
        data={"title": "OD plan update", "meeting_date": datetime.date(2027, 1, 20)},
    )
    assert report.plan == darlington_plan and report.version == 1
    with pytest.raises(StaleVersionError) as conflict:
        board_report_save(
            plan=darlington_plan,
            acting_user=staff_darlington,
            expected_version=0,
            data={"title": "Another", "meeting_date": datetime.date(2027, 1, 21)},
        )
    assert conflict.value.current == report
    assert BoardReport.objects.filter(plan=darlington_plan).count() == 1


@pytest.mark.parametrize("who", ["board_dorset", "staff_darlington", "no_role_user"])
def test_only_staff_of_the_organisation_may_save(request, who, dorset_plan):
    before = list(BoardReport.objects.values())
    with pytest.raises(PermissionDenied):
        board_report_save(
            plan=dorset_plan,
            acting_user=request.getfixturevalue(who),
            report_id=1,
            expected_version=1,
            data={"author": "Forged"},
        )
    assert list(BoardReport.objects.values()) == before


def test_admin_may_save(admin_user, dorset_plan):
    report = board_report_save(
        plan=dorset_plan, acting_user=admin_user, report_id=1, expected_version=1, data={"author": "An Admin"}
    )
    assert report.author == "An Admin"


def test_stale_version_is_refused(staff_dorset, dorset_plan):
    with pytest.raises(StaleVersionError) as conflict:
        board_report_save(
            plan=dorset_plan, acting_user=staff_dorset, report_id=1, expected_version=7, data={"author": "X"}
        )
    assert conflict.value.current.author == "E Parson, Head of Workforce"
    assert BoardReport.objects.get(pk=1).version == 1


@pytest.mark.parametrize(
    "data, field",
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"meeting_date": None}, "meeting_date"),
        ({"sponsoring_member": "x" * 301}, "sponsoring_member"),
    ],
)
def test_invalid_records_are_refused(staff_dorset, dorset_plan, data, field):
    with pytest.raises(ValidationError) as error:
        board_report_save(
            plan=dorset_plan, acting_user=staff_dorset, report_id=1, expected_version=1, data=data
        )
    assert field in error.value.message_dict
    assert BoardReport.objects.get(pk=1).version == 1


def test_fields_outside_the_cover_sheet_are_refused(staff_dorset, dorset_plan, darlington_plan):
    with pytest.raises(ValidationError):
        board_report_save(
            plan=dorset_plan,
            acting_user=staff_dorset,
            report_id=1,
            expected_version=1,
            data={"plan": darlington_plan},
        )
    assert BoardReport.objects.get(pk=1).plan == dorset_plan
