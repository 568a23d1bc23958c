"""Every page, every role, on a phone and a desktop: no page scrolls sideways (at 1366, 768, 390
and 320 px wide), axe-core finds no WCAG 2.0/2.1/2.2 A or AA violation (at 1366 and 390 px, with
every disclosure opened as well as closed), no page logs a browser error (a CSP refusal is one),
a governing-body member reads no developer's or transcriber's words, nobody reads a developer's
word (a field name, a stored value, a library), no word in a table is broken letter by letter at
390 px, and a page with an error summary opens with the focus on it.

The pages are the URLconf's: test_every_url_pattern_is_swept walks django.urls.get_resolver(),
and a pattern that PAGES does not know how to fill (or NOT_PAGES does not exclude, with a reason)
fails with its name. Whoever adds a page adds one line to PAGES. The answers of forms (an import
preview, a form sent back with its errors) are pages too: FORM_STATES reaches them by filling in
and sending the form, and they are checked the same way.

axe-core is vendored for the tests only (tests/browser/vendor/axe-core, MPL-2.0, from the npm
registry); the browser fetches it from the live server's own origin (Playwright answers that URL
from the file), so the pages' Content-Security-Policy stays on while axe runs."""

import datetime
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from html import unescape
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from apps.api.services import token_create, token_revoke
from apps.assurance import committee_papers
from apps.assurance import services as assurance_services
from apps.assurance.models import PrincipalRisk
from apps.evidence.models import EvidenceItem
from apps.organisations import services as organisation_services
from apps.organisations.models import Membership, Organisation
from apps.organisations.tokens import invitation_path_args
from apps.plans.models import Deliverable, ODPlan
from apps.plans.services import deliverable_update
from apps.reports import services as report_services
from apps.reports.models import BoardReport, IssuedPaper
from apps.risks.models import Risk
from apps.signon.models import AllowedDomain
from tests.browser.test_import import _workbook
from tests.conftest import PASSWORD
from tests.factories import MembershipFactory, UserFactory

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_PATH = "/__tests__/axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_WIDTHS = (1366, 390)
BROKEN_WORDS_WIDTH = 390  # no word in a table is broken inside at this width (issue 19.1)
SCROLL_WIDTHS = (1366, 768, 390, 320)

# Words of the people who built the data, which a governing-body member must not be shown (their
# notes live in an admin-only "About the source" section and in fixtures/docs).
NOT_FOR_READERS = (
    "seed data",
    "loaded from the board papers",
    "status in the source",
    "source printed",
    "the documents do not",
    "the documents give",
    "these documents",
    "source text",
    "in the source",
    "fixture",
    "load_seed",
)


# A developer's words, which nobody reading a page should meet (issue 19.5): a column name
# ("owner_id"), a stored choice value rather than its label ("delivered_further_work"), the name
# of a library. _developer_words finds them in a page's text.
LIBRARIES = (
    "django",
    "pghistory",
    "pgtrigger",
    "htmx",
    "weasyprint",
    "psycopg",
    "openpyxl",
    "select2",
    "tables2",
    "django-axes",
    "traceback",
    "exception",
    "none of the available choices",
    "this field is required",
)


def _stored_choice_values():
    """Every choice value of ccgtrack's models that is not a word of English (it has a "_")."""
    from django.apps import apps

    values = set()
    for model in apps.get_models():
        if not model.__module__.startswith("apps."):
            continue
        for field in model._meta.get_fields():
            for value, _label in getattr(field, "flatchoices", None) or ():
                if isinstance(value, str) and "_" in value:
                    values.add(value)
    return values


SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def _developer_words(text):
    """The developer's words in ``text`` (a page's text, as read): each snake_case word (a field
    name, an "_id" column, a stored choice value) and each library name."""
    lowered = text.lower()
    found = {m.group() for m in SNAKE_CASE.finditer(lowered)}
    found |= {value for value in _stored_choice_values() if value in lowered}
    found |= {name for name in LIBRARIES if re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", lowered)}
    return sorted(found)


@dataclass
class Seed:
    """The seed records the URLs are filled from."""

    dorset: Organisation
    darlington: Organisation
    dorset_plan: ODPlan
    darlington_plan: ODPlan
    deliverable: Deliverable
    risk: Risk
    kinds: dict  # one organisation of each kind present in the seed: kind -> slug
    invited: object  # an account invited to Dorset (by _users) that has not set its password
    papers: list  # Dorset's issued papers (by _users): the first, superseded, and its correction
    archived_risk: Risk  # archived by _users, to restore
    archived_deliverable: Deliverable  # archived by _users, to restore
    evidence: EvidenceItem  # Darlington's, a file supporting risk R2 (by _users)
    archived_evidence: EvidenceItem  # archived by _users, to restore
    baf: dict = dataclass_field(default_factory=dict)  # Darlington's framework, with what _users recorded

    @classmethod
    def load(cls) -> "Seed":
        dorset = Organisation.objects.get(slug="nhs-dorset-ccg")
        darlington = Organisation.objects.get(slug="nhs-darlington-ccg")
        kinds = {}
        for kind, slug in Organisation.objects.order_by("kind", "pk").values_list("kind", "slug"):
            kinds.setdefault(kind, slug)
        kinds["lat"] = "wessex"  # Dorset's LAT: the one with a CCG recorded beneath it
        return cls(
            dorset=dorset,
            darlington=darlington,
            dorset_plan=ODPlan.objects.get(organisation=dorset),
            darlington_plan=ODPlan.objects.get(organisation=darlington),
            deliverable=Deliverable.objects.filter(theme__plan__organisation=dorset).order_by("pk").first(),
            risk=Risk.objects.get(organisation=darlington, reference="R2"),
            kinds=kinds,
            invited=get_user_model().objects.get(email=INVITED_EMAIL),
            papers=list(IssuedPaper.objects.filter(plan__organisation=dorset).order_by("number")),
            archived_risk=Risk.objects.filter(archived_at__isnull=False).order_by("pk").first(),
            archived_deliverable=Deliverable.objects.filter(archived_at__isnull=False).order_by("pk").first(),
            evidence=EvidenceItem.objects.filter(archived_at__isnull=True).order_by("pk").first(),
            archived_evidence=EvidenceItem.objects.filter(archived_at__isnull=False).order_by("pk").first(),
            baf=_framework(darlington),
        )

    def invitation(self, token=None) -> dict:
        """The URL kwargs of the invitation link of ``invited`` (``token`` for another token)."""
        uidb64, valid = invitation_path_args(self.invited)
        return {"uidb64": uidb64, "token": token or valid}


ROLES = ("admin", "staff", "board")
ADMIN = ("admin",)
ORGADMIN = ("orgadmin",)  # Dorset's organisation administrator: the people page, the staff lead
ANONYMOUS = ("anonymous",)
EVERY_ROLE = ("anonymous", *ROLES, "orgadmin")  # in the order the sweep logs them in
INVITED_EMAIL = "ivy.invited@nhs.example"


def _slugs(*slugs, roles=ROLES):
    return [({"slug": slug}, "", roles) for slug in slugs]


# URL name -> function(seed) -> [(URL kwargs, query string, roles)]: the states of each page
# worth seeing, and who to see them as (every role unless the state is the same for all).
# Names without arguments are swept with no query string, as every role, unless listed here.
PAGES = {
    "home": lambda s: [({}, "", ROLES)],
    "login": lambda s: [({}, "", ANONYMOUS)],
    "organisations:national": lambda s: [
        ({}, "", ROLES),
        ({}, "?hosts_hub=true&sort=-population_thousands", ADMIN),
    ],
    "organisations:organisation_detail": lambda s: (
        _slugs(s.dorset.slug, "wessex")
        + _slugs(*sorted(set(s.kinds.values()) - {s.dorset.slug, "wessex"}), roles=("admin", "board"))
        + _slugs(s.dorset.slug, roles=ORGADMIN)  # with the link to the people page
    ),
    # Members with every kind of account (active, invitation pending) and the change log.
    "organisations:people": lambda s: _slugs(s.dorset.slug, roles=("admin", "orgadmin")),
    # Single sign-on's allowed email domains (issue 23): one allowed, one withdrawn (see _users).
    "signon:allowed_domains": lambda s: _slugs(s.dorset.slug, roles=("admin", "orgadmin")),
    "organisations:invitation_accept": lambda s: [
        (s.invitation(), "", ANONYMOUS),  # moves the token to the session: the password form
        (s.invitation("1-0123456789abcdef"), "", ANONYMOUS),  # a used or expired link
    ],
    "plans:plan_detail": lambda s: [
        ({"pk": s.dorset_plan.pk}, "", ROLES),
        ({"pk": s.darlington_plan.pk}, "", ROLES),
    ],
    "plans:deliverable_list": lambda s: [
        ({}, "", ROLES),
        ({}, "?status=in_progress&status=not_started&overdue=true&deadline_after=2012-01-01", ADMIN),
        ({}, f"?within={s.dorset.pk}&delivered_month=2013-13&deadline_before=31/02/2013", ADMIN),  # errors
    ],
    "plans:deliverable_detail": lambda s: [({"pk": s.deliverable.pk}, "", ROLES)],
    "plans:plan_import": lambda s: [({"pk": s.dorset_plan.pk}, "", ("admin", "staff"))],
    # Swept as every role without arguments: My work and the reminders (staff own deliverables
    # and a risk, see _users), the import of a new plan (staff and admin; 403 for the board).
    "plans:my_work": lambda s: [({}, "", (*ROLES, "orgadmin"))],
    "reminders:preferences": lambda s: [({}, "", (*ROLES, "orgadmin"))],
    # API tokens (issue 23): one's own, and an organisation administrator's view of their people's.
    "tokens:my_tokens": lambda s: [({}, "", (*ROLES, "orgadmin"))],
    "tokens:organisation_tokens": lambda s: _slugs(s.dorset.slug, roles=("admin", "orgadmin")),
    "plans:self_assessment": lambda s: _slugs(s.dorset.slug, s.darlington.slug),
    "risks:risk_list": lambda s: [
        ({}, "", ROLES),
        ({}, "?band=extreme&residual_band=high&status=open", ADMIN),
    ],
    "risks:heatmap": lambda s: [({}, "", ROLES), ({}, "?q=no+such+risk", ADMIN)],  # no risks to map
    "risks:risk_detail": lambda s: [({"pk": s.risk.pk}, "", ROLES)],
    # Recording what staff find (issue 19): the add, edit, archive and restore forms.
    "risks:risk_create": lambda s: _slugs(s.dorset.slug, roles=("staff", "orgadmin")),
    "risks:risk_edit": lambda s: [({"pk": s.risk.pk}, "", ("staff",))],
    "risks:risk_archive": lambda s: [({"pk": s.risk.pk}, "", ("staff",))],
    "risks:risk_restore": lambda s: [({"pk": s.archived_risk.pk}, "", ("staff",))],
    "risks:risk_archived": lambda s: [({}, "", ("staff",))],
    "plans:deliverable_create": lambda s: [({"pk": s.dorset_plan.pk}, "", ("staff", "orgadmin"))],
    "plans:deliverable_edit": lambda s: [({"pk": s.deliverable.pk}, "", ("staff",))],
    "plans:deliverable_archive": lambda s: [({"pk": s.deliverable.pk}, "", ("staff",))],
    "plans:deliverable_restore": lambda s: [({"pk": s.archived_deliverable.pk}, "", ("staff",))],
    "plans:deliverable_archived": lambda s: [({}, "", ("staff",))],
    "plans:theme_create": lambda s: [({"pk": s.dorset_plan.pk}, "", ("staff",))],
    "plans:theme_edit": lambda s: [({"pk": s.dorset_plan.themes.order_by("number")[0].pk}, "", ("staff",))],
    "plans:objective_create": lambda s: [
        ({"pk": s.dorset_plan.themes.order_by("number")[0].pk}, "", ("staff",))
    ],
    "plans:objective_edit": lambda s: [
        (
            {"pk": s.dorset_plan.themes.order_by("number")[0].objectives.order_by("position")[0].pk},
            "",
            ("staff",),
        )
    ],
    "plans:self_assessment_create": lambda s: _slugs(s.darlington.slug, roles=("staff",)),
    "plans:self_assessment_edit": lambda s: [
        ({"pk": s.darlington.self_assessments.order_by("pk")[0].pk}, "", ("staff",))
    ],
    "reports:board_report": lambda s: [
        ({"pk": s.dorset_plan.pk}, "", ROLES),
        ({"pk": s.darlington_plan.pk}, "", ROLES),  # no cover sheet written yet
    ],
    "reports:cover_edit": lambda s: [({"pk": s.dorset_plan.pk}, "", ("admin", "staff"))],
    "reports:paper_list": lambda s: [({"pk": s.dorset_plan.pk}, "", ROLES)],
    "reports:paper_detail": lambda s: [({"pk": p.pk}, "", ROLES) for p in s.papers],  # superseded, standing
    "reports:paper_compare": lambda s: [({"pk": s.papers[0].pk, "other": s.papers[-1].pk}, "", ROLES)],
    # The Board Assurance Framework (issue 21): Darlington's, with an assurance, a gap and an
    # appetite recorded by _users; a LAT's roll-up; its forms as staff.
    "assurance:principal_risk_list": lambda s: [
        ({}, "", ROLES),
        ({}, "?outside_appetite=true&weak_assurance=true&overdue_actions=false", ADMIN),
    ],
    "assurance:framework": lambda s: (
        _slugs(s.darlington.slug)
        + _slugs("wessex", roles=ADMIN)
        + [({"slug": s.darlington.slug}, "?outside_appetite=true&committee=", ("board",))]
        + [({"slug": s.darlington.slug}, f"?as_at={timezone.localdate().isoformat()}", ("board",))]
    ),
    "assurance:principal_risk_detail": lambda s: [({"pk": s.baf["principal"].pk}, "", ROLES)],
    "assurance:committee_detail": lambda s: [({"pk": s.baf["committee"].pk}, "", ROLES)],
    "assurance:committee_paper_issue": lambda s: [({"pk": s.baf["committee"].pk}, "", ("staff",))],
    "assurance:committee_paper_detail": lambda s: [({"pk": s.baf["committee_paper"].pk}, "", ROLES)],
    **{
        name: (lambda s: _slugs(s.darlington.slug, roles=("staff",)))
        for name in (
            "assurance:objective_create",
            "assurance:principal_risk_create",
            "assurance:committee_create",
            "assurance:appetite_create",
        )
    },
    **{
        name: (lambda s, key=key: [({"pk": s.baf[key].pk}, "", ("staff",))])
        for name, key in (
            ("assurance:objective_edit", "objective"),
            ("assurance:principal_risk_edit", "principal"),
            ("assurance:control_create", "principal"),
            ("assurance:gap_create", "principal"),
            ("assurance:control_edit", "control"),
            ("assurance:assurance_create", "control"),
            ("assurance:assurance_edit", "assurance"),
            ("assurance:gap_edit", "gap"),
            ("assurance:committee_edit", "committee"),
            ("assurance:appetite_edit", "appetite"),
        )
    },
    # Evidence (issue 22): the library, an item, its forms; a link's removal.
    "evidence:library": lambda s: (
        _slugs(s.darlington.slug)
        + [({"slug": s.darlington.slug}, "?expired=false&supports=risk&q=minutes", ADMIN)]
    ),
    "evidence:item_create": lambda s: [
        ({"slug": s.darlington.slug}, "", ("staff",)),
        ({"slug": s.darlington.slug}, f"?risk={s.risk.pk}", ("staff",)),
        ({"slug": s.darlington.slug}, f"?control={s.baf['control'].pk}", ("staff",)),
    ],
    "evidence:link_create": lambda s: [
        ({}, f"?risk={s.risk.pk}", ("staff",)),
        ({}, f"?control={s.baf['control'].pk}", ("staff",)),
        ({}, f"?assurance={s.baf['assurance'].pk}", ("staff",)),
    ],
    "evidence:item_detail": lambda s: [({"pk": s.evidence.pk}, "", ROLES)],
    "evidence:item_edit": lambda s: [({"pk": s.evidence.pk}, "", ("staff",))],
    "evidence:revision_create": lambda s: [({"pk": s.evidence.pk}, "", ("staff",))],
    "evidence:item_archive": lambda s: [({"pk": s.evidence.pk}, "", ("staff",))],
    "evidence:item_restore": lambda s: [({"pk": s.archived_evidence.pk}, "", ("staff",))],
    "evidence:link_remove": lambda s: [({"pk": s.evidence.links.get().pk}, "", ("staff",))],
    "dashboards:national": lambda s: [({}, "", ADMIN)],
    "dashboards:organisation": lambda s: (
        _slugs(s.dorset.slug, s.darlington.slug)
        + _slugs("wessex", s.kinds["national"], roles=ADMIN)
        # As at a day: one before the records began (a sentence, no figures), and today.
        + [({"slug": s.dorset.slug}, "?as_at=2014-03-31", ("board",))]
        + [({"slug": s.dorset.slug}, f"?as_at={timezone.localdate().isoformat()}", ("board",))]
    ),
}

# URL names that are not pages a person reads, and why.
NOT_PAGES = {
    "healthz": "plain-text health check for load balancers",
    "logout": "POST only",
    "tokens:token_revoke": "POST only: revokes a token (its button is on the token pages, which are swept)",
    "plans:deliverable_status": "POST only (the in-place status control; tests/browser/test_deliverables.py)",
    "reports:board_report_pdf": "a PDF (tests/reports/test_pdf.py)",
    "reports:paper_pdf": "a PDF, the one stored at issue (tests/reports/test_issued_papers.py)",
    "assurance:committee_paper_pdf": "a PDF, the one stored at issue (tests/assurance)",
    "reports:issue": "POST only: issues the paper (its confirmation is on the report page, which is swept)",
    "plans:plan_import_template": "a file download, the import's XLSX or CSV template (tests/plans)",
    "evidence:revision_download": "a file download, an evidence file as an attachment (tests/evidence)",
    "plans:plan_import_new_confirm": "POST only: confirms a previewed import (the preview is in FORM_STATES)",
    "plans:plan_import_confirm": "POST only: confirms a previewed import (the preview is in FORM_STATES)",
    **dict.fromkeys(
        (
            "organisations:people_invite",
            "organisations:people_role",
            "organisations:people_remove",
            "organisations:people_deactivate",
            "organisations:people_reactivate",
            "organisations:people_resend",
        ),
        "POST only: an action of the people page, which is swept (its refusal is in FORM_STATES)",
    ),
}
NOT_PAGES_NAMESPACES = {
    "admin": "Django's own admin site",
    "api": "the REST API (JSON), its schema and its Swagger UI documentation (tests/api)",
}
NOT_PAGES.update(
    {
        "signon:allowed_domain_withdraw": "POST only: an action of the allowed domains page, which is swept",
        "signon:start": "a redirect to the sign-in service (tests/browser/test_single_sign_on.py)",
        "signon:callback": "the sign-in service's way back, a redirect (tests/signon)",
    }
)


def _url_patterns(patterns=None, namespace=""):
    """(qualified name, route, has arguments) of every URL pattern, includes followed."""
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            if entry.namespace in NOT_PAGES_NAMESPACES:
                continue
            for name, route, has_args in _url_patterns(entry.url_patterns, inner):
                yield name, str(entry.pattern) + route, has_args
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else None
            yield name, str(entry.pattern), bool(entry.pattern.regex.groupindex or entry.pattern.regex.groups)


def _pages_to_sweep():
    """[(name, route, has_args)] of the pages; fails naming every pattern the sweep cannot fill."""
    unknown, pages = [], []
    for name, route, has_args in _url_patterns():
        if name in NOT_PAGES:
            continue
        if name is None:
            unknown.append(f"/{route} has no name: give it one and add it to PAGES")
        elif has_args and name not in PAGES:
            unknown.append(
                f"{name} (/{route}) takes arguments: add it to PAGES (or NOT_PAGES, with a reason)"
            )
        else:
            pages.append((name, route, has_args))
    assert not unknown, "The page sweep does not know how to fill:\n" + "\n".join(unknown)
    return pages


def test_every_url_pattern_is_swept():
    pages = _pages_to_sweep()
    names = {name for name, _, _ in pages}
    assert {"plans:deliverable_list", "dashboards:organisation", "reports:board_report"} <= names
    stale = set(PAGES) - names
    assert not stale, f"PAGES names URL patterns that no longer exist: {sorted(stale)}"


def test_a_new_page_the_sweep_cannot_fill_fails_with_its_name(settings):
    settings.ROOT_URLCONF = "tests.browser.urls_with_a_new_page"
    with pytest.raises(AssertionError, match=r"people_page \(/people/<slug:slug>/\) takes arguments"):
        _pages_to_sweep()


def _users() -> dict:
    """The sweep's accounts, one per role, and what gives their pages something to show: staff
    own deliverables (overdue, due soon, later) and a risk whose review is overdue; Dorset's
    organisation administrator has invited someone who has not set a password yet."""
    admin = UserFactory(username="sweep.admin", is_superuser=True, is_staff=True)
    staff = UserFactory(username="sweep.staff", first_name="Sam", last_name="Staff")
    board = UserFactory(username="sweep.board", first_name="Bea", last_name="Board")
    orgadmin = UserFactory(username="sweep.orgadmin", first_name="Ola", last_name="Orgadmin")
    for slug in ("nhs-dorset-ccg", "nhs-darlington-ccg"):
        organisation = Organisation.objects.get(slug=slug)
        MembershipFactory(user=staff, organisation=organisation, role=Membership.Role.STAFF)
        MembershipFactory(user=board, organisation=organisation, role=Membership.Role.GOVERNING_BODY)
    dorset = Organisation.objects.get(slug="nhs-dorset-ccg")
    MembershipFactory(user=orgadmin, organisation=dorset, role=Membership.Role.ORG_ADMIN)
    organisation_services.membership_invite(
        acting_user=orgadmin,
        organisation=dorset,
        email=INVITED_EMAIL,
        role=Membership.Role.STAFF,
        first_name="Ivy",
        last_name="Invited",
        link_base="http://testserver",
    )
    for domain, withdrawn in (("dorset.nhs.example", None), ("old-dorset.nhs.example", timezone.now())):
        AllowedDomain.objects.create(
            organisation=dorset, domain=domain, role=Membership.Role.STAFF, withdrawn_at=withdrawn
        )
    today = timezone.localdate()
    staff_of = Organisation.objects.filter(memberships__user=staff)
    open_work = Deliverable.objects.filter(theme__plan__organisation__in=staff_of).exclude(
        status__in=Deliverable.DELIVERED_STATUSES
    )
    for days, deliverable in zip((-20, 10, 90), open_work.order_by("pk")[:3], strict=True):
        Deliverable.objects.filter(pk=deliverable.pk).update(
            owner=staff, deadline=today + datetime.timedelta(days=days)
        )
    risk = Risk.objects.filter(organisation__in=staff_of, status=Risk.Status.OPEN).order_by("pk")[0]
    Risk.objects.filter(pk=risk.pk).update(owner=staff, next_review_on=today - datetime.timedelta(days=5))
    _issue_papers(staff, dorset)
    _evidence(staff, risk=Risk.objects.get(organisation__slug="nhs-darlington-ccg", reference="R2"))
    # API tokens for the token pages' tables: one in use, one revoked.
    token_create(user=staff, name="Power BI board dashboard", scope="read", days=90)
    spare = token_create(user=staff, name="Old spreadsheet", scope="write", days=30)[0]
    token_revoke(token_id=spare.pk, acting_user=orgadmin)
    # An archived risk and deliverable of Darlington, for the restore pages (not ones swept above).
    darlington = Organisation.objects.get(slug="nhs-darlington-ccg")
    archived = Risk.objects.filter(organisation=darlington).exclude(pk=risk.pk).exclude(reference="R2")
    Risk.objects.filter(pk=archived.order_by("-pk")[0].pk).update(archived_at=timezone.now())
    Deliverable.objects.filter(
        pk=Deliverable.objects.filter(theme__plan__organisation=darlington).order_by("-pk")[0].pk
    ).update(archived_at=timezone.now())
    _record_framework(staff, darlington)
    return {"admin": admin, "staff": staff, "board": board, "orgadmin": orgadmin}


def _record_framework(staff, darlington):
    """Darlington's framework (the seed's worked example) given what the seed leaves empty: an
    appetite R3 is outside, a target, an assurance of limited level with its evidence, a gap
    closed by an action."""
    principal = PrincipalRisk.objects.get(risk__organisation=darlington, risk__reference="R3")
    assurance_services.appetite_edit.create(
        acting_user=staff,
        values={"organisation": darlington, "category": "partnerships", "level": "cautious", "tolerance": 8},
        note="Set by the governing body.",
    )
    assurance_services.principal_risk_edit(
        pk=principal.pk,
        acting_user=staff,
        expected_version=principal.version,
        changes={"category": "partnerships", "target_severity": 3, "target_likelihood": 2},
        note="Target agreed.",
    )
    control = principal.controls.order_by("pk").first()
    assurance_services.assurance_edit.create(
        acting_user=staff,
        values={
            "control": control,
            "description": "Engagement strategy progress report",
            "line": "management",
            "level": "limited",
            "received_on": datetime.date(2012, 10, 2),
            "committee": principal.committee,
        },
    )
    # The assurance rests on a document kept as a link (the framework's evidence, issue 22).
    from apps.evidence import services as evidence_services

    evidence_services.evidence_create(
        organisation=darlington,
        acting_user=staff,
        values={
            "kind": "link",
            "title": "Engagement strategy progress report, October 2012",
            "url": "https://nhs.sharepoint.com/sites/governance/engagement-progress-2012-10.pdf",
            "speaks_for": datetime.date(2012, 10, 2),
        },
        note="The report the committee received.",
        link_to={"assurance": control.assurances.order_by("-pk").first()},
    )
    action = Deliverable.objects.filter(
        theme__plan__organisation=darlington, archived_at__isnull=True
    ).order_by("pk")
    assurance_services.gap_edit.create(
        acting_user=staff,
        values={
            "principal_risk": principal,
            "kind": "assurance",
            "description": "No independent review of engagement yet",
            "deliverables": [action.first()],
        },
    )
    # A paper issued to the committee that monitors R3 (its page and the committee's list).
    committee_papers.issue_committee_paper(
        committee_id=principal.committee_id,
        acting_user=staff,
        meeting_date=datetime.date(2012, 11, 6),
        title="Board Assurance Framework",
        latest_seen=0,
    )


def _framework(darlington):
    principal = PrincipalRisk.objects.get(risk__organisation=darlington, risk__reference="R3")
    control = principal.controls.order_by("pk").first()
    return {
        "principal": principal,
        "control": control,
        "assurance": control.assurances.order_by("pk").first(),
        "gap": principal.gaps.order_by("pk").first(),
        "committee": principal.committee,
        "committee_paper": principal.committee.papers.get(),
        "objective": principal.objectives.order_by("pk").first(),
        "appetite": darlington.risk_appetites.order_by("pk").first(),
    }


def _evidence(staff, risk):
    """Darlington's evidence: minutes (a PDF, two files) supporting risk R2, due for review
    soon, and an archived link."""
    from apps.evidence import services as evidence_services
    from apps.evidence.files import check_upload
    from tests.evidence.samples import PDF, upload

    today = timezone.localdate()
    item = evidence_services.evidence_create(
        organisation=risk.organisation,
        acting_user=staff,
        values={
            "kind": "file",
            "title": "Governing body minutes, 31 October 2012",
            "speaks_for": datetime.date(2012, 10, 31),
            "review_on": today + datetime.timedelta(days=10),
        },
        file=check_upload(upload("Minutes 31 October 2012.pdf", PDF)),
        note="The minutes of the meeting that reviewed the risk.",
        link_to={"risk": risk},
    )
    evidence_services.evidence_add_revision(
        item_id=item.pk,
        acting_user=staff,
        expected_version=item.version,
        file=check_upload(upload("Minutes 31 October 2012 approved.pdf", PDF + b"% approved\n")),
        note="The approved minutes.",
    )
    old = evidence_services.evidence_create(
        organisation=risk.organisation,
        acting_user=staff,
        values={
            "kind": "link",
            "title": "Training log 2011",
            "url": "https://nhs.sharepoint.com/sites/od/training-2011.xlsx",
            "speaks_for": datetime.date(2011, 12, 31),
        },
        note="Last year's log.",
    )
    evidence_services.evidence_edit.set_archived(
        pk=old.pk, acting_user=staff, expected_version=old.version, archived=True, note="Superseded."
    )


def _program_as_a_pdf(page, seed):
    from tests.evidence.samples import EXE

    page.fill("#id_title", "Minutes")
    page.fill("#id_speaks_for", "2012-10-31")
    page.set_input_files(
        "#id_file", files=[{"name": "minutes.pdf", "mimeType": "application/pdf", "buffer": EXE}]
    )
    page.fill("#id_note", "Shows the meeting.")
    page.click("#record-form button[type=submit]")


def _issue_papers(staff, dorset):
    """Dorset's paper issued, a status changed, and a correction issued: a superseded paper, one
    that stands with changes since, and a pair to compare."""
    plan = ODPlan.objects.get(organisation=dorset)
    cover = BoardReport.objects.filter(plan=plan).order_by("-meeting_date", "-pk").first()
    report_services.issue_paper(
        plan_id=plan.pk, acting_user=staff, cover_sheet_id=cover.pk, cover_sheet_version=cover.version
    )
    moved = (
        Deliverable.objects.filter(theme__plan=plan)
        .exclude(status__in=Deliverable.DELIVERED_STATUSES)
        .order_by("pk")
        .first()
    )
    deliverable_update(
        deliverable_id=moved.pk,
        acting_user=staff,
        expected_version=moved.version,
        changes={"status": Deliverable.Status.DELIVERED},
        note="Delivered since the paper.",
    )
    report_services.issue_paper(
        plan_id=plan.pk,
        acting_user=staff,
        cover_sheet_id=cover.pk,
        cover_sheet_version=cover.version,
        correction_note="Corrects the status of one deliverable.",
    )


AXE_RUN = """async ([tags, skip]) => {
  const rules = Object.fromEntries(skip.map(id => [id, {enabled: false}]));
  const options = {runOnly: {type: "tag", values: tags}, rules: rules, resultTypes: ["violations"]};
  const result = await axe.run(document, options);
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3)
      .map(n => n.target.join(" ") + " :: " + n.failureSummary.split("\\n").slice(0, 3).join(" "))
      .concat(v.nodes.length > 3 ? ["... and " + (v.nodes.length - 3) + " more"] : []),
  }));
}"""
# Ids named by aria-describedby (Django's <id>_helptext and <id>_error) that are not on the page:
# axe accepts a description of which one id exists, but then the help or the error is never read.
MISSING_DESCRIPTIONS = """() => [...document.querySelectorAll("[aria-describedby]")].flatMap(el =>
  el.getAttribute("aria-describedby").split(/\\s+/).filter(id => id && !document.getElementById(id))
    .map(id => (el.id ? "#" + el.id : el.tagName.toLowerCase()) + " names #" + id))"""
OPEN_ALL = "() => document.querySelectorAll('details').forEach(d => { d.open = true; })"
# A page with an error summary (a form sent back with its errors) opens with the focus on it.
SUMMARY_FOCUSED = """() => {
  const summary = document.querySelector("[data-error-summary]");
  return !summary || document.activeElement === summary;
}"""
SETTLE = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
OVERFLOW = """() => {
  const W = window.innerWidth, S = document.scrollingElement.scrollWidth;
  if (S <= W) { return null; }
  const culprits = [];
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (r.right > W + 1 && !el.closest(".table-container") && culprits.length < 3) {
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
        + (el.className ? "." + el.className : "");
      culprits.push(name + " right=" + Math.round(r.right));
    }
  }
  return S + " px wide in a " + W + " px window: " + culprits.join(", ");
}"""


# Words broken inside (letter by letter) in the tables shown: a word whose letters lie on two
# lines. Words are split at spaces, hyphens and slashes (where a line may break).
BROKEN_WORDS = """() => {
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode()) && found.length < 5) {
    const parent = node.parentElement;
    if (!parent || !parent.closest("table")) { continue; }
    const words = /[^\\s\\-\\/–—]+/g;
    let m;
    while ((m = words.exec(node.textContent))) {
      if (m[0].length < 3 || m[0].length > 24 || m[0].includes("@")) { continue; }
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (lines.size > 1) { found.push(m[0] + " (" + (parent.closest("table").id || "a table") + ")"); }
    }
  }
  return found;
}"""


class Sweep:
    """One logged-in browser context per role; each page is loaded once and looked at in every
    width and state."""

    def __init__(self, browser, base_url):
        self.browser, self.base_url = browser, base_url
        self.failures, self.visited, self.statuses, self.console = [], 0, {}, []
        self.axe_source = AXE.read_text(encoding="utf-8")

    def context(self, username=None):
        context = self.browser.new_context(viewport={"width": SCROLL_WIDTHS[0], "height": 900})
        context.route(
            f"{self.base_url}{AXE_PATH}",
            lambda route: route.fulfill(body=self.axe_source, content_type="text/javascript"),
        )
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.on("console", lambda msg: self.console.append(msg) if msg.type == "error" else None)
        if username:
            page.goto(self.base_url + reverse("login"))
            page.fill("#id_username", username)
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            assert "/accounts/login/" not in page.url, f"{username} could not log in"
        return context, page

    def fail(self, where, message):
        self.failures.append(f"{where}: {message}")

    def look(self, page, role, url):
        """Load ``url`` once at 1366 px and examine it."""
        self.console.clear()
        page.set_viewport_size({"width": SCROLL_WIDTHS[0], "height": 900})
        response = page.goto(self.base_url + url)
        self.statuses[(role, url)] = response.status
        if response.status != 200:
            return
        self.examine(page, role, url)

    def send(self, page, role, state, seed):
        """Open the page of a form at 1366 px, fill it in and send it as ``state`` says, and
        examine the answer (whatever its status: a form sent back with errors is a 400)."""
        url = state.start(seed)
        page.set_viewport_size({"width": SCROLL_WIDTHS[0], "height": 900})
        response = page.goto(self.base_url + url)
        if response.status != 200:
            self.fail(
                f"{role} {url}", f"answered {response.status}, so {state.description!r} was not checked"
            )
            return
        self.console.clear()
        with page.expect_navigation() as navigation:
            state.send(page, seed)
        where = f"{url} after {state.description}"
        answered = navigation.value.status
        if answered != state.status:
            self.fail(f"{role} {where}", f"answered {answered}, not {state.status}")
        self.examine(page, role, where, status=answered)

    def examine(self, page, role, url, status=200):
        """Check the page in the browser as loaded at 1366 px, then at each width with every
        <details> opened (the header menu, the filter panel, the status forms, the audit trail).
        A form sent back with its errors answers 400 (``status``); Chromium logs that status of
        the page itself as an error, which is not one of the page's errors."""
        self.visited += 1
        page.evaluate(SETTLE)
        self.check(page, f"{role} {SCROLL_WIDTHS[0]}px {url} (as loaded)")
        if not page.evaluate(SUMMARY_FOCUSED):
            self.fail(f"{role} {url}", "has an error summary that is not focused as the page opens")
        for missing in page.evaluate(MISSING_DESCRIPTIONS):
            self.fail(f"{role} {url}", f"aria-describedby: {missing}, which is not on the page")
        for width in SCROLL_WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.evaluate(OPEN_ALL)
            page.evaluate(SETTLE)
            where = f"{role} {width}px {url} (every disclosure open)"
            self.check(page, where)
            if width == BROKEN_WORDS_WIDTH:
                for word in page.evaluate(BROKEN_WORDS):
                    self.fail(where, f"breaks a word inside, letter by letter: {word}")
            if width == AXE_WIDTHS[0]:
                self.axe(page, where)
            elif width in AXE_WIDTHS:
                # Colours do not change with the width, and contrast is axe's slowest rule.
                self.axe(page, where, skip=["color-contrast"])
        text = page.evaluate("() => document.body.innerText")
        for words in _developer_words(text):
            self.fail(f"{role} {url}", f"shows a developer's word: {words!r}")
        if role == "board":
            text = text.lower()
            for words in NOT_FOR_READERS:
                if words in text:
                    self.fail(f"{role} {url}", f"shows a governing-body member the words {words!r}")
        own_status = f"Failed to load resource: the server responded with a status of {status} "
        for error in self.console:
            if status != 200 and error.location.get("url") == page.url and error.text.startswith(own_status):
                continue
            self.fail(f"{role} {url}", f"browser error: {error.text}")

    def check(self, page, where):
        overflow = page.evaluate(OVERFLOW)
        if overflow:
            self.fail(where, f"scrolls sideways: {overflow}")

    def axe(self, page, where, skip=()):
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.add_script_tag(url=self.base_url + AXE_PATH)
        for v in page.evaluate(AXE_RUN, [AXE_TAGS, list(skip)]):
            nodes = "\n      ".join(v["nodes"])
            self.fail(where, f"axe {v['id']} ({v['impact']}): {v['help']}\n      {nodes}")


def _upload(status: str) -> Callable:
    """Send Dorset's plan as an XLSX with reference 1.3's status set to ``status`` and a new
    row 7.1 (tests/browser/test_import.py): "Finished" is a bad row, "In progress" a change."""

    def send(page, seed):
        page.set_input_files(
            "#id_file",
            files=[
                {"name": "dorset-plan.xlsx", "mimeType": XLSX, "buffer": _workbook(seed.dorset_plan, status)}
            ],
        )
        page.click("#upload-form button[type=submit]")

    return send


def _click(selector: str) -> Callable:
    return lambda page, seed: page.click(selector)


def _two_passwords(page, seed):
    page.fill("#id_new_password1", "Ivy-chooses-a-long-password-2026")
    page.fill("#id_new_password2", "Ivy-types-another-one-2026")
    page.click("main form button[type=submit]")


def _risk_without_a_description(page, seed):
    page.select_option("#id_severity", "3")
    page.fill("#id_note", "Raised at the seminar.")
    page.click("#record-form button[type=submit]")


def _status_without_note(page, seed):
    other = "in_progress" if seed.deliverable.status != "in_progress" else "delivered"
    page.select_option("#id_status", other)
    page.click("#update-form button[type=submit]")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class FormState:
    """A page reached by sending a form: who sends it, from which page, and how."""

    role: str
    start: Callable[[Seed], str]
    description: str
    send: Callable
    status: int = 400  # what the answer's status must be (a form with errors: 400)


FORM_STATES = [
    FormState(
        "staff",
        lambda s: reverse("plans:plan_import", args=[s.dorset_plan.pk]),
        "a file with a bad row (the preview with its row errors)",
        _upload("Finished"),
    ),
    FormState(
        "staff",
        lambda s: reverse("plans:plan_import", args=[s.dorset_plan.pk]),
        "a file that adds and changes rows (the preview to confirm)",
        _upload("In progress"),
        status=200,
    ),
    FormState("admin", lambda s: reverse("plans:plan_import_new"), "no file", _click("#upload-form button")),
    FormState(
        "orgadmin",
        lambda s: reverse("organisations:people", args=[s.dorset.slug]),
        "the invitation form empty",
        _click("#invite button[type=submit]"),
    ),
    FormState(
        "orgadmin",
        lambda s: reverse("signon:allowed_domains", args=[s.dorset.slug]),
        "the allowed domain form empty",
        _click("#allow button[type=submit]"),
    ),
    FormState(
        "anonymous",
        lambda s: reverse("organisations:invitation_accept", kwargs=s.invitation()),
        "two passwords that differ",
        _two_passwords,
        status=200,  # Django's password form answers its errors with a 200
    ),
    FormState(
        "staff",
        lambda s: reverse("plans:deliverable_detail", args=[s.deliverable.pk]),
        "a status change without a note",
        _status_without_note,
    ),
    FormState(
        "staff",
        lambda s: reverse("risks:risk_create", args=[s.dorset.slug]),
        "a new risk without a description or scores",
        _risk_without_a_description,
    ),
    FormState(
        "staff",
        lambda s: reverse("evidence:item_create", args=[s.darlington.slug]),
        "a program named as a PDF (refused, nothing stored)",
        _program_as_a_pdf,
    ),
    FormState(
        "staff",
        lambda s: reverse("plans:self_assessment_create", args=[s.darlington.slug]),
        "a self-assessment with no label",
        _click("#record-form button[type=submit]"),
    ),
    FormState(
        "staff", lambda s: reverse("tokens:my_tokens"), "a token with no name", _click("#token-form button")
    ),
]


@pytest.mark.browser
def test_every_page_fits_a_phone_and_passes_axe_for_every_role(
    browser, seeded_live_server, settings, tmp_path
):
    settings.PLAN_IMPORT_DIR = str(tmp_path)  # the previews' files
    users = _users()
    seed = Seed.load()
    sweep = Sweep(browser, seeded_live_server.url)
    visits = _visits(seed)

    for role in EVERY_ROLE:
        context, page = sweep.context(users[role].username if role in users else None)
        for who, _name, url in visits:
            if who == role:
                sweep.look(page, role, url)
        for state in FORM_STATES:
            if state.role == role:
                sweep.send(page, role, state, seed)
        context.close()

    # A URL no role could open means PAGES fills it wrongly: nothing was checked there.
    for name, url in sorted({(name, url) for _, name, url in visits}):
        seen = {role: status for (role, u), status in sweep.statuses.items() if u == url}
        if 200 not in seen.values():
            sweep.fail(url, f"{name} answered {json.dumps(seen)} to every role: fix its entry in PAGES")
    assert sweep.visited >= 60
    assert not sweep.failures, f"{len(sweep.failures)} problems:\n" + "\n".join(sweep.failures)


def _visits(seed):
    visits = []  # (role, name, url)
    for name, _route, _has_args in _pages_to_sweep():
        variants = PAGES[name](seed) if name in PAGES else [({}, "", ROLES)]
        for kwargs, query, roles in variants:
            visits += [(role, name, reverse(name, kwargs=kwargs) + query) for role in roles]
    return visits


def _text(html):
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split()).lower()


@pytest.mark.django_db
def test_a_governing_body_member_reads_no_developers_or_transcribers_words(client):
    """The words check of the sweep, without a browser (so it runs wherever the tests run)."""
    users = _users()
    client.force_login(users["board"])
    checked = 0
    for role, _name, url in _visits(Seed.load()):
        if role != "board":
            continue
        response = client.get(url)
        if response.status_code != 200:
            continue
        checked += 1
        text = _text(response.content.decode())
        found = [words for words in NOT_FOR_READERS if words in text]
        assert not found, f"{url} shows a governing-body member {found}"
    assert checked >= 15


@pytest.mark.django_db
def test_no_page_shows_anyone_a_developers_words(client):
    """Every page of the sweep, as every role, without a browser: no field or column name, no
    stored choice value, no library's name in what it says (the browser sweep checks the same
    of the text as shown, and of the forms sent back with their errors)."""
    users = _users()
    checked, found = 0, []
    for role, _name, url in _visits(Seed.load()):
        if role == "anonymous":
            client.logout()
        else:
            client.force_login(users[role])
        response = client.get(url, follow=True)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        checked += 1
        found += [f"{role} {url}: {words!r}" for words in _developer_words(_text(response.content.decode()))]
    assert checked >= 60
    assert not found, "\n".join(sorted(set(found)))


def test_the_words_check_finds_developers_words():
    assert _developer_words("Owner_id changed. status: delivered_further_work") == [
        "delivered_further_work",
        "owner_id",
    ]
    assert _developer_words("Rendered by WeasyPrint; see the htmx docs") == ["htmx", "weasyprint"]
    assert _developer_words("Owner: none → Jane Smith. Delivered, with further work in progress.") == []


@pytest.mark.django_db
def test_administrators_still_read_the_notes_about_the_source(client):
    users = _users()
    seed = Seed.load()
    client.force_login(users["admin"])
    risk = _text(client.get(reverse("risks:risk_detail", args=[seed.risk.pk])).content.decode())
    assert "about the source (administrators only)" in risk and "source printed r 16 red" in risk
    deliverable = Deliverable.objects.exclude(source_status="").order_by("pk").first()
    page = _text(client.get(reverse("plans:deliverable_detail", args=[deliverable.pk])).content.decode())
    assert "status in the source" in page and deliverable.source_status.lower() in page
    dorset = _text(
        client.get(reverse("organisations:organisation_detail", args=["nhs-dorset-ccg"])).content.decode()
    )
    assert "the documents do not state the ccg's population" in dorset  # in the admin's section
    client.force_login(users["board"])
    board = _text(client.get(reverse("risks:risk_detail", args=[seed.risk.pk])).content.decode())
    assert "about the source" not in board and "source printed" not in board


@pytest.mark.django_db
def test_every_aria_describedby_and_label_names_an_element_of_the_page(client):
    """Django points a field's aria-describedby at ``<id>_helptext`` and ``<id>_error``: each page
    must carry those ids (else the help and the errors are never read out with the field), and
    every ``<label for>`` must name a control. Every page of the sweep as every role, without a
    browser."""
    users = _users()
    checked, missing = 0, []
    for role, _name, url in _visits(Seed.load()):
        if role == "anonymous":
            client.logout()
        else:
            client.force_login(users[role])
        response = client.get(url, follow=True)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        checked += 1
        html = response.content.decode()
        ids = set(re.findall(r'\bid="([^"]+)"', html))
        for described in re.findall(r'aria-describedby="([^"]*)"', html):
            missing += [
                f"{role} {url}: aria-describedby names #{i}" for i in described.split() if i not in ids
            ]
        missing += [
            f"{role} {url}: <label for> names #{i}"
            for i in re.findall(r'<label for="([^"]*)"', html)
            if i not in ids
        ]
    assert checked >= 60
    assert not missing, "\n".join(sorted(set(missing)))
