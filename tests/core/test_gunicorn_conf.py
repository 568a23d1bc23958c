"""How `make serve` runs its workers (ccgtrack/gunicorn.conf.py), beyond what the served tests
(tests/core/test_served.py) see from outside."""

import gc
import runpy
from pathlib import Path

from django.template import engines

CONF = Path(__file__).resolve().parents[2] / "ccgtrack" / "gunicorn.conf.py"


def _compiled_templates():
    engine = engines["django"].engine
    return {
        name
        for loader in engine.template_loaders
        for name in getattr(loader, "get_template_cache", {})
        if isinstance(name, str)
    }


def test_a_worker_loads_the_pages_parts_and_freezes_them_out_of_full_collections():
    conf = runpy.run_path(str(CONF))
    assert conf["worker_class"] == "ccgtrack.gunicorn_worker.HealthFirstWorker"
    gc.unfreeze()
    try:
        conf["post_worker_init"](worker=None)
        # Everything the process holds now (Django, the app, its URLs and views, the project's
        # templates compiled) is left out of the collector's passes: a full pass walks only
        # what requests made since.
        assert gc.get_freeze_count() > 50_000
        assert len(gc.get_objects()) < gc.get_freeze_count() / 10
        assert {"base.html", "dashboards/organisation.html", "plans/deliverable_list.html"} <= (
            _compiled_templates()
        )
    finally:
        gc.unfreeze()
