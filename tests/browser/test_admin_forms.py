"""The Django admin's change (and add) forms at zero axe-core violations (WCAG 2.0/2.1/2.2 A and
AA), at 1366 and 390 px, every registered model with a record to open (issue 19.7): the controls
its widgets and scripts leave unnamed are named (static/js/app.js), links in a line of text are
underlined (static/css/admin.css). The page sweep (test_every_page.py) leaves the admin out; this
is its admin half."""

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from tests.browser.test_every_page import AXE, AXE_PATH, AXE_RUN, AXE_TAGS
from tests.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

WIDTHS = (1366, 390)


def _forms():
    """(URL name, URL) of the change form of each registered model's first record, and of the
    add form of each model the admin may add."""
    urls = []
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        record = model._default_manager.order_by("pk").first()
        try:
            if record is not None:
                urls.append(
                    (
                        f"{opts.label} change",
                        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk]),
                    )
                )
            if opts.app_label in (
                "plans",
                "risks",
                "reports",
                "organisations",
            ) and model_admin.has_add_permission(_request_of_admin()):
                urls.append((f"{opts.label} add", reverse(f"admin:{opts.app_label}_{opts.model_name}_add")))
        except NoReverseMatch:
            continue
    return urls


def _request_of_admin():
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = UserFactory(username="axe.admin", is_superuser=True, is_staff=True)
    return request


def test_the_admins_forms_pass_axe(browser, seeded_live_server):
    UserFactory(username="axe.admin", is_superuser=True, is_staff=True)
    forms = _forms()
    assert any(name == "plans.Deliverable change" for name, _ in forms)
    assert any(name == "risks.Risk add" for name, _ in forms)
    context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900})
    axe_source = AXE.read_text(encoding="utf-8")
    context.route(
        f"{seeded_live_server.url}{AXE_PATH}",
        lambda route: route.fulfill(body=axe_source, content_type="text/javascript"),
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(seeded_live_server.url + reverse("admin:login"))
    page.fill("#id_username", "axe.admin")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_load_state()
    failures = []
    for name, url in forms:
        # Loaded once at 1366 px and looked at again at 390 px (the admin's layout follows the
        # width by media queries), as the page sweep does.
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        response = page.goto(seeded_live_server.url + url)
        assert response.status == 200, f"{name}: {url} answered {response.status}"
        page.wait_for_load_state("load")
        page.add_script_tag(url=seeded_live_server.url + AXE_PATH)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            skip = [] if width == WIDTHS[0] else ["color-contrast"]
            for v in page.evaluate(AXE_RUN, [AXE_TAGS, skip]):
                failures.append(
                    f"{name} {width}px {url}: axe {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"])
                )
    context.close()
    assert len(forms) >= 15
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)
