"""Evidence of the Board Assurance Framework's key controls and assurances (issue 22 item 2):
linked through the edit path (the organisation's editors only), held to one record per link by
the database, listed on the framework's pages without a query per row, found by the library's
filter, and printed in the board report's appendix, frozen in the issued paper."""

import csv
import datetime
import io
from http import HTTPStatus

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from apps.assurance import paper as assurance_paper
from apps.evidence import services
from apps.evidence.files import check_upload
from apps.evidence.models import EvidenceLink
from apps.organisations.models import Membership
from apps.reports.models import IssuedPaper
from apps.risks.services import risk_edit
from tests.assurance.factories import AssuranceFactory, ControlFactory, PrincipalRiskFactory
from tests.browser.test_every_page import _developer_words, _text
from tests.evidence.factories import add_file, add_link
from tests.evidence.samples import PDF, upload
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.plans.factories import DeliverableFactory, ODPlanFactory, ThemeFactory
from tests.reports.helpers import first_cover_sheet, issue, move_meeting
from tests.risks.factories import RiskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def control(dorset):
    principal = PrincipalRiskFactory(risk=RiskFactory(organisation=dorset, reference="BAF1"))
    return ControlFactory(principal_risk=principal, description="Monthly finance report")


@pytest.fixture
def assurance(control):
    return AssuranceFactory(control=control, description="Internal audit of budgets")


def _link(item, user, **target):
    return services.evidence_link(item=item, acting_user=user, target=target)


# --- The service ------------------------------------------------------------------------------


def test_staff_link_one_item_to_a_control_and_an_assurance(dorset, staff_dorset, control, assurance):
    item = add_link(dorset, staff_dorset)
    by_control = _link(item, staff_dorset, control=control)
    by_assurance = _link(item, staff_dorset, assurance=assurance)
    assert (by_control.target, by_control.target_label) == (control, "Key control")
    assert (by_assurance.target, by_assurance.target_label) == (assurance, "Assurance")
    assert by_control.target_organisation() == by_assurance.target_organisation() == dorset
    with pytest.raises(ValidationError, match="already supports"):
        _link(item, staff_dorset, assurance=assurance)
    assert EvidenceLink.objects.current().filter(item=item).count() == 2


@pytest.mark.parametrize("who", ["board_dorset", "staff_darlington", "no_role_user"])
def test_others_may_not_link_to_a_control_or_an_assurance(
    request, dorset, staff_dorset, control, assurance, who
):
    item = add_link(dorset, staff_dorset)
    user = request.getfixturevalue(who)
    for target in ({"control": control}, {"assurance": assurance}):
        with pytest.raises(PermissionDenied):
            services.evidence_link(item=item, acting_user=user, target=target)
    assert not item.links.exists()


def test_evidence_of_one_organisation_cannot_support_anothers_control(
    darlington, staff_darlington, control, assurance
):
    item = add_link(darlington, staff_darlington)
    for target in ({"control": control}, {"assurance": assurance}):
        with pytest.raises(PermissionDenied):
            services.evidence_link(item=item, acting_user=staff_darlington, target=target)
    assert not item.links.exists()


def test_an_administrator_links_anywhere(dorset, staff_dorset, admin_user, assurance):
    item = add_link(dorset, staff_dorset)
    assert _link(item, admin_user, assurance=assurance).assurance == assurance


def test_a_control_of_an_archived_risk_takes_no_new_evidence(dorset, staff_dorset, control, assurance):
    item = add_link(dorset, staff_dorset)
    risk = control.principal_risk.risk
    risk_edit.set_archived(
        pk=risk.pk, acting_user=staff_dorset, expected_version=risk.version, archived=True, note="Closed."
    )
    for target in ({"control": control}, {"assurance": assurance}):
        with pytest.raises(ValidationError, match="archived"):
            services.evidence_link(item=item, acting_user=staff_dorset, target=target)
    assert not item.links.exists()


def test_the_database_refuses_two_targets_on_one_link(dorset, staff_dorset, control, assurance):
    item = add_link(dorset, staff_dorset)
    for targets in (
        {"control": control, "assurance": assurance},
        {"control": control, "risk": control.principal_risk.risk},
    ):
        with pytest.raises(IntegrityError, match="evidence_link_exactly_one_target"), transaction.atomic():
            EvidenceLink.objects.create(item=item, **targets)
    assert not EvidenceLink.objects.exists()


# --- The pages ------------------------------------------------------------------------------


def test_the_framework_pages_list_the_evidence_of_controls_and_assurances(
    client, dorset, staff_dorset, board_dorset, control, assurance, media_root
):
    minutes = add_file(dorset, staff_dorset, title="Finance committee minutes")
    audit = add_link(dorset, staff_dorset, title="Audit report on SharePoint")
    _link(minutes, staff_dorset, control=control)
    _link(audit, staff_dorset, assurance=assurance)
    sha256 = minutes.revisions.get().sha256
    framework = reverse("assurance:framework", args=[dorset.slug])
    detail = control.principal_risk.get_absolute_url()
    add_control = reverse("evidence:item_create", args=[dorset.slug]) + f"?control={control.pk}"
    link_assurance = reverse("evidence:link_create") + f"?assurance={assurance.pk}"
    for url in (framework, detail):
        client.force_login(staff_dorset)
        html = client.get(url).content.decode()
        control_part = html[
            html.index(f'id="control-{control.pk}"') : html.index(f'id="assurance-{assurance.pk}"')
        ]
        assert "Finance committee minutes" in control_part and sha256[:16] in control_part
        assurance_part = html[html.index(f'id="assurance-{assurance.pk}"') :]
        assert "Audit report on SharePoint" in assurance_part.split("</li>")[0]
        assert add_control in html and link_assurance in html
        client.force_login(board_dorset)
        html = client.get(url).content.decode()
        text = _text(html)
        assert "finance committee minutes" in text and "audit report on sharepoint" in text
        assert "add evidence" not in text and "link existing evidence" not in text
        assert _developer_words(text) == []


def test_staff_add_and_link_evidence_from_the_framework(client, dorset, staff_dorset, control, assurance):
    client.force_login(staff_dorset)
    response = client.post(
        reverse("evidence:item_create", args=[dorset.slug]) + f"?control={control.pk}",
        {
            "kind": "link",
            "title": "Budget monitoring pack",
            "url": "https://nhs.sharepoint.com/sites/finance/pack.pdf",
            "speaks_for": "2026-01-31",
            "review_on": "",
            "note": "Shows the control runs monthly.",
        },
    )
    assert response.status_code == HTTPStatus.FOUND and response.url == control.get_absolute_url()
    item = EvidenceLink.objects.get(control=control).item
    url = reverse("evidence:link_create") + f"?assurance={assurance.pk}"
    form = client.get(url)
    assert form.status_code == HTTPStatus.OK and "Budget monitoring pack" in form.content.decode()
    response = client.post(url, {"item": item.pk, "note": "The audit read it."})
    assert response.status_code == HTTPStatus.FOUND and response.url == assurance.get_absolute_url()
    assert EvidenceLink.objects.current().get(assurance=assurance).item == item
    page = _text(client.get(item.get_absolute_url()).content.decode())
    assert "monthly finance report" in page and "key control" in page
    assert "internal audit of budgets" in page


@pytest.mark.parametrize("field", ["control", "assurance"])
def test_the_link_pages_are_for_the_organisations_editors(
    client, dorset, board_dorset, staff_darlington, request, field
):
    record = request.getfixturevalue(field)
    client.force_login(board_dorset)
    assert (
        client.get(reverse("evidence:link_create") + f"?{field}={record.pk}").status_code
        == HTTPStatus.FORBIDDEN
    )
    client.force_login(staff_darlington)  # cannot read Dorset's framework at all
    assert (
        client.get(reverse("evidence:link_create") + f"?{field}={record.pk}").status_code
        == HTTPStatus.NOT_FOUND
    )
    response = client.get(reverse("evidence:item_create", args=[dorset.slug]) + f"?{field}={record.pk}")
    assert response.status_code in (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND)


def _member(organisation):
    user = UserFactory()
    MembershipFactory(user=user, organisation=organisation, role=Membership.Role.STAFF)
    return user


def _framework_with_evidence(organisation, user, n):
    """``n`` principal risks, each with two controls and an assurance per control, and a piece
    of evidence on every control and every assurance."""
    principals = []
    for i in range(n):
        principal = PrincipalRiskFactory(risk=RiskFactory(organisation=organisation))
        for _ in range(2):
            control = ControlFactory(principal_risk=principal)
            assurance = AssuranceFactory(control=control)
            item = add_link(organisation, user, title=f"Evidence {i}")
            _link(item, user, control=control)
            _link(item, user, assurance=assurance)
        principals.append(principal)
    return principals


@pytest.mark.parametrize("page", ["framework", "detail"])
def test_the_framework_pages_read_a_fixed_number_of_queries_however_much_evidence(
    client, django_assert_max_num_queries, page
):
    counts = []
    for n in (2, 10):
        organisation = OrganisationFactory()
        user = _member(organisation)
        principals = _framework_with_evidence(organisation, user, n)
        url = (
            reverse("assurance:framework", args=[organisation.slug])
            if page == "framework"
            else principals[-1].get_absolute_url()
        )
        client.force_login(user)
        client.get(url)
        with django_assert_max_num_queries(40) as captured:
            html = client.get(url).content.decode()
        assert f"Evidence {n - 1}" in html
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1], counts


# --- The library --------------------------------------------------------------------------------


def test_the_library_filters_and_exports_by_the_new_kinds(client, dorset, staff_dorset, control, assurance):
    by_control = add_link(dorset, staff_dorset, title="Control evidence")
    by_assurance = add_link(dorset, staff_dorset, title="Assurance evidence")
    add_link(dorset, staff_dorset, title="Nothing yet")
    _link(by_control, staff_dorset, control=control)
    _link(by_assurance, staff_dorset, assurance=assurance)
    client.force_login(staff_dorset)
    url = reverse("evidence:library", args=[dorset.slug])

    def titles(**params):
        response = client.get(url, params)
        assert response.status_code == HTTPStatus.OK
        return {row.record.title for row in response.context["table"].page.object_list}

    assert titles(supports="control") == {"Control evidence"}
    assert titles(supports="assurance") == {"Assurance evidence"}
    assert titles(supports="nothing") == {"Nothing yet"}
    page = client.get(url).content.decode()
    assert '<option value="control">Key control</option>' in page
    assert '<option value="assurance">Assurance</option>' in page
    response = client.get(url, {"_export": "csv"})
    rows = csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    supports = {row["Title"]: row["Supports"] for row in rows}
    assert supports["Control evidence"] == "Key control of risk BAF1: Monthly finance report"
    assert supports["Assurance evidence"] == "Assurance of risk BAF1: Internal audit of budgets"


# --- The board report and the issued paper --------------------------------------------------------


def test_the_paper_lists_each_assurances_evidence_frozen_when_issued(
    client, dorset, staff_dorset, control, assurance, media_root
):
    plan = ODPlanFactory(organisation=dorset, title="Small OD plan")
    DeliverableFactory(theme=ThemeFactory(plan=plan, number=1), position=1, title="An action")
    first_cover_sheet(plan, staff_dorset, title="Small OD plan update", meeting_date="2026-01-14")
    minutes = add_file(
        dorset, staff_dorset, title="Audit committee minutes", speaks_for=datetime.date(2026, 1, 5)
    )
    _link(minutes, staff_dorset, assurance=assurance)
    sha256 = minutes.revisions.get().sha256
    client.force_login(staff_dorset)
    report_url = reverse("reports:board_report", args=[plan.pk])
    live = client.get(report_url).content.decode()
    fingerprint = f'SHA-256 <span class="fingerprint">{sha256}</span>'
    assert f"Evidence: Audit committee minutes, 5 January 2026; {fingerprint}" in live

    first = issue(client, plan)
    [kept] = first.snapshot["baf"][0]["controls"][0]["assurances"][0]["evidence"]
    assert (kept["title"], kept["speaks_for"], kept["sha256"]) == (
        "Audit committee minutes",
        "2026-01-05",
        sha256,
    )
    assert sha256 in first.html

    # The evidence changes: a new file, a second item, and the first link removed.
    services.evidence_add_revision(
        item_id=minutes.pk,
        acting_user=staff_dorset,
        expected_version=minutes.version,
        file=check_upload(upload("minutes-v2.pdf", PDF + b"% corrected\n")),
        note="Corrected.",
    )
    newer = minutes.revisions.order_by("-number").first().sha256
    link = EvidenceLink.objects.get(assurance=assurance)
    services.evidence_unlink(
        link_id=link.pk, acting_user=staff_dorset, expected_version=link.version, note="Wrong."
    )
    _link(add_link(dorset, staff_dorset, title="External audit letter"), staff_dorset, assurance=assurance)

    live = _text(client.get(report_url).content.decode())
    assert "external audit letter" in live and "audit committee minutes" not in live
    move_meeting(plan, staff_dorset, "2026-03-11")
    second = issue(client, plan)
    assert "External audit letter" in second.html and sha256 not in second.html

    # The first paper still shows what the board read.
    first = IssuedPaper.objects.get(pk=first.pk)
    assert sha256 in first.html and newer not in first.html and "External audit letter" not in first.html
    page = client.get(first.get_absolute_url())
    assert page.status_code == HTTPStatus.OK


def test_an_assurance_without_evidence_says_so_and_old_papers_say_nothing(
    client, dorset, staff_dorset, assurance
):
    framework = assurance_paper.snapshot(dorset.pk)
    [shown] = assurance_paper.context(framework)[0]["controls"][0]["assurances"]
    assert shown["evidence"] == [] and shown["evidence_kept"] is True
    # A paper issued before the framework kept evidence has no "evidence" in its assurances.
    for p in framework:
        for c in p["controls"]:
            for a in c["assurances"]:
                del a["evidence"]
    [old] = assurance_paper.context(framework)[0]["controls"][0]["assurances"]
    assert old["evidence"] == [] and old["evidence_kept"] is False
    from django.template.loader import render_to_string

    before = render_to_string(
        "assurance/partials/_paper_section.html",
        {"baf": assurance_paper.context(assurance_paper.snapshot(dorset.pk)), "organisation": dorset},
    )
    after = render_to_string(
        "assurance/partials/_paper_section.html",
        {"baf": assurance_paper.context(framework), "organisation": dorset},
    )
    assert "No evidence linked." in before and "No evidence linked." not in after
    assert "Internal audit of budgets" in after
