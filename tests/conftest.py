import os
from pathlib import Path

import pytest
from django.core.management import call_command

from apps.organisations.models import Membership, Organisation
from tests.factories import MembershipFactory, UserFactory
from tests.snapshot import SeededSnapshot

PASSWORD = "correct horse battery staple"


if os.environ.get("CCGTRACK_REUSE_TEST_DB") == "1":

    @pytest.fixture(scope="session")
    def django_db_setup():
        """`make mutation` runs the tests once per mutant: every run after the first uses the
        test database that first run built and seeded, as it is (no migrate, no seed load)."""
        from django.db import connections

        # mutmut runs pytest several times in one process (and its forks): rename only once.
        for connection in connections.all():
            connection.close()
            if not connection.settings_dict.get("CCGTRACK_TEST_DB"):
                connection.settings_dict["NAME"] = connection.creation._get_test_db_name()
                connection.settings_dict["CCGTRACK_TEST_DB"] = True

else:

    @pytest.fixture(scope="session")
    def django_db_setup(django_db_setup, django_db_blocker):
        """Every test database starts with the seed data loaded (tests roll back their own
        writes), and every test then runs as the app's database role: a role made for this test
        database (named after it, so that parallel runs on one server never share one), owning
        nothing and holding only the app's privileges (apps/core/dbroles.py). Migrations, the
        seed load, flushes and the tests marked ``owner_role`` run as the URL's own user."""
        from django.db import connection
        from django.test import TransactionTestCase

        with django_db_blocker.unblock():
            call_command("load_seed", verbosity=0)
            _seeded[:] = [SeededSnapshot.take(connection)]
            owner = use_app_role()
        flush = TransactionTestCase._fixture_teardown
        if _seeded[0] is not None:
            TransactionTestCase._fixture_teardown = _put_the_seeded_database_back
        yield
        TransactionTestCase._fixture_teardown = flush
        connection.close()  # the owner drops the test database
        connection.settings_dict.update(owner)


_seeded: list = []  # this process's SeededSnapshot (tests/snapshot.py), or None: flush and seed


def _put_the_seeded_database_back(test_case):
    """A transactional test's end (Django's ``TransactionTestCase._fixture_teardown``, which
    flushes): the database as it stood after the seed load, as the owner."""
    from django.db import connections

    from apps.core.dbroles import owner_connection

    for alias in test_case._databases_names(include_mirrors=False):
        with owner_connection(alias):
            _seeded[0].restore(connections[alias])


def app_role_name(database_name):
    """The app role of a test database: from its name, so two runs never share one."""
    return f"{database_name}_app"[:63]


def use_app_role():
    """Create (if need be) and grant the app role of the test database, and connect as it from
    now on; the owner's connection parameters are kept as ``settings.DATABASE_OWNER``."""
    from django.conf import settings
    from django.db import connection

    from apps.core import dbroles

    owner = {key: connection.settings_dict.get(key) for key in dbroles._CONNECTION_KEYS}
    role = app_role_name(owner["NAME"])
    dbroles.ensure_role(role)
    dbroles.grant_app_role(role)
    settings.DATABASE_OWNER = owner
    settings.DATABASE_APP_ROLE = role  # what migrate and restore grant to, as in production
    app = {**owner, "USER": role, "PASSWORD": ""}
    if _owner_item:  # the first test of this process runs as the owner: connect as the app after it
        _owner_item[0]._app_connection = app
        return owner
    connection.close()
    connection.settings_dict.update(app)
    return owner


_owner_item: list = []  # the test marked owner_role being set up

# The longest test files, started first. pytest-xdist hands out whole files (--dist loadfile) in
# the order collected (--no-loadscope-reorder, see the Makefile; by default it hands out the
# files with the most tests first, and the page sweep has eight tests that take 3 to 4 minutes).
# A long file handed out last can keep one process busy alone at the end of the run.
LONGEST_FIRST = (
    "tests/browser/test_every_page.py",
    "tests/browser/test_admin_forms.py",
    "tests/core/test_served.py",
    "tests/core/test_first_run.py",
)


def pytest_collection_modifyitems(session, config, items):
    rank = {path: n for n, path in enumerate(LONGEST_FIRST)}
    # A stable sort: the rest stay as collected.
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "owner_role: runs as the database's owner role, not the app role (back-dating history "
        "under pgtrigger.ignore, restoring a dump)",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    """A test marked ``owner_role`` connects as the owner from its first fixture to its end."""
    if item.get_closest_marker("owner_role") is None:
        return (yield)
    from django.conf import settings
    from django.db import connection

    owner = getattr(settings, "DATABASE_OWNER", None)
    if owner:
        item._app_connection = {k: connection.settings_dict.get(k) for k in owner}
        connection.close()
        connection.settings_dict.update(owner)
    _owner_item[:] = [item]  # before the database is set up: use_app_role leaves it to us
    try:
        return (yield)
    finally:
        _owner_item.clear()


def _back_to_app_role(item):
    saved = getattr(item, "_app_connection", None)
    if saved:
        from django.db import connection

        connection.close()
        connection.settings_dict.update(saved)
        item._app_connection = None


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts with an empty cache: a test's writes are rolled back (or its database
    emptied and seeded again), so the data version can return to a value that an earlier test
    cached pages under, drawn from data that is gone."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Files (issued papers' PDFs) go to a folder of each test's own, through Django's default
    storage, never to the checkout's media/."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture(autouse=True)
def data_version_at_once(request):
    """A test runs in one transaction that never commits, so the data version's trigger, which
    runs at commit (apps/core/history/data_versions.py), is made to run at the end of every statement that
    writes: a page read after a write in a test then reads the new version, as it would after
    the write's commit."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and (marker.kwargs.get("transaction") or marker.args[:1] == (True,))
    names = set(request.fixturenames)
    if transactional or {"transactional_db", "live_server"} & names or (marker is None and "db" not in names):
        return
    request.getfixturevalue("db")
    from django.db import connection

    from apps.core.history.data_versions import TRIGGER

    with connection.cursor() as cursor:
        cursor.execute(f"SET CONSTRAINTS {TRIGGER} IMMEDIATE")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test (the browser tests, the task worker's) leaves the database as the seed
    load left it, so that whatever test runs next on this process, in whichever order
    pytest-xdist hands them out, finds it as every test expects: put back from the snapshot
    (above), or, where the owner cannot do that, emptied by Django's flush and seeded again."""
    result = yield
    _back_to_app_role(item)
    if nextitem is None or (_seeded and _seeded[0] is not None):
        return result
    marker = item.get_closest_marker("django_db")
    transactional = marker is not None and (marker.kwargs.get("transaction") or marker.args[:1] == (True,))
    if transactional or {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())):
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            call_command("load_seed", verbosity=0)
    return result


@pytest.fixture
def dorset(db):
    return Organisation.objects.get(slug="nhs-dorset-ccg")


@pytest.fixture
def darlington(db):
    return Organisation.objects.get(slug="nhs-darlington-ccg")


def _member(username, organisation, role):
    user = UserFactory(username=username)
    MembershipFactory(user=user, organisation=organisation, role=role)
    return user


@pytest.fixture
def staff_dorset(dorset):
    return _member("t.staff.dorset", dorset, Membership.Role.STAFF)


@pytest.fixture
def staff_darlington(darlington):
    return _member("t.staff.darlington", darlington, Membership.Role.STAFF)


@pytest.fixture
def board_dorset(dorset):
    return _member("t.board.dorset", dorset, Membership.Role.GOVERNING_BODY)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="t.admin", is_superuser=True, is_staff=True)


@pytest.fixture
def no_role_user(db):
    return UserFactory(username="t.nobody")


# The source documents are kept in the repository (fixtures/sources/, see fixtures/README.md), so
# the seed tests read them from any clone and never from outside the checkout.
SEEDS_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "sources"


def seed_source(name):
    """The text of a source document (fixtures/sources/<name>)."""
    return (SEEDS_DIR / name).read_text(encoding="utf-8")
