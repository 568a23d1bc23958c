"""The organisations seed (fixtures/02_organisations.json) against its source documents.

Figures are transcribed from the NHS CB staff briefing of June 2012 (local area teams, PCT cluster
mapping, specialised hubs), the NHS CBA board paper of May 2012, NHS Darlington CCG's OD plan
(June 2012) and NHS Dorset CCG's governing body papers (September 2013, January 2014). See
fixtures/docs/02_organisations.md for the discrepancies in the sources.
"""

import re

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum

from apps.organisations.models import (
    Function,
    HealthAndWellbeingBoard,
    Organisation,
    SpecialisedHub,
    SupportTeamRole,
)
from tests.conftest import seed_source

pytestmark = pytest.mark.django_db

K = Organisation.Kind

REGIONS = ["North of England", "Midlands and East of England", "London", "South of England"]

# Population in thousands, CCGs, HWBs: the "Population, number of CCGs and number of Health and
# Wellbeing Boards" table, row by row, in the table's order within each region.
LATS = {
    "North of England": {
        "Cheshire, Warrington and Wirral": (1195, 6, 4),
        "Durham, Darlington and Tees": (1167, 5, 6),
        "Greater Manchester": (2636, 12, 10),
        "Lancashire": (1424, 8, 3),
        "Merseyside": (1170, 6, 5),
        "Cumbria, Northumberland, Tyne and Wear": (1910, 8, 7),
        "North Yorkshire and Humber": (1690, 8, 6),
        "South Yorkshire and Bassetlaw": (1427, 5, 4),
        "West Yorkshire": (2235, 10, 5),
    },
    "Midlands and East of England": {
        "Arden, Herefordshire and Worcestershire": (1575, 7, 4),
        "Birmingham and the Black Country": (2350, 8, 6),
        "Derbyshire and Nottinghamshire": (1933, 10, 4),
        "East Anglia": (2294, 8, 4),
        "Essex": (1699, 7, 3),
        "Hertfordshire and the South Midlands": (2628, 7, 6),
        "Leicestershire and Lincolnshire": (1674, 7, 4),
        "Shropshire and Staffordshire": (1496, 8, 4),
    },
    "London": {
        "North East London": (2897, 12, 13),
        "North West London": (1890, 8, 8),
        "South London": (2971, 12, 12),
    },
    "South of England": {
        "Bath, Gloucestershire, Swindon and Wiltshire": (1411, 4, 4),
        "Bristol, North Somerset, Somerset and South Gloucestershire": (1413, 4, 4),
        "Devon, Cornwall and Isles of Scilly": (1652, 3, 5),
        "Kent and Medway": (1662, 8, 2),
        "Surrey and Sussex": (2640, 12, 4),
        "Thames Valley": (1985, 10, 8),
        "Wessex": (2550, 9, 7),
    },
}
ALL_LATS = {name: figures for region in LATS.values() for name, figures in region.items()}

# The table's printed totals. North's population total is one less than its rows (rounding in the
# source), and so is the grand total; the seed stores the rows, never the totals.
PUBLISHED_REGION_TOTALS = {
    "North of England": (14853, 68, 50),
    "Midlands and East of England": (15649, 62, 35),
    "London": (7758, 32, 33),
    "South of England": (13313, 50, 34),
}
PUBLISHED_GRAND_TOTAL = (51573, 212, 152)

# "Current PCT cluster to Local Area Team mapping", run-together cells split into clusters.
PCT_MAPPING = {
    "Cheshire, Warrington and Wirral": ["Cheshire, Warrington and Wirral"],
    "Cumbria, Northumberland, Tyne and Wear": ["Cumbria", "North of Tyne", "South of Tyne and Wear"],
    "Durham, Darlington and Tees": ["County Durham and Darlington", "Tees"],
    "Greater Manchester": ["Greater Manchester"],
    "Lancashire": ["Pan Lancashire"],
    "Merseyside": ["Merseyside"],
    "North Yorkshire and Humber": ["Humber", "North Yorkshire and York"],
    "South Yorkshire and Bassetlaw": ["South Yorkshire and Bassetlaw"],
    "West Yorkshire": ["Airedale, Bradford and Leeds", "Calderdale, Kirklees and Wakefield"],
    "Arden, Herefordshire and Worcestershire": ["Arden", "West Mercia"],
    "Birmingham and the Black Country": ["Birmingham", "Black Country"],
    "Derbyshire and Nottinghamshire": ["Derbyshire", "Nottinghamshire"],
    "East Anglia": ["Cambridgeshire and Peterborough", "Norfolk, Great Yarmouth and Waveney", "Suffolk"],
    "Essex": ["North East Essex", "South Essex"],
    "Hertfordshire and the South Midlands": [
        "Bedfordshire and Luton",
        "Hertfordshire",
        "Northamptonshire and Milton Keynes",
    ],
    "Leicestershire and Lincolnshire": ["Leicestershire", "Lincolnshire"],
    "Shropshire and Staffordshire": ["Shropshire", "Staffordshire", "West Mercia"],
    "North East London": ["Inner North East London", "North Central London", "Outer North East London"],
    "North West London": ["North West London"],
    "South London": ["South East London", "South West London"],
    "Bath, Gloucestershire, Swindon and Wiltshire": [
        "Bath, North East Somerset and Wiltshire",
        "Gloucestershire and Swindon",
    ],
    "Bristol, North Somerset, Somerset and South Gloucestershire": [
        "Bristol, North Somerset and South Gloucestershire",
        "Somerset",
    ],
    "Devon, Cornwall and Isles of Scilly": ["Cornwall and Isles of Scilly", "Devon and Torbay"],
    "Kent and Medway": ["Kent and Medway"],
    "Surrey and Sussex": ["Surrey", "Sussex"],
    "Thames Valley": ["Berkshire", "Oxfordshire and Buckinghamshire"],
    "Wessex": ["Bournemouth, Poole and Dorset", "Southampton, Hampshire, Isle of Wight and Portsmouth"],
}
PCT_CLUSTER_COUNT = 51  # 52 LAT-cluster pairs, West Mercia appearing twice

HUB_OF_LAT = {
    "Cumbria, Northumberland, Tyne and Wear": "Cumbria, Northumberland, Tyne and Wear",
    "South Yorkshire and Bassetlaw": "South Yorkshire and Bassetlaw",
    "Cheshire, Warrington and Wirral": "Cheshire, Warrington and Wirral",
    "East Anglia": "East Anglia",
    "Leicestershire and Lincolnshire": "Leicestershire and Lincolnshire",
    "Birmingham and the Black Country": "Birmingham and the Black Country",
    "Bristol, North Somerset, Somerset and South Gloucestershire": (
        "Bristol, North Somerset, Somerset and South Gloucestershire"
    ),
    "Wessex": "Wessex",
    "Surrey and Sussex": "Surrey and Sussex",
    "North East London": "London",
    "North West London": "London",
    "South London": "London",
}

CORE_FUNCTIONS = {
    "ccg-development-assurance",
    "emergency-planning",
    "quality-safety",
    "partnerships",
    "configuration",
    "system-oversight",
}
ALL_LAT_DIRECT = {"gp-services", "dental-services", "pharmacy", "optical-services"}

DORSET_CLUSTERS = {
    "Dorset East cluster": ["North Bournemouth", "Central Bournemouth", "East Bournemouth", "Christchurch"],
    "Dorset Mid cluster": ["Poole North", "Poole Bay", "Poole Central", "Purbeck", "East Dorset"],
    "Dorset West cluster": ["North Dorset", "Dorset West", "Mid Dorset", "Weymouth and Portland"],
}
TEAM_ROLES = [
    ("Principal Locality Lead", "8b"),
    ("Senior Locality Lead(s)", "8a"),
    ("Project Officer", "6"),
    ("Locality Administrator", "4"),
]

SOURCE_003 = "003_fbc32ad15cac9559.txt"


def lats():
    return Organisation.objects.of_kind(K.LAT)


def function_codes(org):
    return set(org.functions.values_list("code", flat=True))


# --- national body and regions ---------------------------------------------------------------


def test_one_national_body():
    national = Organisation.objects.get(kind=K.NATIONAL)
    assert national.name == "NHS Commissioning Board"
    assert national.slug == "nhs-commissioning-board"
    assert national.parent is None
    for fact in (
        "£22bn",
        "27 local area teams",
        "50 local offices",
        "minimum of three CCGs",
        "ratio of local areas to HWBs",
        "12 clinical senates",
        "10 specialised commissioning hubs",
    ):
        assert fact in national.description, fact


def test_no_clinical_senates_are_invented():
    assert not Organisation.objects.filter(kind=K.CLINICAL_SENATE).exists()


def test_four_regions_in_document_order_under_the_national_body():
    regions = list(Organisation.objects.of_kind(K.REGION).order_by("position"))
    assert [r.name for r in regions] == REGIONS
    assert {r.parent.slug for r in regions} == {"nhs-commissioning-board"}


# --- local area teams ------------------------------------------------------------------------


def test_27_local_area_teams_9_3_8_7():
    assert lats().count() == 27
    per_region = dict(lats().values_list("parent__name").annotate(n=Count("pk")))
    assert per_region == {
        "North of England": 9,
        "Midlands and East of England": 8,
        "London": 3,
        "South of England": 7,
    }


def test_lats_are_in_table_order_within_their_region():
    for region, rows in LATS.items():
        names = list(lats().filter(parent__name=region).order_by("position").values_list("name", flat=True))
        assert names == list(rows), region


def test_every_lat_figure_matches_the_table():
    seeded = {lat.name: (lat.population_thousands, lat.ccg_count, lat.hwb_count) for lat in lats()}
    assert seeded == ALL_LATS


def test_row_sums_and_the_published_totals():
    sums = lats().aggregate(p=Sum("population_thousands"), c=Sum("ccg_count"), h=Sum("hwb_count"))
    assert (sums["p"], sums["c"], sums["h"]) == (51574, 212, 152)
    # The source prints 51,573: one thousand short of its own rows (rounding).
    assert sums["p"] - PUBLISHED_GRAND_TOTAL[0] == 1
    assert (sums["c"], sums["h"]) == PUBLISHED_GRAND_TOTAL[1:]


def test_per_region_sums():
    rows = (
        lats()
        .values("parent__name")
        .annotate(p=Sum("population_thousands"), c=Sum("ccg_count"), h=Sum("hwb_count"))
    )
    sums = {r["parent__name"]: (r["p"], r["c"], r["h"]) for r in rows}
    assert sums == {
        "North of England": (14854, 68, 50),
        "Midlands and East of England": (15649, 62, 35),
        "London": (7758, 32, 33),
        "South of England": (13313, 50, 34),
    }
    for region, published in PUBLISHED_REGION_TOTALS.items():
        expected = (published[0] + 1, *published[1:]) if region == "North of England" else published
        assert sums[region] == expected, region


def test_regions_and_national_body_keep_the_printed_totals_as_published():
    for region, published in PUBLISHED_REGION_TOTALS.items():
        org = Organisation.objects.get(kind=K.REGION, name=region)
        assert (org.population_thousands, org.ccg_count, org.hwb_count) == published, region
    national = Organisation.objects.get(kind=K.NATIONAL)
    assert (national.population_thousands, national.ccg_count, national.hwb_count) == PUBLISHED_GRAND_TOTAL
    north = Organisation.objects.get(kind=K.REGION, name="North of England")
    assert "14,853" in north.description and "14,854" in north.description
    assert "51,573" in national.description and "51,574" in national.description


def test_every_lat_relates_to_at_least_three_ccgs():
    # The board paper's design rule: "each Local Area Team should relate to a minimum of three CCGs".
    assert not lats().filter(ccg_count__lt=3).exists()
    assert lats().order_by("ccg_count").first().name == "Devon, Cornwall and Isles of Scilly"


def test_lat_aliases_keep_the_other_spellings():
    assert (
        Organisation.objects.get(slug="north-yorkshire-and-humber").aliases
        == "North Yorkshire and the Humber"
    )
    assert Organisation.objects.get(slug="kent-and-medway").aliases == "Kent & Medway"
    bristol = Organisation.objects.get(slug="bristol-north-somerset-somerset-and-south-gloucestershire")
    assert bristol.name == "Bristol, North Somerset, Somerset and South Gloucestershire"
    assert "Bristol, N Somerset, Somerset and S Gloucestershire" in bristol.aliases.split("; ")


def test_ten_specialised_hubs_with_london_shared_by_three_lats():
    assert SpecialisedHub.objects.count() == 10
    seeded = dict(lats().filter(specialised_hub__isnull=False).values_list("name", "specialised_hub__name"))
    assert seeded == HUB_OF_LAT
    # 10 hubs; 12 LATs point at one because the London hub covers all three London LATs.
    assert len(set(seeded.values())) == 10
    london = SpecialisedHub.objects.get(name="London")
    assert set(london.lats.values_list("name", flat=True)) == set(LATS["London"])
    for hub in SpecialisedHub.objects.exclude(name="London"):
        assert list(hub.lats.values_list("name", flat=True)) == [hub.name]


def test_every_lat_has_the_six_core_functions_and_the_direct_commissioning_it_is_given():
    assert set(Function.objects.filter(category="core").values_list("code", flat=True)) == CORE_FUNCTIONS
    for lat in lats():
        codes = function_codes(lat)
        assert codes & CORE_FUNCTIONS == CORE_FUNCTIONS, lat.name
        expected = CORE_FUNCTIONS | ALL_LAT_DIRECT
        if lat.name in HUB_OF_LAT:
            expected = expected | {"specialised-commissioning"}
        assert codes == expected, lat.name


def test_no_lat_is_given_what_the_documents_do_not_assign():
    assert not Organisation.objects.filter(
        functions__code__in=["military-prison-health", "public-health-services"]
    ).exists()


def test_functions_only_on_lats():
    assert set(Organisation.objects.filter(functions__isnull=False).values_list("kind", flat=True)) == {K.LAT}


def test_lat_slugs_and_source():
    for lat in lats():
        assert lat.slug == re.sub(r"[^a-z0-9]+", "-", lat.name.lower()).strip("-"), lat.slug
        assert "Local area teams" in lat.source


# --- PCT clusters ----------------------------------------------------------------------------


def test_pct_cluster_count():
    assert Organisation.objects.of_kind(K.PCT_CLUSTER).count() == PCT_CLUSTER_COUNT
    assert len({c for clusters in PCT_MAPPING.values() for c in clusters}) == PCT_CLUSTER_COUNT


def test_pct_cluster_to_lat_mapping():
    seeded = {}
    for cluster in Organisation.objects.of_kind(K.PCT_CLUSTER).prefetch_related("mapped_lats"):
        for lat in cluster.mapped_lats.all():
            seeded.setdefault(lat.name, set()).add(cluster.name)
    assert seeded == {lat: set(clusters) for lat, clusters in PCT_MAPPING.items()}


def test_west_mercia_is_one_cluster_mapped_to_two_lats():
    west_mercia = Organisation.objects.get(kind=K.PCT_CLUSTER, name="West Mercia")
    assert set(west_mercia.mapped_lats.values_list("name", flat=True)) == {
        "Arden, Herefordshire and Worcestershire",
        "Shropshire and Staffordshire",
    }
    others = Organisation.objects.of_kind(K.PCT_CLUSTER).exclude(pk=west_mercia.pk)
    assert not others.annotate(n=Count("mapped_lats")).exclude(n=1).exists()


def test_pct_clusters_sit_in_the_region_of_their_lats():
    for cluster in Organisation.objects.of_kind(K.PCT_CLUSTER).select_related("parent"):
        assert cluster.parent.kind == K.REGION
        assert cluster.slug.endswith("-pct-cluster")
        assert set(cluster.mapped_lats.values_list("parent", flat=True)) == {cluster.parent_id}, cluster.name


def test_pct_cluster_aliases_keep_the_ampersand_spellings():
    assert Organisation.objects.get(slug="kent-and-medway-pct-cluster").aliases == "Kent & Medway"
    assert (
        Organisation.objects.get(slug="north-yorkshire-and-york-pct-cluster").aliases
        == "North Yorkshire & York"
    )


# --- CCGs ------------------------------------------------------------------------------------


def test_four_ccgs_with_their_lat_and_pct_cluster():
    ccgs = {
        c.slug: (c.parent.name, c.pct_cluster.name)
        for c in Organisation.objects.of_kind(K.CCG).select_related("parent", "pct_cluster")
    }
    assert ccgs == {
        "nhs-dorset-ccg": ("Wessex", "Bournemouth, Poole and Dorset"),
        "nhs-darlington-ccg": ("Durham, Darlington and Tees", "County Durham and Darlington"),
        "nhs-north-durham-ccg": ("Durham, Darlington and Tees", "County Durham and Darlington"),
        "nhs-durham-dales-easington-and-sedgefield-ccg": (
            "Durham, Darlington and Tees",
            "County Durham and Darlington",
        ),
    }
    county_durham = Organisation.objects.get(slug="county-durham-and-darlington-pct-cluster")
    assert county_durham.ccgs.count() == 3


def test_darlington_ccg():
    darlington = Organisation.objects.get(slug="nhs-darlington-ccg")
    assert darlington.name == "NHS Darlington CCG"
    assert darlington.population == 100400
    assert darlington.population_note == "approximately 100,400 (OD Plan, June 2012)"
    assert darlington.member_practice_count == 12
    assert darlington.commissioning_support == "North East Commissioning Support (NECS)"
    assert list(darlington.health_and_wellbeing_boards.values_list("name", flat=True)) == [
        "Darlington Health and Wellbeing Board"
    ]
    for fact in (
        "October 2011",
        "Darlington Borough Council",
        "County Durham and Darlington NHS Foundation Trust",
        "Tees, Esk and Wear Valleys",
    ):
        assert fact in darlington.description, fact


def test_ddes_alias():
    assert "DDES" in Organisation.objects.get(
        slug="nhs-durham-dales-easington-and-sedgefield-ccg"
    ).aliases.split("; ")


def test_dorset_ccg():
    dorset = Organisation.objects.get(slug="nhs-dorset-ccg")
    assert dorset.name == "NHS Dorset CCG"
    assert set(dorset.health_and_wellbeing_boards.values_list("name", flat=True)) == {
        "Dorset Health and Wellbeing Board",
        "Bournemouth and Poole Health and Wellbeing Board",
    }
    assert "TUPE" in dorset.commissioning_support
    # Neither Dorset paper states a population or a count of member practices.
    assert dorset.population is None
    assert dorset.member_practice_count is None


# --- Dorset clusters, localities and locality support teams ----------------------------------


def test_dorset_has_three_clusters_and_thirteen_localities_4_5_4():
    clusters = list(Organisation.objects.filter(parent__slug="nhs-dorset-ccg").order_by("position"))
    assert [c.name for c in clusters] == list(DORSET_CLUSTERS)
    assert {c.kind for c in clusters} == {K.CCG_CLUSTER}
    for cluster in clusters:
        localities = list(cluster.children.order_by("position").values_list("name", "kind"))
        assert localities == [(name, K.LOCALITY) for name in DORSET_CLUSTERS[cluster.name]], cluster.name
    assert Organisation.objects.of_kind(K.LOCALITY).count() == 13
    dorset = Organisation.objects.get(slug="nhs-dorset-ccg")
    assert Organisation.objects.beneath([dorset.pk]).of_kind(K.LOCALITY).count() == 13


def test_each_cluster_team_has_the_four_roles_and_bands():
    assert SupportTeamRole.objects.count() == 12
    for cluster_name in DORSET_CLUSTERS:
        roles = list(
            SupportTeamRole.objects.filter(organisation__name=cluster_name)
            .order_by("position")
            .values_list("title", "band")
        )
        assert roles == TEAM_ROLES, cluster_name
    principal = SupportTeamRole.objects.filter(title="Principal Locality Lead").first()
    assert (
        "initially reporting to the appropriate Deputy Director of Service Delivery" in principal.description
    )


# --- the tree and the file as a whole --------------------------------------------------------


def test_every_organisation_hangs_from_the_right_kind_of_parent():
    allowed = {
        K.NATIONAL: {None},
        K.REGION: {K.NATIONAL},
        K.LAT: {K.REGION},
        K.PCT_CLUSTER: {K.REGION},
        K.CCG: {K.LAT},
        K.CCG_CLUSTER: {K.CCG},
        K.LOCALITY: {K.CCG_CLUSTER},
    }
    for org in Organisation.objects.select_related("parent"):
        assert (org.parent.kind if org.parent else None) in allowed[org.kind], org.slug


def test_record_counts_by_kind():
    counts = dict(Organisation.objects.values_list("kind").annotate(n=Count("pk")))
    assert counts == {
        K.NATIONAL: 1,
        K.REGION: 4,
        K.LAT: 27,
        K.PCT_CLUSTER: PCT_CLUSTER_COUNT,
        K.CCG: 4,
        K.CCG_CLUSTER: 3,
        K.LOCALITY: 13,
    }


def test_loading_the_fixture_again_adds_nothing():
    def snapshot():
        return (
            Organisation.objects.count(),
            Organisation.functions.through.objects.count(),
            Organisation.mapped_lats.through.objects.count(),
            Organisation.health_and_wellbeing_boards.through.objects.count(),
            HealthAndWellbeingBoard.objects.count(),
            SupportTeamRole.objects.count(),
        )

    before = snapshot()
    call_command("loaddata", "02_organisations", verbosity=0)
    assert snapshot() == before


def test_lat_table_in_the_source_document_matches_the_seed():
    """Re-read the clean table of the June 2012 briefing (when the source is at hand)."""
    lines = seed_source(SOURCE_003).splitlines()
    start = lines.index("Population, number of CCGs and number of Health and Wellbeing Boards")
    rows = {}
    for line in lines[start:]:
        if line.startswith("Current PCT cluster"):
            break
        match = re.fullmatch(r"(.+?)\t(\d+)\t(\d+)\t(\d+)", line)
        if match and match.group(1) != "Total":
            rows[match.group(1)] = tuple(int(g) for g in match.groups()[1:])
    assert rows == ALL_LATS
