"""Single sign-on in Chromium, end to end: an invited person signs in through a real OpenID
provider (django-oauth-toolkit on the live server, tests/signon/provider.py) and lands on
their dashboard; with passwords turned off, their invitation link leads them the same way. The
pages they pass through are checked as the sweep checks every page (a phone's width, axe)."""

import re

import pytest
from django.core import mail

from apps.organisations import services as organisation_services
from apps.organisations.models import Membership, MembershipChange, Organisation
from tests.browser.test_every_page import Sweep
from tests.factories import MembershipFactory, UserFactory
from tests.signon.provider import identity

pytestmark = pytest.mark.browser

INVITATION = re.compile(r"(http://\S+/accounts/invitation/\S+/)")


def invite_sam(site):
    dorset = Organisation.objects.get(slug="nhs-dorset-ccg")
    ada = UserFactory(username="ada.orgadmin", first_name="Ada", last_name="Admin", email="ada@nhs.example")
    MembershipFactory(user=ada, organisation=dorset, role=Membership.Role.ORG_ADMIN)
    organisation_services.membership_invite(
        acting_user=ada,
        organisation=dorset,
        email="sam.staff@nhs.example",
        role=Membership.Role.STAFF,
        first_name="Sam",
        last_name="Staff",
        link_base=site,
    )
    # Sam's NHSmail account, at the provider.
    identity("idp.sam.staff", email="sam.staff@nhs.example", email_verified=True)
    return dorset


def sign_in_at_the_provider(tab):
    tab.wait_for_url("**/o/sign-in/**")
    tab.fill("#u", "idp.sam.staff")
    tab.fill("#p", "idp.sam.staff")
    tab.click("#provider-sign-in")


def sweep_finds_nothing(browser, site, *urls):
    sweep = Sweep(browser, site)
    context, sweep_page = sweep.context()
    for url in urls:
        sweep.look(sweep_page, "anonymous", url)
    context.close()
    assert sweep.statuses and set(sweep.statuses.values()) == {200}
    assert not sweep.failures, "\n".join(sweep.failures)


def test_an_invited_person_signs_in_with_the_provider_and_lands_on_their_dashboard(
    browser,
    page,
    oidc_provider,
):
    dorset = invite_sam(oidc_provider.site)
    page.goto(oidc_provider.site + "/accounts/login/")
    page.click("#single-sign-on")
    sign_in_at_the_provider(page)
    page.wait_for_url(f"{oidc_provider.site}/dashboard/{dorset.slug}/")
    assert "Sam Staff" in page.locator(".user-name").inner_text()
    assert MembershipChange.objects.filter(
        user__email="sam.staff@nhs.example", action=MembershipChange.Action.INVITATION_ACCEPTED
    ).exists()
    # Signed in, the sign-in page sends Sam straight on; the page with the button passes the sweep.
    page.goto(oidc_provider.site + "/accounts/login/")
    assert "/accounts/login/" not in page.url
    sweep_finds_nothing(browser, oidc_provider.site, "/accounts/login/")


def test_with_passwords_off_the_invitation_link_leads_to_the_provider(
    browser,
    page,
    oidc_provider,
    settings,
):
    settings.LOCAL_PASSWORDS = False
    dorset = invite_sam(oidc_provider.site)
    link = INVITATION.search(mail.outbox[-1].body)[1]
    sweep_finds_nothing(
        browser, oidc_provider.site, "/accounts/login/", link.removeprefix(oidc_provider.site)
    )
    page.goto(link)
    assert page.locator("#invited-email").inner_text() == "sam.staff@nhs.example"
    assert page.locator("input[type=password]").count() == 0
    page.click("#single-sign-on")
    sign_in_at_the_provider(page)
    page.wait_for_url(f"{oidc_provider.site}/dashboard/{dorset.slug}/")
    assert "Sam Staff" in page.locator(".user-name").inner_text()
