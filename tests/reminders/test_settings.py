"""The reminder settings read from the environment (each case in a fresh process)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOW = (
    "import json; from django.conf import settings as s; print(json.dumps({k: getattr(s, k) for k in "
    "['EMAIL_BACKEND', 'EMAIL_HOST', 'EMAIL_PORT', 'EMAIL_HOST_USER', 'EMAIL_HOST_PASSWORD', "
    "'EMAIL_USE_TLS', 'EMAIL_TIMEOUT', 'SITE_URL']} | {'TASKS': s.TASKS['default']['BACKEND']}))"
)


def settings_with(**env):
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "EMAIL_URL", "SITE_URL", "TASKS_BACKEND"}
    }
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", SHOW],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result


def test_production_takes_the_mail_server_from_email_url_and_sends_through_the_database_worker():
    result = settings_with(
        EMAIL_URL="submission://ccgtrack%40nhs.example:s3cret@smtp.nhs.example:587?timeout=20",
        SITE_URL="https://ccgtrack.nhs.example/",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.nhs.example",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "ccgtrack@nhs.example",
        "EMAIL_HOST_PASSWORD": "s3cret",
        "EMAIL_USE_TLS": True,
        "EMAIL_TIMEOUT": 20,
        "SITE_URL": "https://ccgtrack.nhs.example",
        "TASKS": "django_tasks_db.DatabaseBackend",
    }


def test_make_run_prints_mail_on_the_console_and_runs_tasks_at_once():
    values = json.loads(settings_with(DEBUG="1").stdout)
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert values["TASKS"] == "django_tasks.backends.immediate.ImmediateBackend"
    assert values["SITE_URL"] == "http://127.0.0.1:8000"


def test_an_unknown_mail_scheme_is_refused_at_start():
    result = settings_with(EMAIL_URL="carrier-pigeon://loft")
    assert result.returncode != 0 and "EMAIL_URL must start with" in result.stderr
