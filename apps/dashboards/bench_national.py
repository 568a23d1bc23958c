"""National-scale data for `make bench SCALE=national`: every CCG in England with an OD plan.

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
from apps.plans.models import AuthorisationDomain, Deliverable, ODPlan, Theme
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
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
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
    generated = (
        "SELECT d.id FROM plans_deliverable d JOIN plans_theme t ON t.id = d.theme_id "
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
                   NULL,
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
            WHERE d.id IN ({generated})
            """
        )
        events = cursor.rowcount
    return updates, events
