"""The evidence library: filters, search, exports, and a fixed number of queries."""

import csv
import datetime
import io
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from apps.evidence import services
from apps.evidence.models import EvidenceItem
from apps.plans.models import AuthorisationDomain, Deliverable
from apps.risks.models import Risk
from tests.evidence.factories import add_file, add_link

pytestmark = pytest.mark.django_db


def _titles(response):
    return [row.record.title for row in response.context["table"].page.object_list]


@pytest.fixture
def library(darlington, staff_darlington):
    """Evidence in every bucket: expired, expiring, fine, a link without a file, one of each
    kind of record supported, one supporting nothing."""
    today = timezone.localdate()
    deliverable = Deliverable.objects.current().filter(theme__plan__organisation=darlington).first()
    deliverable.domains.set(AuthorisationDomain.objects.filter(number=2))
    risk = Risk.objects.current().filter(organisation=darlington).first()
    expired = add_file(
        darlington, staff_darlington, title="Expired audit", review_on=today - datetime.timedelta(days=1)
    )
    expiring = add_file(
        darlington, staff_darlington, title="Expiring policy", review_on=today + datetime.timedelta(days=10)
    )
    later = add_file(
        darlington, staff_darlington, title="Later review", review_on=today + datetime.timedelta(days=90)
    )
    link = add_link(darlington, staff_darlington, title="SharePoint log")
    services.evidence_link(item=expired, acting_user=staff_darlington, target={"deliverable": deliverable})
    services.evidence_link(item=link, acting_user=staff_darlington, target={"risk": risk})
    return {"expired": expired, "expiring": expiring, "later": later, "link": link}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"Expired audit", "Expiring policy", "Later review", "SharePoint log"}),
        ({"expired": "true"}, {"Expired audit"}),
        ({"expiring": "true"}, {"Expiring policy"}),
        ({"without_file": "true"}, {"SharePoint log"}),
        ({"supports": "deliverable"}, {"Expired audit"}),
        ({"supports": "risk"}, {"SharePoint log"}),
        ({"supports": "nothing"}, {"Expiring policy", "Later review"}),
        ({"kind": "link"}, {"SharePoint log"}),
        ({"q": "sharepoint"}, {"SharePoint log"}),
    ],
)
def test_filters(client, darlington, staff_darlington, library, params, expected):
    client.force_login(staff_darlington)
    response = client.get(reverse("evidence:library", args=[darlington.slug]), params)
    assert response.status_code == HTTPStatus.OK
    assert set(_titles(response)) == expected


def test_the_domain_filter_follows_the_records(client, darlington, staff_darlington, library):
    client.force_login(staff_darlington)
    domain = AuthorisationDomain.objects.get(number=2)
    response = client.get(reverse("evidence:library", args=[darlington.slug]), {"domain": domain.pk})
    assert "Expired audit" in _titles(response)


def test_another_organisations_library_is_refused(client, darlington, staff_dorset):
    client.force_login(staff_dorset)
    assert client.get(reverse("evidence:library", args=[darlington.slug])).status_code == 403


def test_the_whole_list_shows_only_what_the_user_reads(
    client, darlington, staff_darlington, staff_dorset, library
):
    client.force_login(staff_dorset)
    assert _titles(client.get(reverse("evidence:item_list"))) == []


def test_csv_and_xlsx_exports(client, darlington, staff_darlington, library):
    client.force_login(staff_darlington)
    url = reverse("evidence:library", args=[darlington.slug])
    response = client.get(url, {"_export": "csv", "expired": "true"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    [row] = rows
    assert row["Title"] == "Expired audit" and row["Past its review date"] == "Yes"
    assert row["Supports"].startswith("Deliverable: ")
    assert row["Latest file's SHA-256"] == library["expired"].revisions.get().sha256
    assert row["Date it speaks for"] == "2012-10-31"
    response = client.get(url, {"_export": "xlsx"})
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    values = {row[header.index("Title")]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert isinstance(values["Expired audit"][header.index("Date it speaks for")], datetime.datetime)
    assert values["SharePoint log"][header.index("Address")].startswith("https://")


def _many(organisation, user, n):
    for i in range(n):
        item = add_link(organisation, user, title=f"Generated evidence {i}")
        risk = Risk.objects.current().filter(organisation=organisation).first()
        services.evidence_link(item=item, acting_user=user, target={"risk": risk})


@pytest.mark.parametrize("size", [3, 30])
def test_query_count_is_flat(client, darlington, staff_darlington, django_assert_max_num_queries, size):
    _many(darlington, staff_darlington, size)
    client.force_login(staff_darlington)
    url = reverse("evidence:library", args=[darlington.slug])
    client.get(url)  # the filter panel's options, cached for the viewer
    with django_assert_max_num_queries(14):
        response = client.get(url, {"expired": "false", "supports": "risk"})
    assert len(_titles(response)) == size


def test_sorting_every_column_both_ways(client, darlington, staff_darlington, library):
    client.force_login(staff_darlington)
    url = reverse("evidence:library", args=[darlington.slug])
    table = client.get(url).context["table"]
    for column in table.columns:
        if column.orderable:
            for order in (column.name, f"-{column.name}"):
                assert client.get(url, {"sort": order}).status_code == HTTPStatus.OK


def test_the_library_cards_and_add_button(client, darlington, staff_darlington, library):
    client.force_login(staff_darlington)
    page = client.get(reverse("evidence:library", args=[darlington.slug])).content.decode()
    assert "nhsuk-table--responsive" in page and "card-title" in page
    assert reverse("evidence:item_create", args=[darlington.slug]) in page


_ = EvidenceItem
