"""Sign-in under misuse: throttling per address, per username and per pair (django-axes with
apps/core/login_throttle.py), the trusted-proxy setting, bad input and Cache-Control."""

from http import HTTPStatus

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from django.urls import reverse

from apps.core.client_address import client_ip
from tests.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def attempt(username, password, address, client=None, **headers):
    client = client or Client()
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def statuses(responses):
    return [response.status_code for response in responses]


def test_120_usernames_tried_from_one_address_are_throttled(staff_dorset, settings):
    """Password spraying from one address: refused from the limit on, with Retry-After."""
    limit = settings.LOGIN_FAILURE_LIMITS[("ip_address",)]
    assert limit < 120
    results = [attempt(f"guess.{n}", "wrong", "10.1.0.1") for n in range(120)]
    # Each username is tried once, so the per-pair limit never applies: the address limit does.
    assert statuses(results[: limit - 1]) == [HTTPStatus.OK] * (limit - 1)
    assert statuses(results[limit - 1 :]) == [HTTPStatus.TOO_MANY_REQUESTS] * (120 - limit + 1)
    assert 890 <= int(results[-1]["Retry-After"]) <= 900
    # A username never signed in from there is refused there even with a right password;
    # from anywhere else it is not.
    assert attempt(staff_dorset.username, PASSWORD, "10.1.0.1").status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert attempt(staff_dorset.username, PASSWORD, "10.1.0.2").status_code == HTTPStatus.FOUND


def test_an_nhs_site_behind_one_address_keeps_signing_in_while_it_is_attacked(settings):
    """An NHS site is often one address. Someone there (or a bot behind the same NAT) sprays
    passwords at 150 usernames: the address is refused for usernames never signed in from it,
    but the site's own people, who have signed in from it before, still get in, mistakes and
    all; and a colleague on a laptop they have signed in on gets in from that address too."""
    site = "10.9.0.1"
    staff = [UserFactory(username=f"site.{n}") for n in range(40)]
    for person in staff[:30]:  # they signed in from the site last week
        assert attempt(person.username, PASSWORD, site).status_code == HTTPStatus.FOUND
    laptop = Client()
    assert attempt(staff[30].username, PASSWORD, "10.9.0.77", client=laptop).status_code == HTTPStatus.FOUND
    spray = statuses(attempt(f"target.{n}", "Winter2025!", site) for n in range(150))
    assert spray.count(HTTPStatus.TOO_MANY_REQUESTS) > 40  # the attack is stopped ...
    for person in staff[:30]:  # ... and the site's people get in, one mistype each
        assert attempt(person.username, "wrong", site).status_code == HTTPStatus.OK
        assert attempt(person.username, PASSWORD, site).status_code == HTTPStatus.FOUND
    # The laptop is a known device of staff[30]: it gets in from the site's address too.
    assert attempt(staff[30].username, PASSWORD, site, client=laptop).status_code == HTTPStatus.FOUND
    # A newcomer never seen at the site, on a new browser, waits for the cool-off (the price of
    # stopping the spray), and is told how long.
    refused = attempt(staff[35].username, PASSWORD, site)
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS and int(refused["Retry-After"]) > 0


def test_20_guesses_at_one_user_spread_over_5_addresses_are_throttled(staff_dorset, settings):
    limit = settings.LOGIN_FAILURE_LIMITS[("username",)]
    assert settings.LOGIN_FAILURE_LIMITS[("username", "ip_address")] > 4  # 4 per address: no pair limit
    results = statuses(
        attempt(staff_dorset.username, "wrong", f"10.2.0.{address}")
        for address in range(1, 6)
        for _ in range(4)
    )
    assert results[: limit - 1] == [HTTPStatus.OK] * (limit - 1)
    assert results[limit - 1 :] == [HTTPStatus.TOO_MANY_REQUESTS] * (20 - limit + 1)
    # The right password from yet another address is refused too, for the cool-off time.
    assert attempt(staff_dorset.username, PASSWORD, "10.2.0.6").status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_an_office_of_30_sharing_one_address_is_never_throttled():
    people = [UserFactory(username=f"office.{n}") for n in range(30)]
    failures = []
    for wave in range(0, 30, 10):  # ten arrive at once, mistype once or twice, then get in
        group = people[wave : wave + 10]
        for n, person in enumerate(group):
            failures += [attempt(person.username, "wrong", "10.3.0.1") for _ in range(1 + n % 2)]
        for person in group:
            assert attempt(person.username, PASSWORD, "10.3.0.1").status_code == HTTPStatus.FOUND
    assert len(failures) == 45
    assert set(statuses(failures)) == {HTTPStatus.OK}


def test_one_attacker_at_one_address_cannot_lock_a_named_user_out(staff_dorset):
    results = statuses(attempt(staff_dorset.username, "wrong", "10.4.0.9") for _ in range(50))
    assert results[:4] == [HTTPStatus.OK] * 4
    assert set(results[4:]) == {HTTPStatus.TOO_MANY_REQUESTS}  # the attacker's address is refused
    # Refused attempts are not counted, so the username's own count stays at 5, below its limit.
    assert (
        sum(
            AccessAttempt.objects.filter(username=staff_dorset.username).values_list(
                "failures_since_start", flat=True
            )
        )
        == 5
    )
    assert attempt(staff_dorset.username, PASSWORD, "10.4.0.1").status_code == HTTPStatus.FOUND
    assert attempt(staff_dorset.username, PASSWORD, "10.4.0.2").status_code == HTTPStatus.FOUND


def test_guesses_from_many_addresses_do_not_lock_a_user_out_of_an_address_they_sign_in_from(staff_dorset):
    office = "10.5.0.1"
    assert attempt(staff_dorset.username, PASSWORD, office).status_code == HTTPStatus.FOUND
    for address in range(10, 15):
        for _ in range(4):
            attempt(staff_dorset.username, "wrong", f"10.5.0.{address}")
    assert attempt(staff_dorset.username, PASSWORD, "10.5.0.99").status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert attempt(staff_dorset.username, PASSWORD, office).status_code == HTTPStatus.FOUND


def test_guesses_from_many_addresses_do_not_lock_a_user_out_of_their_own_browser(staff_dorset):
    """Ten guesses over two addresses, repeated every 15 minutes, used to lock a user out of
    every address they had not signed in from: on a browser they have signed in on, from a
    new address (a hotel, home), they still get in."""
    laptop = Client()
    assert attempt(staff_dorset.username, PASSWORD, "10.5.1.1", client=laptop).status_code == HTTPStatus.FOUND
    laptop.post(reverse("logout"))
    for address in ("10.5.1.20", "10.5.1.21"):
        for _ in range(5):
            attempt(staff_dorset.username, "wrong", address)
    assert attempt(staff_dorset.username, PASSWORD, "10.5.1.99").status_code == HTTPStatus.TOO_MANY_REQUESTS
    response = attempt(staff_dorset.username, PASSWORD, "10.5.1.99", client=laptop)
    assert response.status_code == HTTPStatus.FOUND


def test_a_forged_device_cookie_is_not_believed(staff_dorset, settings):
    from apps.core.login_throttle import KNOWN_DEVICE_COOKIE

    for address in ("10.5.2.20", "10.5.2.21"):
        for _ in range(5):
            attempt(staff_dorset.username, "wrong", address)
    forger = Client()
    forger.cookies[KNOWN_DEVICE_COOKIE] = "forged"
    response = attempt(staff_dorset.username, PASSWORD, "10.5.2.99", client=forger)
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_signing_in_with_a_valid_account_does_not_clear_the_address_count(staff_dorset, settings):
    limit = settings.LOGIN_FAILURE_LIMITS[("ip_address",)]
    for n in range(limit - 1):
        assert attempt(f"spray.{n}", "wrong", "10.6.0.1").status_code == HTTPStatus.OK
    # The attacker signs in with their own account; axes' own reset would forget the address's count.
    assert attempt(staff_dorset.username, PASSWORD, "10.6.0.1").status_code == HTTPStatus.FOUND
    assert attempt("spray.last", "wrong", "10.6.0.1").status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_a_successful_login_forgets_that_users_failures_from_that_address(staff_dorset):
    for _ in range(4):
        attempt(staff_dorset.username, "wrong", "10.7.0.1")
    assert attempt(staff_dorset.username, PASSWORD, "10.7.0.1").status_code == HTTPStatus.FOUND
    for _ in range(4):
        assert attempt(staff_dorset.username, "wrong", "10.7.0.1").status_code == HTTPStatus.OK


def test_the_lockout_page_says_what_happened():
    for _ in range(5):
        response = attempt("someone", "wrong", "10.8.0.1")
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert b"Too many failed log-in attempts" in response.content
    assert b"15 minutes" in response.content
    assert 890 <= int(response["Retry-After"]) <= 900


# --- the client's address ------------------------------------------------------------------


def _address(**meta):
    return client_ip(RequestFactory().get("/", **meta))


def test_without_trusted_proxies_x_forwarded_for_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert _address(REMOTE_ADDR="192.0.2.7", HTTP_X_FORWARDED_FOR="198.51.100.1") == "192.0.2.7"


def test_behind_one_proxy_the_address_it_saw_is_used(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert _address(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1") == "198.51.100.1"
    # Whatever the client wrote itself stands to the left and is not believed.
    assert _address(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.0.0.1, 198.51.100.1") == "198.51.100.1"
    # No header (not through the proxy) or a malformed entry: the connection's address.
    assert _address(REMOTE_ADDR="127.0.0.1") == "127.0.0.1"
    assert _address(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="unknown") == "127.0.0.1"


def test_behind_two_proxies_the_address_the_outer_one_saw_is_used(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    chain = "6.6.6.6, 198.51.100.1, 203.0.113.5"  # spoofed, client (seen by the CDN), CDN (seen by nginx)
    assert _address(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=chain) == "198.51.100.1"
    assert _address(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1") == "198.51.100.1"


def test_behind_a_proxy_failures_are_counted_under_the_clients_address(settings, staff_dorset):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "127.0.0.1"
    for _ in range(5):
        attempt(staff_dorset.username, "wrong", proxy, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}
    locked = attempt(staff_dorset.username, PASSWORD, proxy, HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert locked.status_code == HTTPStatus.TOO_MANY_REQUESTS
    # The user, elsewhere, behind the same proxy, is not locked out by the attacker's guesses.
    mine = attempt(staff_dorset.username, PASSWORD, proxy, HTTP_X_FORWARDED_FOR="198.51.100.20")
    assert mine.status_code == HTTPStatus.FOUND


def test_without_the_setting_a_spoofed_header_does_not_dodge_the_address_limit(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    limit = settings.LOGIN_FAILURE_LIMITS[("ip_address",)]
    results = statuses(
        attempt(f"spoof.{n}", "wrong", "10.9.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        for n in range(limit)
    )
    assert results[-1] == HTTPStatus.TOO_MANY_REQUESTS


# --- bad input -----------------------------------------------------------------------------


def test_a_256_character_username_gets_a_form_error_not_a_500():
    response = attempt("u" * 256, "whatever", "10.10.0.1")
    assert response.status_code == HTTPStatus.OK
    assert b"A username has at most 150 characters; this one has 256." in response.content
    assert not AccessAttempt.objects.exists()  # nothing to count: no one can have that name


def test_the_admin_login_gives_the_same_error(client):
    response = client.post("/admin/login/", {"username": "u" * 256, "password": "x"}, REMOTE_ADDR="10.10.0.4")
    assert response.status_code == HTTPStatus.OK
    assert b"A username has at most 150 characters" in response.content


@pytest.mark.parametrize("username", ["nul\x00byte", "", " " * 3])
def test_other_bad_usernames_get_a_form_error(username):
    response = attempt(username, "whatever", "10.10.0.2")
    assert response.status_code == HTTPStatus.OK
    assert b"data-error-summary" in response.content  # the error summary, focused by app.js


def test_a_wrong_password_says_so_without_saying_which_part_was_wrong(staff_dorset):
    response = attempt(staff_dorset.username, "wrong", "10.10.0.3")
    assert response.status_code == HTTPStatus.OK
    assert b"Please enter a correct username and password" in response.content


# --- Cache-Control -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, content_type",
    [
        ("/national/", "text/html"),
        ("/deliverables/?_export=csv", "text/csv"),
        ("/plans/1/report/pdf/", "application/pdf"),
    ],
)
def test_signed_in_pages_exports_and_pdfs_are_not_stored(client, staff_dorset, path, content_type):
    client.force_login(staff_dorset)
    response = client.get(path)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith(content_type)
    assert response["Cache-Control"] == "private, no-store"


def test_a_view_that_sets_its_own_cache_policy_keeps_it(client):
    assert "max-age=0" in client.get("/healthz")["Cache-Control"]  # never_cache: no-cache, no-store, ...


def test_the_login_page_is_not_stored(client):
    directives = {part.strip() for part in client.get(reverse("login"))["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives
