"""Invitation links: Django's password-reset tokens with their own salt and expiry.

A token signs the user's pk, password hash, last login, email and whether the account is active,
with a timestamp. Setting the password (accepting the invitation) changes the hash, so a link
works once; sending the invitation again resets the unusable password, so older links stop
working; deactivating the account stops them too; and a link is refused after
``INVITATION_DAYS``, whatever ``PASSWORD_RESET_TIMEOUT`` says."""

from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

INVITATION_DAYS = 7


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "apps.organisations.tokens.InvitationTokenGenerator"
    timeout_seconds = INVITATION_DAYS * 24 * 60 * 60

    def _make_hash_value(self, user, timestamp):
        return f"{super()._make_hash_value(user, timestamp)}{user.is_active}"

    def check_token(self, user, token):
        """The parent's check, with this generator's own expiry."""
        if not (user and token):
            return False
        try:
            ts_b36, _ = token.split("-")
            timestamp = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        return 0 <= self._num_seconds(self._now()) - timestamp <= self.timeout_seconds


invitation_tokens = InvitationTokenGenerator()


def invitation_path_args(user):
    """(uidb64, token) for the user's invitation link."""
    return urlsafe_base64_encode(force_bytes(user.pk)), invitation_tokens.make_token(user)
