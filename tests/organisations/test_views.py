import csv
import io
import re
from http import HTTPStatus

import pytest
from django.urls import reverse

from apps.organisations.models import Organisation
from apps.organisations.tables import LatTable
from tests.factories import LatFactory

pytestmark = pytest.mark.django_db

NATIONAL = reverse("organisations:national")


@pytest.fixture
def logged_in(client, board_dorset):
    client.force_login(board_dorset)
    return client


def _lat_names(response):
    return [row.record.name for row in response.context["table"].rows]


def test_national_page_lists_27_lats_and_totals_computed_from_rows(logged_in):
    response = logged_in.get(NATIONAL)
    assert response.status_code == HTTPStatus.OK
    assert len(_lat_names(response)) == 27
    totals = response.context["totals"]
    assert (totals["population_thousands"], totals["ccg_count"], totals["hwb_count"]) == (51574, 212, 152)
    html = response.content.decode()
    # The totals row sits under the columns it adds up (the table's own footer).
    headers = re.findall(r"<th scope=\"col\"[^>]*>\s*(?:<a [^>]*>)?([^<]+)", html)
    footer = re.search(r"<tfoot[^>]*>(.*?)</tfoot>", html, re.S).group(1)
    cells = [c.strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", footer, re.S)]
    by_column = dict(zip([h.strip() for h in headers], cells, strict=True))
    assert by_column["Local area team"] == "Total of the 27 rows shown"
    assert (by_column["Population (000s)"], by_column["CCGs"], by_column["HWBs"]) == ("51,574", "212", "152")


def test_national_page_notes_where_the_published_totals_differ(logged_in):
    html = logged_in.get(NATIONAL).content.decode()
    assert 'id="published-totals-note"' in html
    assert "rows sum to 51,574, the table printed 51,573" in html
    assert "rows sum to 14,854, the table printed 14,853" in html


def test_filter_by_region_recomputes_totals(logged_in):
    london = Organisation.objects.get(slug="london")
    response = logged_in.get(NATIONAL, {"region": london.pk})
    assert sorted(_lat_names(response)) == ["North East London", "North West London", "South London"]
    assert response.context["totals"]["population_thousands"] == 7758


def test_filter_by_hub(logged_in):
    response = logged_in.get(NATIONAL, {"hosts_hub": "true"})
    assert len(_lat_names(response)) == 12  # 10 hubs, London's covering three LATs
    response = logged_in.get(NATIONAL, {"hub": Organisation.objects.get(slug="wessex").specialised_hub_id})
    assert _lat_names(response) == ["Wessex"]


def test_htmx_filter_returns_the_table_region(logged_in):
    response = logged_in.get(NATIONAL, {"q": "london"}, HTTP_HX_REQUEST="true")
    assert response.status_code == HTTPStatus.OK
    assert b'id="table-region"' in response.content


def test_sorting_by_population_orders_rows(logged_in):
    names = _lat_names(logged_in.get(NATIONAL, {"sort": "-population_thousands"}))
    assert names[0] == "South London" and names[-1] == "Durham, Darlington and Tees"
    names = _lat_names(logged_in.get(NATIONAL, {"sort": "population_thousands"}))
    assert names[0] == "Durham, Darlington and Tees"


@pytest.mark.parametrize("column", [column.name for column in LatTable([]).columns if column.orderable])
@pytest.mark.parametrize("direction", ["", "-"])
def test_every_column_sorts_both_ways(logged_in, column, direction):
    response = logged_in.get(NATIONAL, {"sort": direction + column})
    assert response.status_code == HTTPStatus.OK
    assert len(_lat_names(response)) == 27


def test_population_per_ccg_is_derived(logged_in):
    response = logged_in.get(NATIONAL, {"sort": "-population_per_ccg_value"})
    first = response.context["table"].rows[0].record
    assert float(first.population_per_ccg_value) == pytest.approx(
        first.population_thousands / first.ccg_count, abs=0.05
    )
    assert first.name == "Devon, Cornwall and Isles of Scilly"  # 1652 / 3


def test_csv_export_has_the_filtered_rows(logged_in):
    south = Organisation.objects.get(slug="south-of-england")
    response = logged_in.get(NATIONAL, {"region": south.pk, "_export": "csv"})
    assert response.status_code == HTTPStatus.OK
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:2] == ["Local area team", "Region"]
    assert len(rows) - 1 == 7
    assert {r[1] for r in rows[1:]} == {"South of England"}


def test_national_page_query_count_does_not_grow_with_rows(logged_in, django_assert_max_num_queries):
    logged_in.get(NATIONAL)  # the first request of a session also writes the session row
    with django_assert_max_num_queries(12) as few:
        logged_in.get(NATIONAL)
    region = Organisation.objects.get(slug="london")
    LatFactory.create_batch(60, parent=region)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = logged_in.get(NATIONAL)
    assert len(_lat_names(response)) == 87


def test_organisation_page_shows_parents_children_and_figures(logged_in):
    response = logged_in.get(reverse("organisations:organisation_detail", args=["nhs-dorset-ccg"]))
    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    for text in [
        "Wessex",
        "South of England",
        "NHS Commissioning Board",
        "Dorset East cluster",
        "Bournemouth, Poole and Dorset",
    ]:
        assert text in html


def test_lat_page_shows_published_figures_and_shared_hub(logged_in):
    html = logged_in.get(reverse("organisations:organisation_detail", args=["south-london"])).content.decode()
    assert "2,971 thousand" in html
    assert "shared by" in html and "North East London" in html


def test_organisation_page_query_count_is_bounded(logged_in, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        logged_in.get(reverse("organisations:organisation_detail", args=["wessex"]))
