"""Playwright drives Debian's Chromium (/usr/bin/chromium) against pytest-django's live server.

Without Chromium the browser tests are skipped with the reason, except under CI=true, where a
missing browser is a failure (CI installs it in .ci/run)."""

import os
import shutil

import pytest

from tests.signon.conftest import oidc_provider, rsa_private_key  # noqa: F401  (single sign-on's provider)

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium`"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI must run the browser tests)")
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread, and the tests use the ORM
    # beside it; allowed for the browser tests only, and put back afterwards.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def seeded_live_server(live_server, transactional_db):
    """The live server runs in a transactional test, whose database is emptied afterwards; the
    seed is there when it starts (loaded with the test database, and again after each
    transactional test by tests/conftest.py's pytest_runtest_teardown)."""
    return live_server


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def login(page, seeded_live_server):
    def _login(username, password):
        page.goto(seeded_live_server.url + "/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        return page

    return _login
