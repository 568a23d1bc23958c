import csv
import io
import re
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.urls import reverse

from apps.organisations.models import Organisation
from apps.organisations.tables import LatTable
from tests import seed_data
from tests.factories import LatFactory

pytestmark = pytest.mark.django_db

NATIONAL = reverse("organisations:national")
LATS = seed_data.organisations(kind="lat")


def _lats_in(region_slug):
    return [lat for lat in LATS if lat["parent"] == [region_slug]]


def _sum(rows, field):
    return sum(row[field] for row in rows)


@pytest.fixture
def logged_in(client, board_dorset):
    client.force_login(board_dorset)
    return client


def _lat_names(response):
    return [row.record.name for row in response.context["table"].rows]


def test_national_page_lists_every_lat_and_totals_computed_from_rows(logged_in):
    response = logged_in.get(NATIONAL)
    assert response.status_code == HTTPStatus.OK
    assert sorted(_lat_names(response)) == sorted(lat["name"] for lat in LATS) != []
    totals = response.context["totals"]
    expected = [_sum(LATS, field) for field in ("population_thousands", "ccg_count", "hwb_count")]
    assert [totals["population_thousands"], totals["ccg_count"], totals["hwb_count"]] == expected
    html = response.content.decode()
    population, ccgs, hwbs = expected
    # The totals row sits under the columns it adds up (the table's own footer).
    headers = re.findall(r"<th scope=\"col\"[^>]*>\s*(?:<a [^>]*>)?([^<]+)", html)
    footer = re.search(r"<tfoot[^>]*>(.*?)</tfoot>", html, re.S).group(1)
    cells = [c.strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", footer, re.S)]
    by_column = dict(zip([h.strip() for h in headers], cells, strict=True))
    assert by_column["Local area team"] == f"Total of the {len(LATS)} rows shown"
    assert (by_column["Population (000s)"], by_column["CCGs"], by_column["HWBs"]) == (
        f"{population:,}",
        str(ccgs),
        str(hwbs),
    )


def test_national_page_notes_where_the_published_totals_differ(logged_in):
    html = logged_in.get(NATIONAL).content.decode()
    assert 'id="published-totals-note"' in html
    published = seed_data.organisations(kind="national") + seed_data.organisations(kind="region")
    differing = 0
    for org in published:
        rows = LATS if org["kind"] == "national" else _lats_in(org["slug"])
        summed, printed = _sum(rows, "population_thousands"), org["population_thousands"]
        note = f"rows sum to {summed:,}, the table printed {printed:,}"
        assert (note in html) == (printed is not None and summed != printed), org["name"]
        differing += note in html
    assert differing > 0  # the seed has such a difference to show (51,574 against 51,573)


def test_filter_by_region_recomputes_totals(logged_in):
    london = Organisation.objects.get(slug="london")
    response = logged_in.get(NATIONAL, {"region": london.pk})
    assert sorted(_lat_names(response)) == sorted(lat["name"] for lat in _lats_in("london")) != []
    assert response.context["totals"]["population_thousands"] == _sum(
        _lats_in("london"), "population_thousands"
    )


def test_filter_by_hub(logged_in):
    response = logged_in.get(NATIONAL, {"hosts_hub": "true"})
    hosts = [lat["name"] for lat in LATS if lat["specialised_hub"]]  # London's hub covers three LATs
    assert sorted(_lat_names(response)) == sorted(hosts) != []
    response = logged_in.get(NATIONAL, {"hub": Organisation.objects.get(slug="wessex").specialised_hub_id})
    assert _lat_names(response) == ["Wessex"]


def test_htmx_filter_returns_the_table_region(logged_in):
    response = logged_in.get(NATIONAL, {"q": "london"}, HTTP_HX_REQUEST="true")
    assert response.status_code == HTTPStatus.OK
    assert b'id="table-region"' in response.content


def test_sorting_by_population_orders_rows(logged_in):
    by_population = [lat["name"] for lat in sorted(LATS, key=lambda lat: lat["population_thousands"])]
    names = _lat_names(logged_in.get(NATIONAL, {"sort": "-population_thousands"}))
    assert names[0] == by_population[-1] and names[-1] == by_population[0]
    names = _lat_names(logged_in.get(NATIONAL, {"sort": "population_thousands"}))
    assert names[0] == by_population[0] != by_population[-1]


@pytest.mark.parametrize("column", [column.name for column in LatTable([]).columns if column.orderable])
@pytest.mark.parametrize("direction", ["", "-"])
def test_every_column_sorts_both_ways(logged_in, column, direction):
    response = logged_in.get(NATIONAL, {"sort": direction + column})
    assert response.status_code == HTTPStatus.OK
    assert len(_lat_names(response)) == len(LATS)


def test_population_per_ccg_is_derived(logged_in):
    response = logged_in.get(NATIONAL, {"sort": "-population_per_ccg_value"})
    first = response.context["table"].rows[0].record
    assert float(first.population_per_ccg_value) == pytest.approx(
        first.population_thousands / first.ccg_count, abs=0.05
    )
    densest = max(LATS, key=lambda lat: lat["population_thousands"] / lat["ccg_count"])
    assert first.name == densest["name"]  # Devon, Cornwall and Isles of Scilly: 1652 / 3


def test_csv_export_has_the_filtered_rows(logged_in):
    south = Organisation.objects.get(slug="south-of-england")
    response = logged_in.get(NATIONAL, {"region": south.pk, "_export": "csv"})
    assert response.status_code == HTTPStatus.OK
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:2] == ["Local area team", "Region"]
    assert len(rows) - 1 == len(_lats_in("south-of-england")) > 0
    assert {r[1] for r in rows[1:]} == {"South of England"}


def test_national_page_query_count_does_not_grow_with_rows(logged_in, django_assert_max_num_queries):
    logged_in.get(NATIONAL)  # the first request of a session also writes the session row
    cache.clear()  # counted as computed, not as read from the cache
    with django_assert_max_num_queries(12) as few:
        logged_in.get(NATIONAL)
    region = Organisation.objects.get(slug="london")
    LatFactory.create_batch(60, parent=region)
    cache.clear()  # counted as computed, not as read from the cache
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = logged_in.get(NATIONAL)
    assert len(_lat_names(response)) == len(LATS) + 60


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
