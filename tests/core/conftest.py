import pytest

from tests.core.serving import PreparedSite


@pytest.fixture(scope="session")
def prepared_site():
    """ccgtrack migrated, seeded and its static files collected in a private PostgreSQL, once per
    test process, for the tests that serve it with gunicorn (tests/core/serving.py)."""
    site = PreparedSite()
    yield site
    site.close()
