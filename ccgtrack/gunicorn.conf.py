"""gunicorn settings for `make serve` (and the fault test, which serves exactly this way).

gthread workers: each worker process runs WEB_THREADS threads, so a request that waits (on
PostgreSQL, on a slow client) does not hold a whole process, and /healthz is answered beside
the pages instead of queueing behind them, as it did with one request per sync worker
(README "Serving": the measured figures).

Two threads a worker, not four: on two cores, 50 people of `make bench SCALE=national` (5%
writes) were served faster and without a long tail by 3 x 2 than by 3 x 4. With four threads a
process, a thread back from PostgreSQL waits for the interpreter behind three others computing
pages, and every page makes tens of queries (README "Serving": the runs).
"""

import os


def _int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value.isdigit() else default


wsgi_app = "ccgtrack.wsgi:application"
worker_class = "ccgtrack.gunicorn_worker.HealthFirstWorker"  # gthread, /healthz first
workers = _int("WEB_CONCURRENCY", 3)
threads = _int("WEB_THREADS", 2)
# A worker that stops answering is replaced after this long; requests are bounded well below.
timeout = 60
graceful_timeout = 20
keepalive = _int("WEB_KEEPALIVE", 5)
accesslog = "-"
# The proxies whose X-Forwarded-Proto gunicorn believes (Django reads it through
# SECURE_PROXY_SSL_HEADER); the default is the loopback addresses only.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def post_worker_init(worker):
    """Each worker, once it has loaded the app: load the rest of what every request uses and
    freeze it out of the collector's full passes (``load_and_freeze``)."""
    from ccgtrack.gunicorn_worker import load_and_freeze

    load_and_freeze()
