"""Helpers of the issued-paper tests: issuing as a user does, through the pages."""

import datetime
from http import HTTPStatus

from django.urls import reverse

from apps.plans import services as plan_services
from apps.reports.models import IssuedPaper
from apps.reports.services import board_report_save, latest_report


def issue_url(plan):
    return reverse("reports:issue", args=[plan.pk])


def issue(client, plan, correction_note="", expect=HTTPStatus.FOUND):
    """Issue ``plan``'s paper as the logged-in user does: open the confirmation, post it back."""
    confirmation = client.get(issue_url(plan))
    assert confirmation.status_code == HTTPStatus.OK
    form = confirmation.context["form"]
    data = {"cover_sheet": form.initial["cover_sheet"], "version": form.initial["version"]}
    if correction_note:
        data["correction_note"] = correction_note
    response = client.post(issue_url(plan), data)
    assert response.status_code == expect, response.content.decode()[:2000]
    if expect != HTTPStatus.FOUND:
        return response
    return IssuedPaper.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def move_meeting(plan, user, day):
    """Move the plan's cover sheet to another meeting, through the cover sheet service."""
    cover = latest_report(plan)
    data = {name: getattr(cover, name) for name in ("title", "meeting_date")}
    data["meeting_date"] = day if isinstance(day, datetime.date) else datetime.date.fromisoformat(day)
    return board_report_save(
        plan=plan, report_id=cover.pk, acting_user=user, expected_version=cover.version, data=data
    )


def first_cover_sheet(plan, user, title="A paper", meeting_date="2026-03-01"):
    return board_report_save(
        plan=plan,
        acting_user=user,
        expected_version=0,
        data={"title": title, "meeting_date": datetime.date.fromisoformat(meeting_date)},
    )


def update(deliverable, user, note="", **changes):
    """A status or field change by ``user`` through the edit path, at the deliverable's current
    version."""
    deliverable.refresh_from_db()
    return plan_services.deliverable_update(
        deliverable_id=deliverable.pk,
        acting_user=user,
        expected_version=deliverable.version,
        changes=changes,
        note=note,
    )
