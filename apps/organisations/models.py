"""The NHS commissioning landscape: who the organisations are and how they nest."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone

from apps.core.history.tracking import append_only, track_changes
from apps.core.models import NaturalKeyManager, TimeStampedModel

# national > region > local area team > CCG > CCG cluster > locality > practice: six parent
# links at most. Walking a fixed number of joins keeps "everything beneath" one query with no
# stored path to keep in step (fixtures load with raw saves, which would skip such upkeep).
MAX_DEPTH = 7


def _beneath(prefix: str, ids) -> Q:
    """Q matching organisations whose own pk, or one of whose ancestors' pks, is in ``ids``."""
    q = Q(**{f"{prefix}pk__in": ids})
    path = prefix
    for _ in range(MAX_DEPTH - 1):
        path += "parent__"
        q |= Q(**{f"{path}pk__in": ids})
    return q


class Scope(list):
    """Organisation pks, read now (``beneath_ids``). ``everything``: they were every organisation
    there is, when read, so that a filter to them leaves out no row that has an organisation
    (the NHS CB's roll-up: ``apps.organisations.filters.within``)."""

    everything = False


class OrganisationQuerySet(models.QuerySet):
    def beneath(self, ids):
        """The organisations ``ids`` (pks or a subquery of pks) and everything beneath them."""
        return self.filter(_beneath("", ids))

    def beneath_ids(self, ids) -> list[int]:
        """The pks of ``beneath(ids)``, read now. Filtering big tables by this list lets
        PostgreSQL use the organisation early; as a subquery (an OR over a self-join) the planner
        scans and filters last (`make bench SCALE=national`: 150 ms against 6 ms for one query).
        The same query counts every organisation there is, to tell ``Scope.everything``."""
        every = RawSQL(f'SELECT COUNT(*) FROM "{self.model._meta.db_table}"', ())
        rows = list(
            self.beneath(ids).annotate(every_organisation=every).values_list("pk", "every_organisation")
        )
        scope = Scope(pk for pk, _every in rows)
        scope.everything = bool(rows) and len(rows) == rows[0][1]
        return scope

    def of_kind(self, *kinds):
        return self.filter(kind__in=kinds)


def subtree(pk: int) -> Scope:
    """The pks of the organisation ``pk`` and everything beneath it (``beneath_ids``), kept in
    the cache until the organisations change: their tree is GLOBAL data (apps/core/freshness.py,
    a write to it gives every cached value a new key). The tree's query (a self-join a level,
    the costliest query of a list filtered to an organisation) is then not asked again on every
    page that names the organisation: each list a dashboard links to, the dashboard itself."""
    from apps.core.freshness import cached

    return cached("subtree", (pk,), lambda: Organisation.objects.beneath_ids([pk]), scopes=())


_OrganisationManagerBase = models.Manager.from_queryset(OrganisationQuerySet)


class OrganisationManager(_OrganisationManagerBase):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class SpecialisedHub(models.Model):
    """One of the NHS CB's 10 specialised commissioning hubs, hosted by one or more LATs."""

    name = models.CharField(max_length=120, unique=True)
    position = models.PositiveSmallIntegerField(default=0)
    notes = models.TextField(blank=True)

    natural_key_field = "name"
    objects = NaturalKeyManager()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.name,)


class Function(models.Model):
    """A function or direct commissioning responsibility a local area team carries."""

    class Category(models.TextChoices):
        CORE = "core", "Core function"
        DIRECT_COMMISSIONING = "direct", "Direct commissioning responsibility"

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=10, choices=Category.choices)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    natural_key_field = "code"
    objects = NaturalKeyManager()

    class Meta:
        ordering = ["category", "position"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.code,)


class HealthAndWellbeingBoard(models.Model):
    """A local authority's health and wellbeing board, which CCGs sit on."""

    name = models.CharField(max_length=200, unique=True)

    natural_key_field = "name"
    objects = NaturalKeyManager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.name,)


class Organisation(TimeStampedModel):
    """Any commissioning organisation: the NHS CB, a region, LAT, PCT cluster, CCG, cluster,
    locality or practice. Kind-specific figures sit in nullable columns."""

    class Kind(models.TextChoices):
        NATIONAL = "national", "National body"
        REGION = "region", "Region"
        LAT = "lat", "Local area team"
        PCT_CLUSTER = "pct_cluster", "PCT cluster"
        CCG = "ccg", "Clinical commissioning group"
        CCG_CLUSTER = "ccg_cluster", "CCG cluster"
        LOCALITY = "locality", "Locality"
        PRACTICE = "practice", "Member practice"
        CLINICAL_SENATE = "clinical_senate", "Clinical senate"

    kind = models.CharField(max_length=20, choices=Kind.choices, db_index=True)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120, unique=True)
    aliases = models.CharField(
        max_length=500,
        blank=True,
        help_text="Other spellings used in the source documents, separated by ';'.",
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Order among its siblings.")
    description = models.TextField(blank=True)

    # Local area team figures as published (population in thousands).
    population_thousands = models.PositiveIntegerField(null=True, blank=True)
    ccg_count = models.PositiveSmallIntegerField("CCGs", null=True, blank=True)
    hwb_count = models.PositiveSmallIntegerField("HWBs", null=True, blank=True)
    specialised_hub = models.ForeignKey(
        SpecialisedHub, null=True, blank=True, on_delete=models.SET_NULL, related_name="lats"
    )
    functions = models.ManyToManyField(Function, blank=True, related_name="organisations")
    # PCT clusters map to one or more LATs (West Mercia maps to two).
    mapped_lats = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="pct_clusters", limit_choices_to={"kind": "lat"}
    )

    # CCG figures.
    population = models.PositiveIntegerField(null=True, blank=True)
    population_note = models.CharField(max_length=200, blank=True)
    member_practice_count = models.PositiveSmallIntegerField(null=True, blank=True)
    pct_cluster = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ccgs",
        limit_choices_to={"kind": "pct_cluster"},
    )
    commissioning_support = models.CharField(max_length=200, blank=True)
    health_and_wellbeing_boards = models.ManyToManyField(
        HealthAndWellbeingBoard, blank=True, related_name="organisations"
    )
    source = models.CharField(max_length=300, blank=True, help_text="The document the figures come from.")

    objects = OrganisationManager()

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("pk")), name="organisation_not_own_parent"),
        ]
        indexes = [models.Index(fields=["kind", "position"])]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)

    def get_absolute_url(self):
        return reverse("organisations:organisation_detail", args=[self.slug])

    @property
    def population_per_ccg(self):
        """Thousands of people per CCG (LATs), derived from the published figures."""
        if self.population_thousands is None or not self.ccg_count:
            return None
        return round(self.population_thousands / self.ccg_count, 1)

    def ancestors(self):
        """Parents from the nearest up, walking the loaded chain (select_related it first)."""
        chain: list[Organisation] = []
        node = self.parent
        while node is not None and len(chain) < MAX_DEPTH:
            chain.append(node)
            node = node.parent
        return chain


class SupportTeamRole(models.Model):
    """A post in a team's skill mix, e.g. Dorset's locality support teams (role and AfC band)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="team_roles")
    title = models.CharField(max_length=200)
    band = models.CharField("Agenda for Change band", max_length=10)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["organisation", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "title"], name="team_role_unique_per_organisation"
            )
        ]

    def __str__(self):
        return f"{self.title} (Band {self.band})"


@track_changes()
class Membership(TimeStampedModel):
    """A user's role in an organisation; it reaches everything beneath that organisation."""

    class Role(models.TextChoices):
        STAFF = "staff", "Staff"
        GOVERNING_BODY = "governing_body", "Governing-body member"
        ORG_ADMIN = "org_admin", "Organisation administrator"

    # The roles are a ladder: each holds every right of the roles below it. A governing-body
    # member reads; staff also change the OD data; an organisation administrator also manages
    # the memberships. Whoever may grant a right can hand it to a second account of their own,
    # so managing people without holding staff rights would protect nothing: an organisation
    # administrator is staff too, and "never grant more than you hold" is a rank comparison.
    RANK: dict[str, int] = {Role.GOVERNING_BODY: 1, Role.STAFF: 2, Role.ORG_ADMIN: 3}
    EDITOR_ROLES = (Role.STAFF, Role.ORG_ADMIN)
    MANAGER_ROLES = (Role.ORG_ADMIN,)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        ordering = ["user", "organisation"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], name="membership_unique_user_organisation"
            )
        ]

    def __str__(self):
        return f"{self.user} – {self.get_role_display()}, {self.organisation}"


class MembershipChange(models.Model):
    """One change of who belongs to an organisation, as the people page shows it: who did it,
    when, to whom, and what (the role before and after). Written by the services in
    ``apps.organisations.services`` in the same transaction as the change; never edited. The row
    names the organisation and the user, not the membership, so it outlives a removed
    membership; where a membership row changed, ``audit_context`` links the PostgreSQL audit
    trail's event of the same change."""

    class Action(models.TextChoices):
        INVITED = "invited", "Invited"
        ADDED = "added", "Added (existing account)"
        INVITATION_RESENT = "invitation_resent", "Invitation sent again"
        INVITATION_ACCEPTED = "invitation_accepted", "Invitation accepted"
        JOINED_BY_DOMAIN = "joined_by_domain", "Joined by single sign-on (allowed email domain)"
        ROLE_CHANGED = "role_changed", "Role changed"
        REMOVED = "removed", "Membership removed"
        DEACTIVATED = "deactivated", "Account deactivated"
        REACTIVATED = "reactivated", "Account reactivated"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # PROTECT: the log is append-only (a trigger refuses UPDATE and DELETE), so a person or an
    # organisation it names cannot be deleted (people are deactivated instead).
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="membership_changes"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="membership_changes"
    )
    user_label = models.CharField(max_length=300, help_text="The person's name and email at the time.")
    action = models.CharField(max_length=30, choices=Action.choices)
    role_before = models.CharField(max_length=20, choices=Membership.Role.choices, blank=True)
    role_after = models.CharField(max_length=20, choices=Membership.Role.choices, blank=True)
    audit_context = models.ForeignKey(
        "pghistory.Context",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The audit-trail context of the same change, where a membership row changed.",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "-created_at"])]
        triggers = [append_only()]

    def __str__(self):
        return f"{self.get_action_display()}: {self.user_label}, {self.organisation_id}"
