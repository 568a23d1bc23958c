"""The first five minutes: `make run` (DEBUG on) shows the product's own error pages."""

from http import HTTPStatus

import pytest
from django.test import Client


@pytest.fixture
def make_run_settings(settings, monkeypatch):
    """What `make run` gives the development server."""
    settings.DEBUG = True
    settings.DEBUG_PAGES = False
    return settings


@pytest.mark.django_db
def test_with_debug_on_a_plan_of_another_organisation_is_the_products_404(make_run_settings, staff_dorset):
    client = Client()
    client.force_login(staff_dorset)
    for path in ["/plans/2/", "/no/such/page/"]:
        response = client.get(path)
        assert response.status_code == HTTPStatus.NOT_FOUND
        page = response.content.decode()
        assert "There is nothing at this address" in page
        assert "Django" not in page and "URLconf" not in page
        assert 'class="brand"' in page  # the product's layout


@pytest.mark.django_db
def test_with_debug_on_a_refusal_is_the_products_403(make_run_settings, staff_dorset):
    client = Client()
    client.force_login(staff_dorset)
    response = client.get("/dashboard/nhs-darlington-ccg/")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "You cannot do that" in response.content.decode()


@pytest.mark.django_db
def test_debug_pages_brings_back_djangos_technical_404(make_run_settings, staff_dorset):
    make_run_settings.DEBUG_PAGES = True
    client = Client()
    client.force_login(staff_dorset)
    assert "URLconf" in client.get("/no/such/page/").content.decode()
