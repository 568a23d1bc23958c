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
SET_UP = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
call_command("load_seed")
call_command("create_demo_accounts")
"""


class Stopped(Exception):
    pass


def _stop(signum, frame):
    raise Stopped(signal.Signals(signum).name)


def _stop_group(process):
    for signum, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    address = argv[0] if argv else "127.0.0.1:8000"
    env = {**os.environ, "DEBUG": "1", "DEMO_LOGINS": "1", "DJANGO_SETTINGS_MODULE": "ccgtrack.settings"}
    started_postgres = False
    server = None
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop)
    try:
        if not os.environ.get("DATABASE_URL"):
            from ccgtrack import embedded_db

            started_postgres = not embedded_db.is_running()
            # The commands below use these URLs instead of each asking pgserver again: the app
            # role serves, the owner role migrates (apps/core/dbroles.py).
            env["DATABASE_URL"] = embedded_db.database_url()
            env["DATABASE_OWNER_URL"] = embedded_db.owner_url()
        # migrate, load_seed and create_demo_accounts, in one process (each start costs a second)
        subprocess.run([sys.executable, "-c", SET_UP], cwd=ROOT, env=env, check=True)
        manage = [sys.executable, "manage.py"]
        print(f"\nccgtrack is starting at http://{address}/  (Ctrl+C to stop)", flush=True)
        # Its own process group: the development server is two processes (the autoreloader and
        # the server), and both are stopped with it below, however this one was stopped.
        server = subprocess.Popen([*manage, "runserver", address], cwd=ROOT, env=env, process_group=0)
        return server.wait()
    except (KeyboardInterrupt, Stopped):
        return 0
    except subprocess.CalledProcessError as exc:
        return exc.returncode
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)  # a second Ctrl+C must not cut the clean-up short
        if server is not None:
            _stop_group(server)
        if started_postgres:
            from ccgtrack import embedded_db

            if embedded_db.stop():
                print("Stopped the embedded PostgreSQL.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
