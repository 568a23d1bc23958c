"""The benchmark's data: every CCG in England with an OD plan (`make bench SCALE=national`), or
the seed with 5,000 generated deliverables in Dorset (`make bench`), and the people who read it.

National scale:

212 CCGs under the 27 local area teams, each with a 120-deliverable plan (10 themes of 12),
about 28 risks, a staff member who owns its deliverables and risks, and 1,000,000 history rows
(500,000 status updates and 500,000 audit-trail events). Generated reproducibly: Python's
random with a fixed seed for the rows made in Python, PostgreSQL's setseed() for the history
rows, which are made in SQL (INSERT ... SELECT) because a million ORM saves would take minutes."""

import datetime
import random

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from apps.organisations.models import Membership, Organisation
from apps.plans.models import (
    AuthorisationDomain,
    Deliverable,
    ODPlan,
    SelfAssessment,
    SelfAssessmentScore,
    Theme,
)
from apps.risks.models import Risk

CCGS = 212
THEMES_PER_PLAN = 10
DELIVERABLES_PER_THEME = 12
RISKS_PER_CCG = 28
HISTORY_PER_DELIVERABLE = 20  # status updates; as many audit events again
STATUSES = list(Deliverable.Status.values)
WORDS = (
    "engagement governance leadership commissioning clinical locality membership partnership quality "
    "assurance workforce development patients public stakeholder finance strategy intelligence"
).split()


def _text(rng, words):
    return " ".join(rng.choice(WORDS) for _ in range(words))


def vacuum():
    """As autovacuum leaves the tables after many inserts: statistics, and the visibility map
    that lets counts and sorts read an index alone (outside any transaction, or on commit)."""

    def run():
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

    transaction.on_commit(run)


@transaction.atomic
def generate(seed=2012):
    """Create the national data set; returns a dict of what was made."""
    rng = random.Random(seed)
    today = timezone.localdate()
    lats = list(Organisation.objects.filter(kind=Organisation.Kind.LAT).order_by("pk"))
    ccgs = Organisation.objects.bulk_create(
        Organisation(
            kind=Organisation.Kind.CCG,
            name=f"NHS Generated {n} CCG",
            slug=f"nhs-generated-{n}-ccg",
            parent=lats[n % len(lats)],
            position=n,
        )
        for n in range(1, CCGS + 1)
    )
    User = get_user_model()
    owners = User.objects.bulk_create(
        User(username=f"bench.owner.{n}", first_name="Owner", last_name=f"{n}") for n in range(1, CCGS + 1)
    )
    Membership.objects.bulk_create(
        Membership(user=owner, organisation=ccg, role=Membership.Role.STAFF)
        for owner, ccg in zip(owners, ccgs, strict=True)
    )
    plans = ODPlan.objects.bulk_create(
        ODPlan(organisation=ccg, title=f"{ccg.name} OD plan", period_label="2013-2018") for ccg in ccgs
    )
    themes = Theme.objects.bulk_create(
        Theme(plan=plan, number=n, title=f"Theme {n}: {_text(rng, 5)}")
        for plan in plans
        for n in range(1, THEMES_PER_PLAN + 1)
    )
    owner_of_plan = {plan.pk: owner for plan, owner in zip(plans, owners, strict=True)}
    deliverables = Deliverable.objects.bulk_create(
        Deliverable(
            theme=theme,
            position=position,
            title=f"{theme.number}.{position} {_text(rng, 12)}",
            status=rng.choice(STATUSES),
            deadline=today + datetime.timedelta(days=rng.randint(-900, 400)),
            owner=owner_of_plan[theme.plan_id] if rng.random() < 0.5 else None,
            delivered_narrative=_text(rng, 40),
            in_progress_narrative=_text(rng, 40),
            cost_amount=rng.choice([None, None, None, 500, 2000, 10000]),
        )
        for theme in themes
        for position in range(1, DELIVERABLES_PER_THEME + 1)
    )
    domains = list(AuthorisationDomain.objects.all())
    through = Deliverable.domains.through
    through.objects.bulk_create(
        through(deliverable_id=d.pk, authorisationdomain_id=domain.pk)
        for d in deliverables
        for domain in rng.sample(domains, rng.randint(1, 3))
    )
    # Each CCG's self-assessment against the six domains, as the seed's CCGs made them (the
    # board report and the dashboard read the latest: at seed scale Darlington has one).
    assessments = SelfAssessment.objects.bulk_create(
        SelfAssessment(organisation=ccg, assessed_on=today - datetime.timedelta(days=90), assessed_label="Q3")
        for ccg in ccgs
    )
    SelfAssessmentScore.objects.bulk_create(
        SelfAssessmentScore(assessment=assessment, domain=domain, score_percent=rng.randint(20, 95))
        for assessment in assessments
        for domain in domains
    )
    risks = []
    for ccg, owner in zip(ccgs, owners, strict=True):
        for n in range(1, RISKS_PER_CCG + 1):
            severity, likelihood = rng.randint(1, 5), rng.randint(1, 5)
            risks.append(
                Risk(
                    organisation=ccg,
                    reference=f"R{n}",
                    category="Organisational readiness",
                    description=_text(rng, 20),
                    severity=severity,
                    likelihood=likelihood,
                    residual_severity=rng.randint(1, severity),
                    residual_likelihood=rng.randint(1, likelihood),
                    owner=owner if rng.random() < 0.5 else None,
                    next_review_on=today + datetime.timedelta(days=rng.randint(-60, 120)),
                )
            )
    Risk.objects.bulk_create(risks)
    history = _history()
    vacuum()
    return {
        "ccgs": len(ccgs),
        "deliverables": len(deliverables),
        "risks": len(risks),
        "status_updates": history[0],
        "audit_events": history[1],
    }


def _history():
    """Status updates and audit-trail events for every generated deliverable, made in SQL."""
    StatusUpdate = apps.get_model("plans", "StatusUpdate")
    Event = apps.get_model("plans", "DeliverableEvent")
    tracked = [f.column for f in Event._meta.concrete_fields if not f.name.startswith("pgh_")]
    statuses = "ARRAY[" + ", ".join(f"'{s}'" for s in STATUSES) + "]"
    # Each update by the CCG's member of staff (nine in ten: the rest as an import or the seed
    # would leave them, with no author), as people's updates are what "not updated" counts.
    generated = (
        "SELECT d.id, (SELECT m.user_id FROM organisations_membership m WHERE m.organisation_id = "
        "p.organisation_id AND m.role = 'staff' ORDER BY m.id LIMIT 1) AS author "
        "FROM plans_deliverable d JOIN plans_theme t ON t.id = d.theme_id "
        "JOIN plans_odplan p ON p.id = t.plan_id WHERE p.title LIKE 'NHS Generated %'"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.2012)")
        cursor.execute(
            f"""
            INSERT INTO {StatusUpdate._meta.db_table}
                (deliverable_id, created_at, created_by_id, from_status, to_status, note)
            SELECT d.id,
                   now() - (random() * interval '730 days'),
                   CASE WHEN random() < 0.9 THEN d.author END,
                   ({statuses})[1 + floor(random() * {len(STATUSES)})::int],
                   ({statuses})[1 + floor(random() * {len(STATUSES)})::int],
                   'Generated progress note.'
            FROM ({generated}) d CROSS JOIN generate_series(1, {HISTORY_PER_DELIVERABLE})
            """
        )
        updates = cursor.rowcount
        columns = ", ".join(f'"{c}"' for c in tracked)
        cursor.execute(
            f"""
            INSERT INTO {Event._meta.db_table} ({columns}, pgh_created_at, pgh_label, pgh_obj_id)
            SELECT {", ".join(f'd."{c}"' for c in tracked)},
                   now() - (random() * interval '730 days'), 'update', d.id
            FROM plans_deliverable d CROSS JOIN generate_series(1, {HISTORY_PER_DELIVERABLE})
            WHERE d.id IN (SELECT id FROM ({generated}) g)
            """
        )
        events = cursor.rowcount
    return updates, events


def generate_seed_scale(deliverables=5000, history=50000, risks=500, seed=2012):
    """Seed scale: 5,000 generated deliverables, 50,000 history rows and 500 risks in Dorset."""
    from apps.plans.models import StatusUpdate

    rng = random.Random(seed)
    dorset = Organisation.objects.get(slug="nhs-dorset-ccg")
    plan = ODPlan.objects.create(
        organisation=dorset, title="Generated plan (benchmark)", period_label="2020-2027"
    )
    themes = [Theme.objects.create(plan=plan, number=n, title=f"Generated theme {n}") for n in range(1, 11)]
    today = timezone.localdate()
    made = Deliverable.objects.bulk_create(
        Deliverable(
            theme=themes[i % len(themes)],
            position=i // len(themes) + 1,
            title=f"Generated deliverable {i}: strengthen engagement and governance",
            status=rng.choice(STATUSES),
            deadline=today + datetime.timedelta(days=rng.randint(-900, 400)),
            in_progress_narrative="Generated narrative for benchmarking.",
            cost_amount=rng.choice([None, None, 500, 2000]),
        )
        for i in range(deliverables)
    )
    user = get_user_model().objects.create(username="bench.seed.owner")
    Membership.objects.create(user=user, organisation=dorset, role=Membership.Role.STAFF)
    start = timezone.now() - datetime.timedelta(days=730)
    StatusUpdate.objects.bulk_create(
        StatusUpdate(
            deliverable=rng.choice(made),
            created_by=user,
            created_at=start + datetime.timedelta(minutes=rng.randint(0, 730 * 24 * 60)),
            from_status=rng.choice(STATUSES),
            to_status=rng.choice(STATUSES),
            note="Generated progress note.",
        )
        for _ in range(history)
    )
    Risk.objects.bulk_create(
        Risk(
            organisation=dorset,
            reference=f"B{i}",
            description=f"Generated risk {i}",
            severity=(s := rng.randint(1, 5)),
            likelihood=(lik := rng.randint(1, 5)),
            residual_severity=rng.randint(1, s),
            residual_likelihood=rng.randint(1, lik),
            next_review_on=today + datetime.timedelta(days=rng.randint(-60, 120)),
        )
        for i in range(risks)
    )
    vacuum()


# --- Who reads it ------------------------------------------------------------------------------

ROLES = ("administrator", "CCG staff", "board member", "LAT member")


def place_of(ccg_slug):
    """A CCG with a plan, its LAT and region, its plan and a deliverable of it."""
    ccg = Organisation.objects.select_related("parent__parent").get(slug=ccg_slug)
    plan = ODPlan.objects.filter(organisation=ccg).order_by("pk").first()
    deliverable = Deliverable.objects.current().filter(theme__plan=plan).order_by("pk").first()
    lat = ccg.parent
    assert lat is not None and lat.parent is not None, f"{ccg_slug} is not beneath a LAT and a region"
    return {"ccg": ccg, "lat": lat, "region": lat.parent, "plan": plan, "deliverable": deliverable}


def role_users(place, tag):
    """One user per role, reading ``place``: an administrator, staff and a board member of the
    CCG, a board member of its LAT."""
    User = get_user_model()
    admin, _ = User.objects.get_or_create(
        username="bench.admin", defaults={"is_superuser": True, "is_staff": True, "first_name": "Bench"}
    )
    users = {"administrator": admin}
    for role, username, organisation, kind in (
        ("CCG staff", f"bench.staff.{tag}", place["ccg"], Membership.Role.STAFF),
        ("board member", f"bench.board.{tag}", place["ccg"], Membership.Role.GOVERNING_BODY),
        ("LAT member", f"bench.lat.{tag}", place["lat"], Membership.Role.GOVERNING_BODY),
    ):
        user, _ = User.objects.get_or_create(username=username, defaults={"first_name": role.title()})
        Membership.objects.get_or_create(user=user, organisation=organisation, defaults={"role": kind})
        users[role] = user
    return users


def pages_of(place):
    """(label, address, roles that may read it, budget in ms as computed in process): a CCG's
    pages at most 150 ms, a roll-up or the national dashboard at most 400 ms (issue 20)."""
    everyone = ROLES
    ccg, plan = place["ccg"], place["plan"]
    return [
        ("CCG dashboard", f"/dashboard/{ccg.slug}/", everyone, 150),
        ("deliverables list", "/deliverables/", everyone, 150),
        ("deliverables, status filter", "/deliverables/?status=in_progress", everyone, 150),
        ("deliverables within the CCG", f"/deliverables/?within={ccg.pk}", everyone, 150),
        ("deliverables, text search", "/deliverables/?q=engagement", everyone, 150),
        ("risk register", "/risks/", everyone, 150),
        ("heat map", "/risks/heatmap/", everyone, 150),
        ("plan page", plan.get_absolute_url(), everyone, 150),
        ("a deliverable", place["deliverable"].get_absolute_url(), everyone, 150),
        ("board report", f"/plans/{plan.pk}/report/", everyone, 150),
        ("LAT roll-up", f"/dashboard/{place['lat'].slug}/", ("administrator", "LAT member"), 400),
        ("region roll-up", f"/dashboard/{place['region'].slug}/", ("administrator",), 400),
        ("NHS CB roll-up", "/dashboard/nhs-commissioning-board/", ("administrator",), 400),
        ("national dashboard", "/dashboard/", ("administrator",), 400),
    ]


def people(count):
    """``count`` people for the load run, half staff and half board members of generated CCGs
    (the CCGs' owners are their staff): [(user, role, ccg, plan, deliverable pks)]."""
    User = get_user_model()
    ccgs = list(Organisation.objects.filter(slug__startswith="nhs-generated-").order_by("position")[:count])
    found = []
    for n, ccg in enumerate(ccgs):
        if n % 2 == 0:
            # The CCG's owner: its first member of staff.
            user = Membership.objects.filter(organisation=ccg, role=Membership.Role.STAFF).earliest("pk").user
            role = "CCG staff"
        else:
            user, _ = User.objects.get_or_create(username=f"bench.people.board.{n}")
            Membership.objects.get_or_create(
                user=user, organisation=ccg, defaults={"role": Membership.Role.GOVERNING_BODY}
            )
            role = "board member"
        plan = ODPlan.objects.filter(organisation=ccg).first()
        ids = list(Deliverable.objects.current().filter(theme__plan=plan).values_list("pk", flat=True))
        found.append((user, role, ccg, plan, ids))
    return found
