"""Every template compiles: each loads the tag libraries it uses (a library split or a tag moved
fails here, not on the one page that draws it)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import get_template

ROOTS = [
    Path(settings.BASE_DIR) / "templates",
    *sorted((Path(settings.BASE_DIR) / "apps").glob("*/templates")),
]
TEMPLATES = sorted(str(p.relative_to(root)) for root in ROOTS for p in root.rglob("*.html"))


def test_there_are_templates_to_check():
    assert len(TEMPLATES) > 50


@pytest.mark.parametrize("name", TEMPLATES)
def test_the_template_compiles(name):
    get_template(name)
