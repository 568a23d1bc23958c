import pytest

from apps.plans.models import ODPlan


@pytest.fixture
def dorset_plan(dorset):
    return ODPlan.objects.get(organisation=dorset)


@pytest.fixture
def darlington_plan(darlington):
    return ODPlan.objects.get(organisation=darlington)


@pytest.fixture
def small_plan(dorset, staff_dorset):
    """A second, small plan of NHS Dorset CCG with a cover sheet (its PDF renders quickly):
    two themes, four deliverables, one of them overdue and one delivered."""
    import datetime

    from django.utils import timezone

    from tests.plans.factories import DeliverableFactory, ODPlanFactory, ThemeFactory
    from tests.reports.helpers import first_cover_sheet

    today = timezone.localdate()
    plan = ODPlanFactory(organisation=dorset, title="Small OD plan")
    first, second = ThemeFactory(plan=plan, number=1), ThemeFactory(plan=plan, number=2)
    DeliverableFactory(
        theme=first, position=1, title="Overdue one", deadline=today - datetime.timedelta(days=5)
    )
    DeliverableFactory(theme=first, position=2, title="Delivered one", status="delivered")
    DeliverableFactory(
        theme=second, position=1, title="Later one", deadline=today + datetime.timedelta(days=90)
    )
    DeliverableFactory(theme=second, position=2, title="Not started one", status="not_started")
    first_cover_sheet(plan, staff_dorset, title="Small OD plan update", meeting_date="2026-01-14")
    return plan
