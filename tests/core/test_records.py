"""Staff record what they find, through the one edit path (issue 19, item 3): every write the
product's pages offer (add, correct, archive and restore a risk or a deliverable; add and edit
a theme or an objective; record and edit a self-assessment) is made by the owning
organisation's staff and organisation administrators, refused to another organisation's staff,
governing-body members and anonymous users with nothing changed, refused on an old version with
the conflict page, and refused on bad input with the form's errors and nothing half-saved."""

from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from pghistory.models import Context

from apps.organisations.models import Membership, Organisation
from apps.plans.models import (
    Deliverable,
    Objective,
    ODPlan,
    SelfAssessment,
    SelfAssessmentScore,
    StatusUpdate,
    Theme,
)
from apps.risks.models import Risk, RiskReview
from tests.factories import MembershipFactory, UserFactory, domain_pks

pytestmark = pytest.mark.django_db

DORSET, DARLINGTON = "nhs-dorset-ccg", "nhs-darlington-ccg"
TABLES = (Deliverable, Risk, Theme, Objective, SelfAssessment, SelfAssessmentScore, StatusUpdate, RiskReview)


def _org(slug):
    return Organisation.objects.get(slug=slug)


def _plan(slug):
    return ODPlan.objects.get(organisation__slug=slug)


def _theme(slug):
    return _plan(slug).themes.order_by("number").first()


def _deliverable(slug, archived=False):
    found = Deliverable.objects.filter(theme__plan__organisation__slug=slug, archived_at__isnull=not archived)
    return found.order_by("pk").first()


def _risk(slug, archived=False):
    found = Risk.objects.filter(organisation__slug=slug, archived_at__isnull=not archived)
    return found.order_by("pk").first()


def _archive(obj):
    """An archived record to restore, archived through its own path by an administrator."""
    type(obj).objects.filter(pk=obj.pk).update(archived_at=timezone.now())
    obj.refresh_from_db()
    return obj


@dataclass
class Write:
    """A write of the product: the organisation that owns it, the page it is posted to and the
    valid data (both from the seed, read when the test runs), and the record it changes (None
    when it adds one)."""

    name: str
    owner: str
    url: Callable[[], str]
    data: Callable[[], dict]
    target: Callable[[], Any] | None = None


def _risk_details(risk):
    return {
        "reference": risk.reference,
        "description": risk.description + " (reworded)",
        "category": risk.category,
        "plan": risk.plan_id or "",
        "domains": [d.pk for d in risk.domains.all()],
        "note": "Reworded after the audit committee.",
        "version": risk.version,
    }


def _deliverable_details(d):
    return {
        "title": d.title + " (reworded)",
        "subheading": d.subheading,
        "owner": "",
        "deadline": "2027-03-31",
        "domains": [dom.pk for dom in d.domains.all()],
        "methods": d.methods,
        "source": d.source,
        "cost_text": d.cost_text,
        "cost_amount": d.cost_amount if d.cost_amount is not None else "",
        "comments": d.comments,
        "note": "Deadline agreed with the lead.",
        "version": d.version,
    }


def _scores(**given):
    return {f"score_{n}": given.get(f"score_{n}", 50 + n) for n in range(1, 7)}


NEW_RISK = {
    "reference": "R1",
    "description": "Key clinical leaders leave before authorisation",
    "category": "Workforce",
    "severity": "4",
    "likelihood": "3",
    "mitigation": "Succession plans for each clinical lead.",
    "residual_severity": "3",
    "residual_likelihood": "2",
    "owner": "",
    "next_review_on": "2027-01-31",
    "note": "Raised at the governing body seminar.",
}

WRITES = [
    Write(
        "risk_create",
        DORSET,
        lambda: reverse("risks:risk_create", args=[DORSET]),
        lambda: {**NEW_RISK, "domains": domain_pks(4, 6), "plan": _plan(DORSET).pk},
    ),
    Write(
        "risk_edit",
        DARLINGTON,
        lambda: reverse("risks:risk_edit", args=[_risk(DARLINGTON).pk]),
        lambda: _risk_details(_risk(DARLINGTON)),
        lambda: _risk(DARLINGTON),
    ),
    Write(
        "risk_archive",
        DARLINGTON,
        lambda: reverse("risks:risk_archive", args=[_risk(DARLINGTON).pk]),
        lambda: {"note": "Merged into R2.", "version": _risk(DARLINGTON).version},
        lambda: _risk(DARLINGTON),
    ),
    Write(
        "risk_restore",
        DARLINGTON,
        lambda: reverse("risks:risk_restore", args=[_risk(DARLINGTON, archived=True).pk]),
        lambda: {"note": "Archived by mistake.", "version": _risk(DARLINGTON, archived=True).version},
        lambda: _risk(DARLINGTON, archived=True),
    ),
    Write(
        "deliverable_create",
        DORSET,
        lambda: reverse("plans:deliverable_create", args=[_plan(DORSET).pk]),
        lambda: {
            "theme": _theme(DORSET).pk,
            "title": "Hold a governing body development day",
            "status": "not_started",
            "deadline": "2027-06-30",
            "domains": domain_pks(6),
            "note": "Agreed at the Executive.",
        },
    ),
    Write(
        "deliverable_edit",
        DORSET,
        lambda: reverse("plans:deliverable_edit", args=[_deliverable(DORSET).pk]),
        lambda: _deliverable_details(_deliverable(DORSET)),
        lambda: _deliverable(DORSET),
    ),
    Write(
        "deliverable_archive",
        DORSET,
        lambda: reverse("plans:deliverable_archive", args=[_deliverable(DORSET).pk]),
        lambda: {"note": "Replaced by 2.4.", "version": _deliverable(DORSET).version},
        lambda: _deliverable(DORSET),
    ),
    Write(
        "deliverable_restore",
        DORSET,
        lambda: reverse("plans:deliverable_restore", args=[_deliverable(DORSET, archived=True).pk]),
        lambda: {"note": "Still needed.", "version": _deliverable(DORSET, archived=True).version},
        lambda: _deliverable(DORSET, archived=True),
    ),
    Write(
        "theme_create",
        DORSET,
        lambda: reverse("plans:theme_create", args=[_plan(DORSET).pk]),
        lambda: {"number": 42, "title": "Working with the local authority", "description": "", "note": ""},
    ),
    Write(
        "theme_edit",
        DORSET,
        lambda: reverse("plans:theme_edit", args=[_theme(DORSET).pk]),
        lambda: {
            "number": _theme(DORSET).number,
            "title": _theme(DORSET).title + " and culture",
            "description": _theme(DORSET).description,
            "note": "Renamed by the OD group.",
            "version": _theme(DORSET).version,
        },
        lambda: _theme(DORSET),
    ),
    Write(
        "objective_create",
        DORSET,
        lambda: reverse("plans:objective_create", args=[_theme(DORSET).pk]),
        lambda: {"text": "Every member of staff has an appraisal by March.", "note": ""},
    ),
    Write(
        "objective_edit",
        DORSET,
        lambda: reverse("plans:objective_edit", args=[_theme(DORSET).objectives.first().pk]),
        lambda: {
            "text": "A corrected objective.",
            "note": "Typo.",
            "version": _theme(DORSET).objectives.first().version,
        },
        lambda: _theme(DORSET).objectives.first(),
    ),
    Write(
        "self_assessment_create",
        DORSET,
        lambda: reverse("plans:self_assessment_create", args=[DORSET]),
        lambda: {
            "assessed_label": "2014",
            "assessed_on": "2014-03-31",
            "tool": "",
            "notes": "Our first scored self-assessment.",
            "note": "",
            **_scores(),
        },
    ),
    Write(
        "self_assessment_edit",
        DARLINGTON,
        lambda: reverse(
            "plans:self_assessment_edit", args=[SelfAssessment.objects.get(organisation__slug=DARLINGTON).pk]
        ),
        lambda: {
            "assessed_label": "2011",
            "assessed_on": "",
            "tool": "PWC diagnostic tool",
            "notes": SelfAssessment.objects.get(organisation__slug=DARLINGTON).notes,
            "note": "Domain 2 re-scored.",
            "version": SelfAssessment.objects.get(organisation__slug=DARLINGTON).version,
            **_scores(score_1=32, score_2=45, score_3=30, score_4=24, score_5=40, score_6=34),
        },
        lambda: SelfAssessment.objects.get(organisation__slug=DARLINGTON),
    ),
]
WRITE_IDS = [w.name for w in WRITES]


@pytest.fixture(autouse=True)
def archived_records(db):
    """An archived risk of Darlington and an archived deliverable of Dorset, for the restores
    (not the records the other writes change)."""
    risks = Risk.objects.filter(organisation__slug=DARLINGTON).order_by("-pk")
    _archive(risks.first())
    _archive(Deliverable.objects.filter(theme__plan__organisation__slug=DORSET).order_by("-pk").first())


def _member(username, slug, role):
    user = UserFactory(username=username)
    MembershipFactory(user=user, organisation=_org(slug), role=role)
    return user


def _user(kind, write):
    """staff / orgadmin / board of the owning organisation, other (staff of the other CCG)."""
    other = DARLINGTON if write.owner == DORSET else DORSET
    return {
        "staff": lambda: _member("w.staff", write.owner, Membership.Role.STAFF),
        "orgadmin": lambda: _member("w.orgadmin", write.owner, Membership.Role.ORG_ADMIN),
        "board": lambda: _member("w.board", write.owner, Membership.Role.GOVERNING_BODY),
        "other": lambda: _member("w.other", other, Membership.Role.STAFF),
        "anonymous": lambda: None,
    }[kind]()


def _state(write):
    """What a refused write must leave exactly as it was: the rows of every table a write
    reaches, the audit trail's contexts, and the record it aims at."""
    counts = {model.__name__: model.objects.count() for model in TABLES}
    counts["audit contexts"] = Context.objects.count()
    target = write.target() if write.target else None
    if target is not None:
        target.refresh_from_db()
        counts["target"] = {f.attname: getattr(target, f.attname) for f in target._meta.concrete_fields}
    return counts


@pytest.mark.parametrize("who", ["staff", "orgadmin"])
@pytest.mark.parametrize("write", WRITES, ids=WRITE_IDS)
def test_the_owning_organisations_staff_and_administrators_make_every_write(client, write, who):
    user = _user(who, write)
    client.force_login(user)
    url, data = write.url(), write.data()
    assert client.get(url).status_code == HTTPStatus.OK
    before = Context.objects.count()
    response = client.post(url, data)
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[-2000:]
    # One audited write, made by this user through the form.
    context = Context.objects.order_by("-created_at").first()
    assert Context.objects.count() == before + 1
    assert context.metadata["user"] == user.pk and context.metadata["via"] == "form"
    assert context.metadata.get("note", "") == data["note"]


@pytest.mark.parametrize("who", ["other", "board", "anonymous"])
@pytest.mark.parametrize("write", WRITES, ids=WRITE_IDS)
def test_everyone_else_is_refused_and_nothing_changes(client, write, who):
    user = _user(who, write)
    if user is not None:
        client.force_login(user)
    url, data = write.url(), write.data()
    before = _state(write)
    get, post = client.get(url), client.post(url, data)
    if user is None:  # signed out: to the login page
        assert get.status_code == post.status_code == HTTPStatus.FOUND
        assert post["Location"].startswith(reverse("login"))
    elif who == "board":  # reads the organisation, changes nothing
        assert get.status_code == post.status_code == HTTPStatus.FORBIDDEN
    else:  # another organisation: its pages are refused, its records are not found
        assert get.status_code == post.status_code
        assert post.status_code in (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND)
    assert _state(write) == before


@pytest.mark.parametrize("write", [w for w in WRITES if w.target], ids=[w.name for w in WRITES if w.target])
def test_a_form_opened_before_someone_elses_save_gets_the_conflict_page(client, write):
    user = _user("staff", write)
    client.force_login(user)
    url, data = write.url(), write.data()
    target = write.target()
    type(target).objects.filter(pk=target.pk).update(version=target.version)  # someone saved
    before = _state(write)
    response = client.post(url, data)
    assert response.status_code == HTTPStatus.CONFLICT
    html = response.content.decode()
    assert 'id="version-conflict"' in html and 'id="submitted-values"' in html
    assert data["note"] in html  # what they typed is shown, not lost
    assert _state(write) == before


BAD_INPUT = [
    ("risk_create", {"description": ""}, "description"),
    ("risk_create", {"note": ""}, "note"),
    ("risk_create", {"residual_severity": "5", "residual_likelihood": "5"}, None),  # residual above inherent
    ("risk_create", {"severity": "9"}, "severity"),
    ("risk_edit", {"description": ""}, "description"),
    ("risk_edit", {"note": ""}, "note"),
    ("risk_archive", {"note": ""}, "note"),
    ("deliverable_create", {"title": ""}, "title"),
    ("deliverable_create", {"note": ""}, "note"),
    ("deliverable_create", {"deadline": "1999-12-31"}, "deadline"),
    ("deliverable_create", {"cost_amount": "-5"}, "cost_amount"),
    ("deliverable_edit", {"title": ""}, "title"),
    ("theme_create", {"number": 1}, None),  # the plan has a theme 1
    ("theme_create", {"title": ""}, "title"),
    ("objective_create", {"text": ""}, "text"),
    ("self_assessment_create", {"score_3": "120"}, "score_3"),
    ("self_assessment_create", {"score_3": ""}, "score_3"),
    ("self_assessment_create", {"assessed_label": ""}, "assessed_label"),
    ("self_assessment_edit", {"score_2": "-1"}, "score_2"),
]


@pytest.mark.parametrize(
    ("name", "bad", "field"), BAD_INPUT, ids=[f"{n}-{next(iter(b))}" for n, b, _ in BAD_INPUT]
)
def test_bad_input_gets_the_forms_errors_and_nothing_is_saved(client, name, bad, field):
    write = next(w for w in WRITES if w.name == name)
    client.force_login(_user("staff", write))
    before = _state(write)
    response = client.post(write.url(), {**write.data(), **bad})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    form = response.context["form"]
    assert form.errors[field or "__all__"]
    assert "Nothing was saved" in response.content.decode()
    assert _state(write) == before


def test_board_members_see_no_control_to_add_edit_or_archive(client):
    board = _member("w.board", DORSET, Membership.Role.GOVERNING_BODY)
    MembershipFactory(user=board, organisation=_org(DARLINGTON), role=Membership.Role.GOVERNING_BODY)
    client.force_login(board)
    pages = [
        reverse("risks:risk_list"),
        _risk(DARLINGTON).get_absolute_url(),
        reverse("plans:deliverable_list"),
        _deliverable(DORSET).get_absolute_url(),
        _plan(DORSET).get_absolute_url(),
        reverse("plans:self_assessment", args=[DARLINGTON]),
    ]
    for url in pages:
        html = client.get(url).content.decode()
        for words in ("Add a", "Edit details", "Archive", "Record a new", "Edit theme", "/edit/", "/new/"):
            assert words not in html, f"{url} offers a governing-body member {words!r}"
    assert client.get(reverse("risks:risk_archived")).status_code == HTTPStatus.FORBIDDEN
    assert client.get(reverse("plans:deliverable_archived")).status_code == HTTPStatus.FORBIDDEN
