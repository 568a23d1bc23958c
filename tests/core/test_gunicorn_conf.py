"""How `make serve` runs its workers (ccgtrack/gunicorn.conf.py), beyond what the served tests
(tests/core/test_served.py) see from outside."""

import gc
import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parents[2] / "ccgtrack" / "gunicorn.conf.py"


def test_a_worker_freezes_what_it_loaded_so_full_collections_skip_it():
    conf = runpy.run_path(str(CONF))
    assert conf["worker_class"] == "ccgtrack.gunicorn_worker.HealthFirstWorker"
    gc.unfreeze()
    try:
        conf["post_worker_init"](worker=None)
        # Everything the process holds now (Django and the app, loaded) is left out of the
        # collector's passes: a full pass then walks only what requests made since.
        assert gc.get_freeze_count() > 10_000
        assert len(gc.get_objects()) < gc.get_freeze_count()
    finally:
        gc.unfreeze()
