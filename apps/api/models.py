"""Personal access tokens: how a program (Power BI, Excel, a script) reads and writes through
the API as the person who made the token."""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.core.history.tracking import track_changes

# A token reads "ccg-<prefix>-<secret>": the prefix is kept to show the token on the pages (and
# in the history) without its secret; only the SHA-256 of the whole token is stored.
TOKEN_START = "ccg-"
PREFIX_LENGTH = 8
# How long after its last use a token's "last used" is written again: not on every request.
LAST_USED_EVERY = datetime.timedelta(minutes=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """(the whole token, its prefix): 8 + 40 random URL-safe characters."""
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    return f"{TOKEN_START}{prefix}-{secrets.token_urlsafe(30)}", prefix


class AccessTokenQuerySet(models.QuerySet):
    def active(self, now=None):
        """Not revoked and not expired."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


# The audit trail records a token's making and revoking (who, when), not its every use (its
# "last used", written at most once a minute) nor the hash of its secret.
@track_changes(exclude=["last_used_at", "secret_hash"])
class AccessToken(models.Model):
    """A personal access token: a person's, named by them, read-only or read-write, with an
    expiry; revoked by them or by an organisation administrator of theirs, never deleted."""

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        WRITE = "write", "Read and write"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. Power BI dashboard.")
    prefix = models.CharField(max_length=PREFIX_LENGTH, unique=True)
    secret_hash = models.CharField("SHA-256 of the token", max_length=64, unique=True)
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.READ)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = AccessTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(secret_hash__regex=r"^[0-9a-f]{64}$"), name="token_hash_is_hex"
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")), name="token_expires_later"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.display})"

    @property
    def display(self) -> str:
        """How the pages show the token: its start, never its secret."""
        return f"{TOKEN_START}{self.prefix}-…"

    @property
    def may_write(self) -> bool:
        return self.scope == self.Scope.WRITE

    def state(self, now=None) -> str:
        now = now or timezone.now()
        if self.revoked_at:
            return "Revoked"
        if self.expires_at <= now:
            return "Expired"
        return "Active"
