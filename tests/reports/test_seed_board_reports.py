"""The board report seed (fixtures/06_board_reports.json) against the cover sheet of the NHS
Dorset CCG governing body paper of 15/01/2014 (fixtures/sources/001_03dc5e1911a75b24.txt)."""

import datetime

import pytest
from django.apps import apps
from django.core.management import call_command

from apps.reports.models import BoardReport
from tests.conftest import seed_source

pytestmark = pytest.mark.django_db

# The cover sheet, word for word (the strategic principles one per line, each with its bullet).
COVER_SHEET = {
    "plan_id": 1,
    "title": "Organisational Development Strategy 2012-2017 Update",
    "meeting_date": datetime.date(2014, 1, 15),
    "author": "E Parson, Head of Workforce",
    "sponsoring_member": "T Goodson, Chief Officer and Dr A Rutland, Poole Bay Locality Chair",
    "purpose": (
        "To provide an update to the Governing Body on the delivery against NHS Dorset Clinical "
        "Commissioning Group's Organisational Development Strategy for 2012-2017."
    ),
    "recommendation": "The Governing Body is asked to Note the report.",
    "resource_implications": "Within Budget",
    "link_to_strategic_principles": (
        "• Services designed around patients\n• Preventing ill health and inequalities\n"
        "• Sustainable healthcare services\n• Care closer to home"
    ),
    "risk_assurance": "None",
    "privacy_impact": "",  # the 001 paper has no privacy impact row
    "equality_impact": "N/A",
    "actions_to_address_impact": "N/A",
    "legal_implications": "None",
    "freedom_of_information": "Unrestricted.",
    "stakeholder_engagement": (
        "Staff and members have been engaged through specific development and engagement events, "
        "communication bulletins and local team meetings."
    ),
    "reason_for_part_2": "N/A",
    "previous_committees": "None.",
    "version": 1,
}


def test_one_report_linked_to_dorsets_plan():
    report = BoardReport.objects.get()
    assert report.pk == 1
    assert report.plan.organisation.slug == "nhs-dorset-ccg"
    assert report.created_at == report.updated_at == datetime.datetime(2026, 11, 23, tzinfo=datetime.UTC)


def test_cover_sheet_word_for_word():
    report = BoardReport.objects.values(*COVER_SHEET).get(pk=1)
    assert report == COVER_SHEET


def test_values_appear_in_the_source_as_printed():
    source = seed_source("001_03dc5e1911a75b24.txt")
    for field, value in COVER_SHEET.items():
        if isinstance(value, str) and value and field not in ("title", "link_to_strategic_principles"):
            assert f"\t{value}\n" in source, field
    assert "Date of the meeting\t15/01/2014\n" in source
    for line in COVER_SHEET["link_to_strategic_principles"].splitlines():
        assert line in source


def test_loading_the_seed_twice_adds_nothing():
    events = apps.get_model("reports", "BoardReportEvent").objects.count()
    call_command("load_seed", verbosity=0)
    assert BoardReport.objects.count() == 1
    assert apps.get_model("reports", "BoardReportEvent").objects.count() == events
    assert BoardReport.objects.values(*COVER_SHEET).get(pk=1) == COVER_SHEET
