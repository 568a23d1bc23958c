"""`make run`: migrate, load the seed, create the demo accounts and serve on the development
server, and when it is stopped (Ctrl+C, or a SIGTERM or SIGHUP), stop the embedded PostgreSQL
too if this run started it. A server that was already running (another `make run`, a test run
using it) is left as it was.

    python -m ccgtrack.devserver [ADDRESS:PORT]

The development server runs with DEBUG on (static files, plain-HTTP cookies, demo accounts)
and DEMO_LOGINS on (the login page lists the demo accounts); the error pages are the
product's (apps/core/errors.py) unless DEBUG_PAGES=1.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Stopped(Exception):
    pass


def _stop(signum, frame):
    raise Stopped(signal.Signals(signum).name)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    address = argv[0] if argv else "127.0.0.1:8000"
    env = {**os.environ, "DEBUG": "1", "DEMO_LOGINS": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    started_postgres = False
    server = None
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop)
    try:
        if not os.environ.get("DATABASE_URL"):
            from ccgtrack import embedded_db

            started_postgres = not embedded_db.is_running()
            # The commands below use this URL instead of each asking pgserver again.
            env["DATABASE_URL"] = embedded_db.database_url()
        manage = [sys.executable, "manage.py"]
        for command in (["migrate", "--noinput", "-v0"], ["load_seed"], ["create_demo_accounts"]):
            subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True)
        print(f"\nccgtrack is starting at http://{address}/  (Ctrl+C to stop)", flush=True)
        server = subprocess.Popen([*manage, "runserver", address], cwd=ROOT, env=env)
        return server.wait()
    except (KeyboardInterrupt, Stopped):
        return 0
    except subprocess.CalledProcessError as exc:
        return exc.returncode
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)  # a second Ctrl+C must not cut the clean-up short
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGINT)  # a terminal's Ctrl+C has reached it already
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        if started_postgres:
            from ccgtrack import embedded_db

            if embedded_db.stop():
                print("Stopped the embedded PostgreSQL.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
