"""`python -m bench [--scale seed|national] ...` (what `make bench` runs; see bench/run.py)."""

import os
import sys


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccgtrack.settings_test")
    import django

    django.setup()
    from bench.run import main as run

    return run(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
