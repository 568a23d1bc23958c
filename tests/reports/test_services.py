import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from pghistory.models import Events

from apps.plans.models import ODPlan
from apps.reports.models import BoardReport
from apps.reports.services import StaleVersionError, board_report_save, latest_report

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


def test_the_latest_report_is_the_one_for_the_latest_meeting_then_the_newest(dorset_plan):
    first = BoardReport.objects.get(plan=dorset_plan)
    later_meeting = BoardReport.objects.create(
        plan=dorset_plan, title="March", meeting_date=first.meeting_date + datetime.timedelta(days=60)
    )
    BoardReport.objects.create(  # created last, for an earlier meeting: not the latest
        plan=dorset_plan, title="Back-filled", meeting_date=first.meeting_date - datetime.timedelta(days=30)
    )
    assert latest_report(dorset_plan) == later_meeting
    same_day = BoardReport.objects.create(
        plan=dorset_plan, title="Re-issued", meeting_date=later_meeting.meeting_date
    )
    assert latest_report(dorset_plan) == same_day  # two for one meeting: the newer
    assert latest_report(ODPlan.objects.exclude(pk=dorset_plan.pk).first()) is None


def test_a_cover_sheet_save_is_audited_as_made_in_ccgtrack_with_its_note(staff_dorset, dorset_plan):
    board_report_save(
        plan=dorset_plan,
        acting_user=staff_dorset,
        report_id=1,
        expected_version=1,
        data={"author": "E Parson"},
    )
    event = (
        Events.objects.tracks(BoardReport.objects.get(pk=1)).order_by("-pgh_created_at", "-pgh_id").first()
    )
    assert event.pgh_context == {"user": staff_dorset.pk, "note": "Cover sheet saved.", "via": "ccgtrack"}


@pytest.mark.parametrize("who", ["staff_dorset", "no_role_user"])
def test_only_staff_of_the_organisation_may_create_its_first_report(request, who, darlington_plan):
    with pytest.raises(PermissionDenied, match=r"^Only staff of the owning organisation may change this\.$"):
        board_report_save(
            plan=darlington_plan,
            acting_user=request.getfixturevalue(who),
            expected_version=0,
            data={"title": "Forged", "meeting_date": datetime.date(2027, 1, 20)},
        )
    assert not BoardReport.objects.filter(plan=darlington_plan).exists()
