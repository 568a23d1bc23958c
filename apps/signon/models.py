"""Who may join ccgtrack through single sign-on without an invitation."""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from apps.core.history.tracking import raise_version, track_changes
from apps.core.models import TimeStampedModel
from apps.organisations.models import Membership, Organisation

# The roles a domain may give: an organisation administrator is always a named person, invited.
DOMAIN_ROLES = (Membership.Role.GOVERNING_BODY, Membership.Role.STAFF)


@track_changes()
class AllowedDomain(TimeStampedModel):
    """An email domain whose people may sign on without an invitation: the first time a person
    with a verified address in ``domain`` signs on, they get an account and ``role`` at
    ``organisation``. Allowed by that organisation's administrators (apps/signon/services.py);
    withdrawn, never deleted, so the audit trail keeps who allowed whom."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="allowed_domains")
    domain = models.CharField(
        "Email domain", max_length=253, help_text="The part of the address after @, e.g. dorsetccg.nhs.uk."
    )
    role = models.CharField(max_length=20, choices=Membership.Role.choices)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(
        default=1, help_text="Raised by PostgreSQL on every update; guards concurrent edits."
    )

    class Meta:
        ordering = ["domain", "pk"]
        constraints = [
            # One organisation takes a domain's newcomers: two would make their first sign-on ambiguous.
            models.UniqueConstraint(
                Lower("domain"),
                condition=Q(withdrawn_at__isnull=True),
                name="allowed_domain_once",
                violation_error_message="Another organisation already allows this domain.",
            ),
            models.CheckConstraint(
                condition=Q(role__in=DOMAIN_ROLES),
                name="allowed_domain_role",
                violation_error_message="A domain gives the role of staff or governing-body member.",
            ),
        ]
        triggers = [raise_version()]

    def __str__(self):
        return f"{self.domain} ({self.get_role_display()}, {self.organisation})"
