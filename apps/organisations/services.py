"""Writes to who belongs to an organisation: invitations, roles, removals, deactivations.

Every function here is the one path for its change, for the people page and anything else:
keyword-only arguments, the acting user's rights checked (``permissions``: PermissionDenied when
they may not manage ``scope``, the organisation whose people page they act from; the record's
DoesNotExist when it is not among the memberships they manage beneath ``scope``, so another
organisation's people are never found; ValidationError, with a message for the form, when the
change breaks a rule), everything in one transaction with the rows locked, a MembershipChange
row for the people page, and the membership row change in the PostgreSQL audit trail
(django-pghistory) with the same context.

Emails are sent after that transaction has committed, never while it holds row locks (a slow
or refusing mail server would otherwise hold up everyone touching those people): call these
services outside a transaction of your own. A change is kept if its email then cannot be
sent; the service raises ``EmailNotSent`` saying so, and the invitation can be sent again.
"""

import pghistory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from pghistory.models import Context

from . import permissions
from .models import Membership, MembershipChange, Organisation
from .tokens import INVITATION_DAYS, invitation_path_args

VIA = "people page"


def user_label(user):
    name = user.get_full_name() or user.get_username()
    return f"{name} <{user.email}>" if user.email and user.email != name else name


def _record(*, acting_user, organisation, user, action, role_before="", role_after="", audit_id=None):
    if audit_id is not None and not Context.objects.filter(pk=audit_id).exists():
        audit_id = None  # nothing tracked changed inside that context (an account-only change)
    return MembershipChange.objects.create(
        acting_user=acting_user,
        organisation=organisation,
        user=user,
        user_label=user_label(user),
        action=action,
        role_before=role_before,
        role_after=role_after,
        audit_context_id=audit_id,
    )


def _check_role(acting_user, organisation, role):
    if role not in permissions.grantable_roles(acting_user, organisation):
        raise ValidationError({"role": "You cannot give that role here: choose one of the roles offered."})


def _check_account(acting_user, user):
    if acting_user.pk == user.pk:
        raise ValidationError(
            "You cannot change your own membership or account: ask another organisation administrator."
        )
    if not permissions.may_manage_account(acting_user, user):
        raise ValidationError("This is an administrator's account: only an administrator can change it.")


def _in_scope(acting_user, scope):
    """Memberships the acting user manages at ``scope`` or beneath it."""
    return Membership.objects.filter(
        organisation__in=permissions.manageable_organisations(acting_user)
    ).filter(organisation__in=Organisation.objects.beneath([scope.pk]).values("pk"))


def _locked_membership(acting_user, scope, membership_id):
    return (
        _in_scope(acting_user, scope)
        .select_for_update(of=("self",))
        .select_related("user", "organisation")
        .get(pk=membership_id)
    )


def _locked_user(acting_user, scope, user_id):
    """A user with a membership the acting user manages beneath ``scope``, locked."""
    User = get_user_model()
    if not _in_scope(acting_user, scope).filter(user_id=user_id).exists():
        raise User.DoesNotExist("No such person among the people you manage here.")
    return User.objects.select_for_update().get(pk=user_id)


def _send(subject, template, context, to):
    body = render_to_string(template, context)
    EmailMessage(subject=subject, body=body, to=[to]).send(fail_silently=False)


class EmailNotSent(Exception):
    """The change was saved, but the mail server did not take its email (``result`` is what
    the service returns); the message says what to do."""

    def __init__(self, message, result):
        super().__init__(message)
        self.result = result


def _send_after_commit(send, result, *, what):
    """Send ``send`` once the service's transaction has committed and released its locks."""
    try:
        send()
    except OSError as error:  # smtplib's errors are OSErrors, as are refused connections
        raise EmailNotSent(
            f"Saved, but {what} could not be sent ({error.__class__.__name__}): the mail server did not "
            "take it. Send the invitation again later; if it keeps failing, tell an administrator.",
            result,
        ) from error
    return result


def _invitation_email(user, organisation, role, acting_user, link_base):
    uidb64, token = invitation_path_args(user)
    context = {
        "user": user,
        "organisation": organisation,
        "role": Membership.Role(role).label,
        "inviter": acting_user.get_full_name() or acting_user.get_username(),
        "link": link_base + reverse("organisations:invitation_accept", args=[uidb64, token]),
        "days": INVITATION_DAYS,
        "local_passwords": settings.LOCAL_PASSWORDS,
        "sign_on_label": settings.OIDC_BUTTON_LABEL,
        "username": user.get_username(),
    }
    return lambda: _send(
        f"ccgtrack: you are invited to {organisation.name}",
        "registration/invitation_email.txt",
        context,
        user.email,
    )


def _added_email(user, organisation, role, acting_user, link_base):
    context = {
        "user": user,
        "organisation": organisation,
        "role": Membership.Role(role).label,
        "inviter": acting_user.get_full_name() or acting_user.get_username(),
        "link": link_base + reverse("home"),
        "username": user.get_username(),
    }
    return lambda: _send(
        f"ccgtrack: you now belong to {organisation.name}",
        "registration/invitation_added_email.txt",
        context,
        user.email,
    )


def _new_username(email):
    User = get_user_model()
    base = email[: (User._meta.get_field("username").max_length or 150) - 4]
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def membership_invite(*, acting_user, organisation, email, role, first_name="", last_name="", link_base):
    """Give the person with ``email`` the ``role`` at ``organisation`` and tell them by email
    (after the change has committed: ``EmailNotSent`` if the mail server refuses it).

    A new address gets an account with no usable password and an invitation: a one-time link,
    valid for INVITATION_DAYS, to set a password (``invitation_accept``). An existing account
    gets the membership and a note that says so (an invitation link if they never set a
    password). Refuses a role the acting user may not give there, an address that several
    accounts share, a deactivated account, an administrator's account (for non-administrators)
    and someone who already belongs to the organisation."""
    membership, send = _invite(
        acting_user=acting_user,
        organisation=organisation,
        email=email,
        role=role,
        first_name=first_name,
        last_name=last_name,
        link_base=link_base,
    )
    return _send_after_commit(send, membership, what="the email to them")


@transaction.atomic
def _invite(*, acting_user, organisation, email, role, first_name, last_name, link_base):
    permissions.require_manage_people(acting_user, organisation)
    _check_role(acting_user, organisation, role)
    email = get_user_model().objects.normalize_email(email).strip().lower()
    User = get_user_model()
    existing = list(User.objects.select_for_update().filter(email__iexact=email)[:2])
    if len(existing) > 1:
        raise ValidationError(
            {"email": "Several accounts use this address: ask an administrator to add them."}
        )
    if existing:
        user = existing[0]
        if not user.is_active:
            raise ValidationError(
                {"email": "That account is deactivated: reactivate it from the list below."}
            )
        _check_account(acting_user, user)
        current = Membership.objects.filter(user=user, organisation=organisation).first()
        if current:
            raise ValidationError(
                {"email": f"{user_label(user)} already belongs here as {current.get_role_display()}."}
            )
        action = MembershipChange.Action.ADDED
    else:
        user = User(username=_new_username(email), email=email, first_name=first_name, last_name=last_name)
        user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        action = MembershipChange.Action.INVITED
    with pghistory.context(
        user=acting_user.pk, note=f"{action.label} as {Membership.Role(role).label}", via=VIA
    ) as audit:
        membership = Membership.objects.create(user=user, organisation=organisation, role=role)
    _record(
        acting_user=acting_user,
        organisation=organisation,
        user=user,
        action=action,
        role_after=role,
        audit_id=audit.id,
    )
    if user.has_usable_password():
        send = _added_email(user, organisation, role, acting_user, link_base)
    else:
        send = _invitation_email(user, organisation, role, acting_user, link_base)
    return membership, send


def invitation_resend(*, acting_user, scope, user_id, link_base):
    """Send a fresh invitation to someone who has not set a password yet; earlier links stop
    working (the unusable password is renewed, and tokens sign it). Sent after the change has
    committed (``EmailNotSent`` if the mail server refuses it)."""
    user, send = _resend(acting_user=acting_user, scope=scope, user_id=user_id, link_base=link_base)
    return _send_after_commit(send, user, what="the invitation")


@transaction.atomic
def _resend(*, acting_user, scope, user_id, link_base):
    permissions.require_manage_people(acting_user, scope)
    user = _locked_user(acting_user, scope, user_id)
    _check_account(acting_user, user)
    if user.has_usable_password():
        raise ValidationError("This person has already set a password: there is nothing to resend.")
    if not user.is_active:
        raise ValidationError("This account is deactivated: reactivate it first.")
    membership = _in_scope(acting_user, scope).select_related("organisation").filter(user=user).first()
    user.set_unusable_password()
    user.save(update_fields=["password"])
    _record(
        acting_user=acting_user,
        organisation=membership.organisation,
        user=user,
        action=MembershipChange.Action.INVITATION_RESENT,
        role_after=membership.role,
    )
    return user, _invitation_email(user, membership.organisation, membership.role, acting_user, link_base)


@transaction.atomic
def membership_change_role(*, acting_user, scope, membership_id, role):
    """Change a membership's role, to one the acting user may give at its organisation."""
    permissions.require_manage_people(acting_user, scope)
    membership = _locked_membership(acting_user, scope, membership_id)
    _check_account(acting_user, membership.user)
    grantable = permissions.grantable_roles(acting_user, membership.organisation)
    if membership.role not in grantable:
        raise ValidationError("This person holds more here than you do: you cannot change their role.")
    _check_role(acting_user, membership.organisation, role)
    if role == membership.role:
        raise ValidationError({"role": "That is already their role: nothing was changed."})
    before = membership.role
    membership.role = role
    membership.full_clean()
    with pghistory.context(
        user=acting_user.pk,
        note=f"Role {Membership.Role(before).label} → {Membership.Role(role).label}",
        via=VIA,
    ) as audit:
        membership.save(update_fields=["role", "updated_at"])
    _record(
        acting_user=acting_user,
        organisation=membership.organisation,
        user=membership.user,
        action=MembershipChange.Action.ROLE_CHANGED,
        role_before=before,
        role_after=role,
        audit_id=audit.id,
    )
    return membership


@transaction.atomic
def membership_remove(*, acting_user, scope, membership_id):
    """Remove a membership. The account stays (it may belong elsewhere); deactivate it to stop
    it logging in."""
    permissions.require_manage_people(acting_user, scope)
    membership = _locked_membership(acting_user, scope, membership_id)
    _check_account(acting_user, membership.user)
    if membership.role not in permissions.grantable_roles(acting_user, membership.organisation):
        raise ValidationError("This person holds more here than you do: you cannot remove them.")
    organisation, user, role = membership.organisation, membership.user, membership.role
    with pghistory.context(user=acting_user.pk, note="Membership removed", via=VIA) as audit:
        membership.delete()
    _record(
        acting_user=acting_user,
        organisation=organisation,
        user=user,
        action=MembershipChange.Action.REMOVED,
        role_before=role,
        audit_id=audit.id,
    )


def _account_switch(*, acting_user, scope, user_id, active):
    permissions.require_manage_people(acting_user, scope)
    user = _locked_user(acting_user, scope, user_id)
    _check_account(acting_user, user)
    memberships = list(Membership.objects.filter(user=user).select_related("organisation"))
    managed = set(
        Membership.objects.filter(user=user)
        .filter(organisation__in=permissions.manageable_organisations(acting_user))
        .values_list("pk", flat=True)
    )
    if any(m.pk not in managed for m in memberships):
        raise ValidationError(
            "This person also belongs to an organisation you do not manage, so only an administrator "
            "can deactivate or reactivate the account. Remove their membership here instead."
        )
    if user.is_active == active:
        raise ValidationError(f"The account is already {'active' if active else 'deactivated'}.")
    user.is_active = active
    user.save(update_fields=["is_active"])
    action = MembershipChange.Action.REACTIVATED if active else MembershipChange.Action.DEACTIVATED
    for membership in memberships:
        _record(
            acting_user=acting_user,
            organisation=membership.organisation,
            user=user,
            action=action,
            role_before=membership.role,
            role_after=membership.role,
        )
    return user


@transaction.atomic
def account_deactivate(*, acting_user, scope, user_id):
    """Stop an account logging in (its sessions end at their next request), where every
    membership it has is one the acting user manages. Memberships and history stay."""
    return _account_switch(acting_user=acting_user, scope=scope, user_id=user_id, active=False)


@transaction.atomic
def account_reactivate(*, acting_user, scope, user_id):
    """Let a deactivated account log in again (same rule as ``account_deactivate``)."""
    return _account_switch(acting_user=acting_user, scope=scope, user_id=user_id, active=True)


@transaction.atomic
def invitation_accept(*, form):
    """Set the invited person's password (a bound, valid SetPasswordForm) and record it on the
    people page of each organisation they belong to."""
    user = form.save()
    for membership in Membership.objects.filter(user=user).select_related("organisation"):
        _record(
            acting_user=user,
            organisation=membership.organisation,
            user=user,
            action=MembershipChange.Action.INVITATION_ACCEPTED,
            role_after=membership.role,
        )
    return user


# --- Single sign-on (issue 23; apps/signon decides who is let in) ------------------------------


@transaction.atomic
def invitation_accept_by_sign_on(*, user):
    """The invited person signed on for the first time (they set no password): record the
    acceptance on the people page of each organisation they belong to, as ``invitation_accept``
    does. Their invitation link stops working when the sign-in sets their last login."""
    for membership in Membership.objects.filter(user=user).select_related("organisation"):
        _record(
            acting_user=user,
            organisation=membership.organisation,
            user=user,
            action=MembershipChange.Action.INVITATION_ACCEPTED,
            role_after=membership.role,
        )
    return user


@transaction.atomic
def membership_join_by_domain(*, email, organisation, role, first_name="", last_name="", via):
    """A person with no account signed on with a verified ``email`` in a domain that
    ``organisation`` allows for ``role``: an account (with no password: they sign on) and that
    membership, recorded on the people page as theirs and in the audit trail ``via`` the
    allowed domain. ValidationError if an account with that address appeared meanwhile."""
    User = get_user_model()
    email = email.strip().lower()
    if User.objects.select_for_update().filter(email__iexact=email).exists():
        raise ValidationError("An account with this address already exists.")
    user = User(
        username=_new_username(email),
        email=email,
        first_name=first_name[:150],
        last_name=last_name[:150],
    )
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    with pghistory.context(user=user.pk, note=f"Joined as {Membership.Role(role).label}", via=via) as audit:
        membership = Membership.objects.create(user=user, organisation=organisation, role=role)
    _record(
        acting_user=user,
        organisation=organisation,
        user=user,
        action=MembershipChange.Action.JOINED_BY_DOMAIN,
        role_after=role,
        audit_id=audit.id,
    )
    return membership
