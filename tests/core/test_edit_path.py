"""One edit path: a change made through the form, the in-place control, the Django admin or a
direct service call (what an import does) leaves the same history row and the same audit
event; and an admin who opened a change form before someone else saved gets a conflict."""

from http import HTTPStatus

import pytest
from django import forms
from django.urls import reverse
from pghistory.models import Events

from apps.plans import services as plan_services
from apps.plans.models import AuthorisationDomain, Deliverable, Objective, ODPlan, StatusUpdate, Theme
from apps.reports import services as report_services
from apps.reports.models import BoardReport
from apps.risks import services as risk_services
from apps.risks.models import Risk, RiskReview
from tests.factories import domain_pks

pytestmark = pytest.mark.django_db

NOTE = "Signed off at the Executive."


def _admin_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def _admin_form_data(client, obj, **changes):
    """The admin change form of ``obj`` as the browser would post it, with ``changes``."""
    response = client.get(_admin_url(obj))
    assert response.status_code == HTTPStatus.OK
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        else:
            data[name] = "" if value is None else str(value)
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
        for index, inline_form in enumerate(inline.formset.forms):
            data[f"{inline.formset.prefix}-{index}-id"] = inline_form.instance.pk
    data.update({name: str(value) for name, value in changes.items()})
    return data


def _last_event(obj):
    event = Events.objects.tracks(obj).order_by("-pgh_id").first()
    diff = {k: v for k, v in (event.pgh_diff or {}).items() if k not in {"updated_at", "version"}}
    return event.pgh_label, diff, event.pgh_context.get("user"), event.pgh_context.get("note")


@pytest.fixture
def deliverable(dorset):
    return Deliverable.objects.filter(theme__plan__organisation=dorset, status="in_progress").first()


def _deliverable_by(path, client, user, deliverable):
    client.force_login(user)
    if path == "form":
        response = client.post(
            deliverable.get_absolute_url(),
            {
                "status": "delivered",
                "note": NOTE,
                "delivered_narrative": deliverable.delivered_narrative,
                "in_progress_narrative": deliverable.in_progress_narrative,
                "owner": "",
                "deadline": deliverable.deadline.isoformat() if deliverable.deadline else "",
                "version": deliverable.version,
            },
        )
    elif path == "in_place":
        response = client.post(
            reverse("plans:deliverable_status", args=[deliverable.pk]),
            {"status": "delivered", "note": NOTE, "version": deliverable.version},
        )
    elif path == "admin":
        data = _admin_form_data(client, deliverable, status="delivered", edit_note=NOTE)
        response = client.post(_admin_url(deliverable), data)
    elif path == "batch":  # a plan import's batch of the same edit path
        plan_services.deliverables_import_update(
            items=[(deliverable.pk, deliverable.version, {"status": "delivered"})],
            acting_user=user,
            note=NOTE,
        )
        return
    else:  # a direct service call
        plan_services.deliverable_update(
            deliverable_id=deliverable.pk,
            acting_user=user,
            expected_version=deliverable.version,
            changes={"status": "delivered"},
            note=NOTE,
        )
        return
    assert response.status_code == HTTPStatus.FOUND


@pytest.mark.parametrize("path", ["form", "in_place", "admin", "service", "batch"])
def test_a_status_change_leaves_the_same_history_whichever_way_it_is_made(
    client, admin_user, deliverable, path
):
    before = deliverable.status
    _deliverable_by(path, client, admin_user, deliverable)
    deliverable.refresh_from_db()
    assert deliverable.status == "delivered" and deliverable.version == 2
    update = StatusUpdate.objects.get(deliverable=deliverable)
    assert (update.from_status, update.to_status, update.created_by, update.note) == (
        before,
        "delivered",
        admin_user,
        NOTE,
    )
    assert _last_event(deliverable) == ("update", {"status": [before, "delivered"]}, admin_user.pk, NOTE)
    event = Events.objects.tracks(deliverable).order_by("-pgh_id").first()
    assert update.audit_context_id == event.pgh_context_id


def test_an_admin_save_of_title_and_status_is_one_change_with_its_real_from_and_to(
    client, admin_user, deliverable
):
    before = deliverable.status
    client.force_login(admin_user)
    data = _admin_form_data(
        client, deliverable, status="delivered", title="A corrected title", edit_note=NOTE
    )
    assert client.post(_admin_url(deliverable), data).status_code == HTTPStatus.FOUND
    update = StatusUpdate.objects.get(deliverable=deliverable)
    assert (update.from_status, update.to_status) == (before, "delivered")
    label, diff, user, note = _last_event(deliverable)
    assert set(diff) == {"status", "title"} and (user, note) == (admin_user.pk, NOTE)
    months = client.get(reverse("dashboards:organisation", args=["nhs-dorset-ccg"])).context[
        "delivered_per_month"
    ]
    assert sum(m["count"] for m in months) == 1  # "delivered per month" counts it


def test_an_admin_status_change_without_a_note_is_a_form_error(client, admin_user, deliverable):
    client.force_login(admin_user)
    response = client.post(_admin_url(deliverable), _admin_form_data(client, deliverable, status="delivered"))
    assert response.status_code == HTTPStatus.OK
    assert "edit_note" in response.context["adminform"].form.errors
    deliverable.refresh_from_db()
    assert (
        deliverable.status == "in_progress"
        and not StatusUpdate.objects.filter(deliverable=deliverable).exists()
    )


def test_fields_the_service_does_not_own_are_read_only_in_the_admin(client, admin_user, deliverable):
    client.force_login(admin_user)
    form = client.get(_admin_url(deliverable)).context["adminform"].form
    assert "version" not in form.fields and "status" in form.fields


def _other_domains(record):
    """Domains other than ``record``'s: the first two it does not serve."""
    serves = set(record.domains.values_list("pk", flat=True))
    return list(AuthorisationDomain.objects.exclude(pk__in=serves).order_by("number")[:2])


def _numbers(domains):
    return "; ".join(str(d.number) for d in sorted(domains, key=lambda d: d.number)) or "none"


@pytest.mark.parametrize("note", [NOTE, ""])
def test_an_admin_change_of_a_deliverables_domains_goes_through_the_edit_path(
    client, admin_user, deliverable, note
):
    before = list(deliverable.domains.all())
    version = deliverable.version
    after = _other_domains(deliverable)
    client.force_login(admin_user)
    data = _admin_form_data(client, deliverable, edit_note=note)
    data["domains"] = [str(d.pk) for d in after]
    assert client.post(_admin_url(deliverable), data).status_code == HTTPStatus.FOUND
    deliverable.refresh_from_db()
    assert sorted(deliverable.domains.values_list("pk", flat=True)) == sorted(d.pk for d in after)
    assert deliverable.version == version + 1
    update = StatusUpdate.objects.get(deliverable=deliverable)
    change = f"Authorisation domains: {_numbers(before)} → {_numbers(after)}."
    assert update.note == (f"{note} {change}" if note else change)
    assert (update.created_by, update.from_status, update.to_status) == (
        admin_user,
        deliverable.status,
        deliverable.status,
    )
    event = Events.objects.tracks(deliverable).order_by("-pgh_id").first()
    assert update.audit_context_id == event.pgh_context_id
    assert (event.pgh_context.get("user"), event.pgh_context.get("via")) == (admin_user.pk, "admin")


def test_an_admin_change_of_a_risks_domains_goes_through_the_edit_path(client, admin_user, risk):
    before = list(risk.domains.all())
    version = risk.version
    after = _other_domains(risk)
    client.force_login(admin_user)
    data = _admin_form_data(client, risk, edit_note=NOTE)
    data["domains"] = [str(d.pk) for d in after]
    assert client.post(_admin_url(risk), data).status_code == HTTPStatus.FOUND
    risk.refresh_from_db()
    assert sorted(risk.domains.values_list("pk", flat=True)) == sorted(d.pk for d in after)
    assert risk.version == version + 1
    review = RiskReview.objects.get(risk=risk)
    assert review.note == f"{NOTE} Authorisation domains: {_numbers(before)} → {_numbers(after)}."
    assert review.audit_context_id == Events.objects.tracks(risk).order_by("-pgh_id").first().pgh_context_id


def test_an_admin_change_of_a_risks_domains_without_a_note_changes_nothing(client, admin_user, risk):
    before = sorted(risk.domains.values_list("pk", flat=True))
    version = risk.version
    client.force_login(admin_user)
    data = _admin_form_data(client, risk)
    data["domains"] = [str(d.pk) for d in _other_domains(risk)]
    response = client.post(_admin_url(risk), data)
    assert response.status_code == HTTPStatus.OK
    assert "edit_note" in response.context["adminform"].form.errors
    risk.refresh_from_db()
    assert sorted(risk.domains.values_list("pk", flat=True)) == before and risk.version == version
    assert not RiskReview.objects.filter(risk=risk).exists()


def _admin_add_form_data(client, model, **values):
    """The admin add form of ``model`` as the browser would post it, with ``values``."""
    opts = model._meta
    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    assert response.status_code == HTTPStatus.OK
    form = response.context["adminform"].form
    data: dict = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, list | tuple):
            data[name] = [str(v) for v in value]
        elif not isinstance(form.fields[name], forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
            data[name] = "" if value is None else str(value)
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
    data.update(values)
    return data, form


def test_an_admin_add_of_a_deliverable_goes_through_the_edit_path(client, admin_user, dorset):
    theme = Theme.objects.filter(plan__organisation=dorset).order_by("number").first()
    last = theme.deliverables.order_by("-position").first().position
    client.force_login(admin_user)
    data, form = _admin_add_form_data(
        client,
        Deliverable,
        theme=str(theme.pk),
        title="Hold a governing body development day",
        status="in_progress",
        domains=domain_pks(2, 6),
        edit_note=NOTE,
    )
    assert {"position", "version", "archived_at"}.isdisjoint(form.fields)  # the service places it
    response = client.post(reverse("admin:plans_deliverable_add"), data)
    assert response.status_code == HTTPStatus.FOUND
    added = Deliverable.objects.get(title="Hold a governing body development day")
    assert (added.theme, added.position, added.version) == (theme, last + 1, 1)
    assert sorted(d.number for d in added.domains.all()) == [2, 6]
    update = StatusUpdate.objects.get(deliverable=added)
    assert (update.from_status, update.to_status, update.created_by) == ("", "in_progress", admin_user)
    assert update.note == f"{NOTE} Authorisation domains: none → 2; 6."
    event = Events.objects.tracks(added).order_by("-pgh_id").first()
    assert (event.pgh_label, event.pgh_context.get("via"), event.pgh_context.get("note")) == (
        "insert",
        "admin",
        NOTE,
    )
    assert update.audit_context_id == event.pgh_context_id


def test_an_admin_add_of_a_deliverable_without_a_note_adds_nothing(client, admin_user, dorset):
    theme = Theme.objects.filter(plan__organisation=dorset).order_by("number").first()
    client.force_login(admin_user)
    data, _ = _admin_add_form_data(
        client, Deliverable, theme=str(theme.pk), title="Unexplained", status="in_progress"
    )
    response = client.post(reverse("admin:plans_deliverable_add"), data)
    assert response.status_code == HTTPStatus.OK
    assert "edit_note" in response.context["adminform"].form.errors
    assert not Deliverable.objects.filter(title="Unexplained").exists()


def test_an_admin_add_of_a_risk_goes_through_the_edit_path(client, admin_user, darlington):
    client.force_login(admin_user)
    data, _ = _admin_add_form_data(
        client,
        Risk,
        organisation=str(darlington.pk),
        reference="R-ADMIN-1",
        description="A risk the administrator recorded.",
        severity="4",
        likelihood="3",
        residual_severity="3",
        residual_likelihood="2",
        edit_note=NOTE,
    )
    response = client.post(reverse("admin:risks_risk_add"), data)
    assert response.status_code == HTTPStatus.FOUND, response.context["adminform"].form.errors
    added = Risk.objects.get(reference="R-ADMIN-1")
    review = RiskReview.objects.get(risk=added)
    assert (review.reviewed_by, review.note) == (admin_user, NOTE)
    assert (review.severity_after, review.likelihood_after) == (4, 3)
    event = Events.objects.tracks(added).order_by("-pgh_id").first()
    assert (event.pgh_label, event.pgh_context.get("via")) == ("insert", "admin")
    assert review.audit_context_id == event.pgh_context_id


def test_an_admin_add_of_a_theme_and_an_objective_goes_through_the_edit_path(client, admin_user, dorset):
    plan = ODPlan.objects.get(organisation=dorset)
    number = plan.themes.order_by("-number").first().number + 1
    client.force_login(admin_user)
    data, _ = _admin_add_form_data(client, Theme, plan=str(plan.pk), number=str(number), title="People")
    assert client.post(reverse("admin:plans_theme_add"), data).status_code == HTTPStatus.FOUND
    theme = Theme.objects.get(plan=plan, number=number)
    data, form = _admin_add_form_data(client, Objective, theme=str(theme.pk), text="Develop our people.")
    assert "position" not in form.fields  # the service puts it at the end of its theme
    assert client.post(reverse("admin:plans_objective_add"), data).status_code == HTTPStatus.FOUND
    objective = Objective.objects.get(theme=theme)
    assert (objective.position, objective.version) == (1, 1)
    for record in (theme, objective):
        event = Events.objects.tracks(record).order_by("-pgh_id").first()
        assert (event.pgh_label, event.pgh_context.get("user"), event.pgh_context.get("via")) == (
            "insert",
            admin_user.pk,
            "admin",
        )


@pytest.fixture
def risk(darlington):
    return Risk.objects.filter(organisation=darlington).order_by("pk").first()


@pytest.mark.parametrize("path", ["form", "admin", "service"])
def test_a_risk_review_leaves_the_same_history_whichever_way_it_is_made(client, admin_user, risk, path):
    client.force_login(admin_user)
    before = (risk.residual_severity, risk.residual_likelihood)
    if path == "form":
        response = client.post(
            risk.get_absolute_url(),
            {
                "severity": risk.severity,
                "likelihood": risk.likelihood,
                "residual_severity": risk.residual_severity,
                "residual_likelihood": 1,
                "mitigation": risk.mitigation,
                "owner": "",
                "next_review_on": "",
                "status": risk.status,
                "note": NOTE,
                "version": risk.version,
            },
        )
        assert response.status_code == HTTPStatus.FOUND
    elif path == "admin":
        data = _admin_form_data(client, risk, residual_likelihood=1, edit_note=NOTE)
        assert client.post(_admin_url(risk), data).status_code == HTTPStatus.FOUND
    else:
        risk_services.risk_review(
            risk_id=risk.pk,
            acting_user=admin_user,
            expected_version=risk.version,
            changes={"residual_likelihood": 1},
            note=NOTE,
        )
    review = RiskReview.objects.get(risk=risk)
    assert (review.reviewed_by, review.note) == (admin_user, NOTE)
    assert (review.residual_severity_before, review.residual_likelihood_before) == before
    assert (review.residual_severity_after, review.residual_likelihood_after) == (before[0], 1)
    assert _last_event(risk) == ("update", {"residual_likelihood": [before[1], 1]}, admin_user.pk, NOTE)


@pytest.mark.parametrize("path", ["form", "admin", "service"])
def test_a_cover_sheet_save_leaves_the_same_audit_event_whichever_way_it_is_made(client, admin_user, path):
    report = BoardReport.objects.get(pk=1)
    client.force_login(admin_user)
    if path == "form":
        data = {name: getattr(report, name) for name in report_services.COVER_FIELDS}
        data.update(meeting_date=report.meeting_date.isoformat(), version=1, report=1, author="A New Author")
        response = client.post(reverse("reports:cover_edit", args=[report.plan_id]), data)
        assert response.status_code == HTTPStatus.FOUND
    elif path == "admin":
        data = _admin_form_data(client, report, author="A New Author")
        assert client.post(_admin_url(report), data).status_code == HTTPStatus.FOUND
    else:
        report_services.board_report_save(
            plan=report.plan,
            report_id=1,
            acting_user=admin_user,
            expected_version=1,
            data={"author": "A New Author"},
        )
    report.refresh_from_db()
    assert (report.author, report.version) == ("A New Author", 2)
    label, diff, user, _ = _last_event(report)
    assert (label, diff, user) == (
        "update",
        {"author": ["E Parson, Head of Workforce", "A New Author"]},
        admin_user.pk,
    )


def _save_by_staff(obj, user):
    if isinstance(obj, Deliverable):
        plan_services.deliverable_update(
            deliverable_id=obj.pk,
            acting_user=user,
            expected_version=1,
            changes={"status": "delivered"},
            note="Staff",
        )
    elif isinstance(obj, Risk):
        risk_services.risk_review(
            risk_id=obj.pk,
            acting_user=user,
            expected_version=1,
            changes={"residual_likelihood": 1},
            note="Staff",
        )
    else:
        report_services.board_report_save(
            plan=obj.plan, report_id=obj.pk, acting_user=user, expected_version=1, data={"author": "Staff"}
        )


@pytest.mark.parametrize("which", ["deliverable", "risk", "report"])
def test_an_admin_form_opened_before_a_staff_save_gets_a_conflict_not_a_lost_update(
    client, admin_user, staff_dorset, staff_darlington, deliverable, risk, which
):
    obj, staff, field = {
        "deliverable": (deliverable, staff_dorset, "comments"),
        "risk": (risk, staff_darlington, "mitigation"),
        "report": (BoardReport.objects.get(pk=1), staff_dorset, "purpose"),
    }[which]
    client.force_login(admin_user)
    opened = _admin_form_data(client, obj, **{field: "Admin's edit", "edit_note": "Admin"})
    _save_by_staff(obj, staff)
    obj.refresh_from_db()
    saved = {f.name: getattr(obj, f.name) for f in obj._meta.concrete_fields}
    response = client.post(_admin_url(obj), opened)
    assert response.status_code == HTTPStatus.OK
    assert "Someone else changed this record" in str(response.context["adminform"].form.non_field_errors())
    obj.refresh_from_db()
    assert {f.name: getattr(obj, f.name) for f in obj._meta.concrete_fields} == saved


def test_a_batch_takes_the_edit_path_for_every_record_and_saves_all_or_nothing(staff_dorset, dorset):
    """prepare_many/commit_many (what a plan import uses): every row locked, its permission and
    version checked, its version raised by PostgreSQL, an audit event and a history row each,
    all in one audit context; one stale row refuses the whole batch."""
    from django.db import transaction

    from apps.core.history.audit import StaleVersionError

    rows = list(Deliverable.objects.filter(theme__plan__organisation=dorset).order_by("pk")[:20])
    items = [(d.pk, d.version, {"in_progress_narrative": f"Batch {d.pk}"}) for d in rows]
    stale = [*items[:-1], (rows[-1].pk, rows[-1].version + 1, {"in_progress_narrative": "x"})]
    with pytest.raises(StaleVersionError), transaction.atomic():
        plan_services.deliverables_import_update(items=stale, acting_user=staff_dorset, note=NOTE)
    assert not StatusUpdate.objects.filter(deliverable__in=rows).exists()
    plan_services.deliverables_import_update(items=items, acting_user=staff_dorset, note=NOTE)
    updates = StatusUpdate.objects.filter(deliverable__in=rows)
    assert updates.count() == 20 and len({u.audit_context_id for u in updates}) == 1
    for deliverable in rows:
        deliverable.refresh_from_db()
        assert deliverable.version == 2 and deliverable.in_progress_narrative == f"Batch {deliverable.pk}"
        label, diff, user, note = _last_event(deliverable)
        assert (label, set(diff), user, note) == ("update", {"in_progress_narrative"}, staff_dorset.pk, NOTE)
        assert diff["in_progress_narrative"][1] == f"Batch {deliverable.pk}"


def test_a_batch_refuses_records_the_user_may_not_edit(staff_dorset, darlington):
    from django.core.exceptions import PermissionDenied

    theirs = Deliverable.objects.filter(theme__plan__organisation=darlington).order_by("pk").first()
    with pytest.raises(PermissionDenied):
        plan_services.deliverables_import_update(
            items=[(theirs.pk, theirs.version, {"comments": "not mine"})], acting_user=staff_dorset, note=NOTE
        )
