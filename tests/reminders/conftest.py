"""Reminder tests: emails through Django's in-memory backend (mail.outbox) or a real SMTP server
on 127.0.0.1 (aiosmtpd) that can refuse; tasks on the immediate backend unless a test asks for
the database backend and its worker."""

import datetime
import socket

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from apps.organisations.models import Membership
from apps.plans.models import Deliverable, StatusUpdate
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.plans.factories import ODPlanFactory, ThemeFactory
from tests.risks.factories import RiskFactory

SITE = "https://ccgtrack.example"
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def reminder_settings(settings):
    settings.SITE_URL = SITE
    settings.TASKS = IMMEDIATE
    return settings


@pytest.fixture
def today():
    return timezone.localdate()


def days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


class World:
    """An organisation with a plan, an owner with one item in every bucket (and some that
    must not be listed), a colleague who owns nothing due, and the organisation's lead."""

    def __init__(self):
        self.org = OrganisationFactory(name="NHS Reminder Test CCG", slug="nhs-reminder-test-ccg")
        theme = ThemeFactory(plan=ODPlanFactory(organisation=self.org))
        self.owner = self.member("t.owner", Membership.Role.STAFF, first_name="Olive")
        self.colleague = self.member("t.colleague", Membership.Role.STAFF)
        self.lead = self.member("t.lead", Membership.Role.ORG_ADMIN, first_name="Lee")
        self.board = self.member("t.board", Membership.Role.GOVERNING_BODY)

        def item(title, deadline, owner=None, status=Deliverable.Status.IN_PROGRESS, added_days_ago=0):
            # Added by a person, as the product adds one: with its first history row, which is
            # the update "no update for 60 days" counts from.
            deliverable = Deliverable.objects.create(
                theme=theme,
                position=Deliverable.objects.filter(theme=theme).count() + 1,
                title=title,
                deadline=deadline,
                owner=owner,
                status=status,
            )
            StatusUpdate.objects.create(
                deliverable=deliverable,
                created_by=self.lead,
                created_at=timezone.now() - datetime.timedelta(days=added_days_ago),
                to_status=status,
                note="Added to the plan.",
            )
            return deliverable

        self.overdue = item("Overdue five days", days(-5), self.owner)
        self.due_soon = item("Due in ten days", days(10), self.owner)
        self.stale = item("Quiet for two months", days(90), self.owner, added_days_ago=61)
        self.fine = item("Due in ninety days, updated today", days(90), self.owner)
        self.done = item("Delivered though late", days(-40), self.owner, Deliverable.Status.DELIVERED)
        self.colleagues = item("Colleague's, due in ninety days", days(90), self.colleague)
        self.long_overdue = item("Nobody's, overdue forty-five days", days(-45))
        self.owned_long_overdue = item("Overdue forty days, owned", days(-40), self.owner)
        self.risk = RiskFactory(organisation=self.org, owner=self.owner, next_review_on=days(-3))
        self.closed_risk = RiskFactory(
            organisation=self.org, owner=self.owner, next_review_on=days(-50), status="closed"
        )
        self.old_risk = RiskFactory(organisation=self.org, owner=self.colleague, next_review_on=days(-31))

    def member(self, username, role, **fields):
        user = UserFactory(username=username, email=f"{username}@nhs.example", **fields)
        MembershipFactory(user=user, organisation=self.org, role=role)
        return user


@pytest.fixture
def world(db):
    return World()


class FlakySmtpHandler:
    """An SMTP server that answers '451 try again later' to the first ``refuse`` messages."""

    def __init__(self):
        self.refuse = 0
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Mail server busy, try again later"
        self.received.append(envelope)
        return "250 2.0.0 OK"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1, used through Django's SMTP backend."""
    handler = FlakySmtpHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    yield handler
    controller.stop()


@pytest.fixture
def no_smtp_server(settings):
    """A mail server that is not there: connections to it are refused."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _free_port()
    settings.EMAIL_TIMEOUT = 5
