"""The seed fixtures' documentation (fixtures/README.md, fixtures/docs/*.md) cites its sources so a
reader can follow them: by file name, relative to the citing file (`sources/<file>` from fixtures/README.md,
`../sources/<file>` from fixtures/docs/), never by an absolute path of one machine, and only files
that are in fixtures/sources/."""

import json
import re
from pathlib import Path

import pytest

from tests.conftest import SEEDS_DIR, seed_source

FIXTURES_DIR = Path(__file__).resolve().parents[2] / "fixtures"
DOCS = sorted([FIXTURES_DIR / "README.md", *(FIXTURES_DIR / "docs").glob("*.md")])

# A path from the root of a file system: "/srv/...", "/Users/...", "~/...", "C:\...". A slash after a
# word character or a dot ("HR/Workforce", "2012/13", "../sources/") does not start one.
ABSOLUTE_PATH = re.compile(r"(?<![\w.~/:])/(?:[\w.-]+/)+[\w.-]*|(?<!\w)~/\S+|\b[A-Za-z]:\\\S*")
CITED_SEED = re.compile(r"(?<![\w/])(?:\.\./)?sources/([\w.-]+)")
# The seed documents' own names ("003_fbc32ad15cac9559.txt"), cited bare in tables.
SEED_NAME = re.compile(r"\b\d{3}_[0-9a-f]{16}\.txt\b")


def test_docs_are_found():
    assert FIXTURES_DIR / "README.md" in DOCS
    assert len(DOCS) >= 6, DOCS


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_doc_cites_no_absolute_path(doc):
    found = [
        f"{doc.name}:{number}: {match}"
        for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), start=1)
        for match in ABSOLUTE_PATH.findall(line)
    ]
    assert found == [], "cite sources as sources/<file> (../sources/<file> from docs/), not by absolute path"


@pytest.mark.parametrize(
    "text",
    ["`/srv/shared/seeds/001_03dc5e1911a75b24.txt`", "see /Users/me/seeds/x.txt", "~/seeds/x", r"C:\seeds"],
)
def test_absolute_path_pattern_catches_machine_paths(text):
    assert ABSOLUTE_PATH.search(text)


@pytest.mark.parametrize(
    "text",
    [
        "`../sources/001_03dc5e1911a75b24.txt`",
        "HR/Workforce, 2012/13, PCT/LA, Engagement/relationship management",
        "S / L / R",
        "https://www.example.org/a/b",
    ],
)
def test_absolute_path_pattern_spares_ordinary_text(text):
    assert not ABSOLUTE_PATH.search(text)


def test_every_cited_seed_document_exists():
    cited = set()
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        cited |= set(CITED_SEED.findall(text)) | set(SEED_NAME.findall(text))
    assert cited, "the docs cite no seed document"
    missing = sorted(name for name in cited if not (SEEDS_DIR / name).is_file())
    assert missing == [], f"cited but not in {SEEDS_DIR}"


def test_darlington_description_keeps_the_sources_wording():
    """The docs list "predominately" as a spelling kept from the plan: the description quotes it."""
    sentence = (
        "The area covered by Darlington CCG is predominately urban centred on the town of Darlington "
        "and is coterminous with Darlington Borough Council (DBC)."
    )
    records = json.loads((FIXTURES_DIR / "02_organisations.json").read_text(encoding="utf-8"))
    (darlington,) = [r["fields"] for r in records if r["fields"].get("slug") == "nhs-darlington-ccg"]
    assert sentence in darlington["description"]
    assert "predominantly" not in darlington["description"]
    assert sentence in seed_source("002_8452fc7fca7c0bc4.txt")
