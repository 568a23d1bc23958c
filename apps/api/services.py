"""Writes of personal access tokens: made by their owner (the secret shown once), revoked by
their owner, an organisation administrator of one of the owner's organisations, or an
administrator."""

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.organisations import permissions
from apps.organisations.models import Membership, Organisation

from .models import AccessToken, new_token, token_hash

# The lifetimes a token may be given, in days.
LIFETIMES = (30, 90, 180, 365)
# At most this many tokens of one person may be active at once.
ACTIVE_MAX = 20


def token_create(*, user: Any, name: str, scope: str, days: int) -> tuple[AccessToken, str]:
    """A new token of ``user``: (the token, its whole text). The text is returned once and never
    stored; only its SHA-256 is."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the token a name: what it is for."})
    if scope not in AccessToken.Scope.values:
        raise ValidationError({"scope": "Choose read only, or read and write."})
    if days not in LIFETIMES:
        raise ValidationError({"days": "Choose how long the token lasts."})
    if not (user and user.is_authenticated and user.is_active):
        raise PermissionDenied("Sign in to make a token.")
    with transaction.atomic():
        # One person's tokens are made one at a time: the count below stays true.
        get_user_model()._default_manager.select_for_update().filter(pk=user.pk).first()
        if AccessToken.objects.filter(user=user).active().count() >= ACTIVE_MAX:
            raise ValidationError(f"You have {ACTIVE_MAX} active tokens: revoke one before you make another.")
        text, prefix = new_token()
        now = timezone.now()
        token = AccessToken(
            user=user,
            name=name,
            prefix=prefix,
            secret_hash=token_hash(text),
            scope=scope,
            created_at=now,
            expires_at=now + datetime.timedelta(days=days),
        )
        token.full_clean()
        token.save()
    return token, text


def may_revoke(acting_user: Any, token: AccessToken) -> bool:
    """The token's owner, an administrator, or an organisation administrator who manages one of
    the organisations the owner belongs to (not an administrator's tokens: those are left to
    administrators)."""
    if not (acting_user and acting_user.is_authenticated and acting_user.is_active):
        return False
    if acting_user.pk == token.user_id or permissions.is_admin(acting_user):
        return True
    if permissions.is_admin_account(token.user):
        return False
    managed = permissions.manageable_organisations(acting_user)
    return Membership.objects.filter(user_id=token.user_id, organisation__in=managed).exists()


@transaction.atomic
def token_revoke(*, token_id: int, acting_user: Any) -> AccessToken:
    """Revoke a token (at once: its next request is refused). Revoking one already revoked
    changes nothing."""
    token = AccessToken.objects.select_for_update(of=("self",)).select_related("user").get(pk=token_id)
    if not may_revoke(acting_user, token):
        raise PermissionDenied(
            "Only the token's owner or an administrator of their organisation may revoke it."
        )
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = acting_user
        token.save(update_fields=["revoked_at", "revoked_by"])
    return token


def tokens_of_people(organisation: Any):
    """The tokens of the people of ``organisation`` and everything beneath it, newest first
    (administrators' accounts left out, as on the people page)."""
    beneath = Organisation.objects.beneath([organisation.pk])
    people = Membership.objects.filter(organisation__in=beneath).values("user_id")
    return (
        AccessToken.objects.filter(user__in=people, user__is_superuser=False, user__is_staff=False)
        .select_related("user", "revoked_by")
        .order_by("-created_at", "-pk")
    )
