"""Single sign-on's writes: the allowed domains (through the one edit path) and letting a
signed-on person in (matched to an account or an invitation, or joining by an allowed domain).

Who gets in (``sign_on``), by the verified address of apps/signon/claims.py, compared without
regard to case:

- the one active account with that address (an invited person who never signed in: their
  invitation is accepted, as setting a password would);
- no account: an account and a membership if an organisation allows the address's domain
  (``AllowedDomain``), with that domain's role;
- anyone else is refused with a message that says why, and nothing is written.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from apps.core.edits import Edit, VersionedEdit
from apps.organisations import permissions
from apps.organisations import services as people
from apps.organisations.models import Organisation

from .claims import domain_of
from .models import DOMAIN_ROLES, AllowedDomain

VIA = "single sign-on"


class SignOnRefused(Exception):
    """The person signed on at the provider but may not use ccgtrack; the message says why and
    what to do."""


def normalise_domain(value: str) -> str:
    return (value or "").strip().lstrip("@").strip().lower().rstrip(".")


class AllowedDomainEdit(VersionedEdit):
    """Allowing a domain and withdrawing it: organisation administrators of the domain's
    organisation (or above it) and administrators; a role no higher than staff and no higher
    than the acting user may give there; never a domain shared by many organisations."""

    model = AllowedDomain
    create_fields = ("organisation", "domain", "role")
    archive_field = "withdrawn_at"
    select_related = ("organisation",)

    def may_edit(self, user, obj) -> bool:
        return permissions.can_manage_people(user, obj.organisation)

    def authorise(self, user, obj) -> None:
        if not self.may_edit(user, obj):
            raise PermissionDenied(
                "Only an organisation administrator of this organisation may allow domains."
            )

    def check(self, edit: Edit) -> None:
        obj = edit.obj
        if not edit.created:
            if edit.value_before("withdrawn_at") is not None:
                raise ValidationError("This domain is already withdrawn.")
            if obj.withdrawn_at is None:
                raise ValidationError("A domain is withdrawn, never allowed again: allow it anew.")
            return
        obj.domain = normalise_domain(obj.domain)
        try:
            validate_email(f"someone@{obj.domain}")
        except ValidationError as error:
            raise ValidationError({"domain": "Enter a domain such as dorsetccg.nhs.uk."}) from error
        if obj.domain in settings.SHARED_EMAIL_DOMAINS:
            raise ValidationError(
                {
                    "domain": f"{obj.domain} is shared by people of many organisations: "
                    "invite its people one by one instead."
                }
            )
        if obj.role not in DOMAIN_ROLES or obj.role not in permissions.grantable_roles(
            edit.acting_user, obj.organisation
        ):
            raise ValidationError({"role": "Choose one of the roles offered."})


allowed_domain_edit = AllowedDomainEdit()


def allowed_domain_add(*, acting_user, organisation, domain, role, note="") -> AllowedDomain:
    """Let people of ``domain`` join ``organisation`` as ``role`` the first time they sign on."""
    try:
        return allowed_domain_edit.create(
            acting_user=acting_user,
            values={"organisation": organisation, "domain": normalise_domain(domain), "role": role},
            note=note or f"Allowed {normalise_domain(domain)}",
            via="people page",
        )
    except IntegrityError as error:  # the same domain allowed elsewhere at the same moment
        raise ValidationError({"domain": "Another organisation already allows this domain."}) from error


def allowed_domain_withdraw(*, acting_user, scope, pk, expected_version) -> AllowedDomain:
    """Stop newcomers of the domain joining (those who joined keep their accounts). The domain
    must be among those the acting user manages beneath ``scope`` (else DoesNotExist)."""
    if not in_scope(acting_user, scope).filter(pk=pk).exists():
        raise AllowedDomain.DoesNotExist("No such domain among those you manage here.")
    return allowed_domain_edit.set_archived(
        pk=pk,
        acting_user=acting_user,
        expected_version=expected_version,
        archived=True,
        note="Withdrawn",
        via="people page",
    )


def in_scope(acting_user, scope):
    """The allowed domains of organisations the acting user manages at ``scope`` or beneath it."""
    return AllowedDomain.objects.filter(
        organisation__in=permissions.manageable_organisations(acting_user)
    ).filter(organisation__in=Organisation.objects.beneath([scope.pk]).values("pk"))


# --- Letting a signed-on person in ------------------------------------------------------------


def sign_on(*, email: str, claims: dict[str, Any]):
    """The account that the verified ``email`` signs in to (see the module), or SignOnRefused."""
    User = get_user_model()
    with transaction.atomic():
        accounts = list(User.objects.select_for_update().filter(email__iexact=email)[:2])
        if len(accounts) > 1:
            raise SignOnRefused(
                f"Several ccgtrack accounts use the address {email}, so none was chosen: "
                "ask an administrator to keep one."
            )
        if accounts:
            user = accounts[0]
            if not user.is_active:
                raise SignOnRefused(
                    f"The ccgtrack account of {email} is deactivated: ask an organisation administrator."
                )
            if user.last_login is None and not user.has_usable_password():
                people.invitation_accept_by_sign_on(user=user)
            return user
        allowed = (
            AllowedDomain.objects.filter(domain=domain_of(email), withdrawn_at__isnull=True)
            .select_related("organisation")
            .first()
        )
    if allowed is None:
        raise SignOnRefused(
            f"You signed in as {email}, but nobody has invited that address to ccgtrack. "
            "Ask an organisation administrator to invite you, then sign in again."
        )
    try:
        membership = people.membership_join_by_domain(
            email=email,
            organisation=allowed.organisation,
            role=allowed.role,
            first_name=str(claims.get("given_name") or ""),
            last_name=str(claims.get("family_name") or ""),
            via=VIA,
        )
    except ValidationError as error:
        if User.objects.filter(email__iexact=email).exists():
            # The account was made between the two transactions (a second tab): sign in to it.
            return sign_on(email=email, claims=claims)
        raise SignOnRefused(f"No account could be made for {email}: {' '.join(error.messages)}") from error
    return membership.user
