"""A dashboard's figures validate their parameters through the list's own filterset. Where
several figures name rows of one choice field (the six authorisation domains), the rows are
read in one query, not one a figure, and a value that names nothing is still refused."""

import pytest
from django.db import connection
from django.http import QueryDict
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from apps.core.filters import bound_filtersets
from apps.plans.filters import DeliverableFilterSet
from apps.plans.models import AuthorisationDomain, Deliverable

pytestmark = pytest.mark.django_db


def _validated(user, *queries):
    request = RequestFactory().get("/")
    request.user = user
    filtersets = bound_filtersets(
        DeliverableFilterSet,
        [QueryDict(q) for q in queries],
        queryset=Deliverable.objects.current(),
        request=request,
    )
    with CaptureQueriesContext(connection) as captured:
        results = [(fs.is_valid(), fs.form.cleaned_data.get("domain"), fs.errors) for fs in filtersets]
    domain_queries = [q for q in captured.captured_queries if "plans_authorisationdomain" in q["sql"]]
    return results, domain_queries


def test_the_domains_of_several_figures_are_read_in_one_query(admin_user):
    domains = list(AuthorisationDomain.objects.order_by("number"))
    assert len(domains) == 6
    results, domain_queries = _validated(admin_user, *[f"domain={d.pk}" for d in domains])
    assert [domain for _, domain, _ in results] == domains
    assert all(valid for valid, _, _ in results)
    assert len(domain_queries) == 1


def test_a_domain_that_does_not_exist_is_refused_beside_those_that_do(admin_user):
    first, second = AuthorisationDomain.objects.order_by("number")[:2]
    results, domain_queries = _validated(
        admin_user, f"domain={first.pk}", f"domain={second.pk}", "domain=999999"
    )
    assert [valid for valid, _, _ in results] == [True, True, False]
    assert "domain" in results[2][2]
    # The two that exist together, the missing one by the field itself.
    assert len(domain_queries) == 2


def test_a_value_of_the_wrong_type_is_refused_and_the_others_still_counted(admin_user):
    first, second = AuthorisationDomain.objects.order_by("number")[:2]
    results, _ = _validated(admin_user, f"domain={first.pk}", "domain=not-a-number", f"domain={second.pk}")
    assert [valid for valid, _, _ in results] == [True, False, True]
    assert [results[0][1], results[2][1]] == [first, second]
