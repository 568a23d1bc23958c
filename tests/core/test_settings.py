import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, env_overrides):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(env_overrides)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_check_deploy_with_no_warnings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_overrides={
            "SECRET_KEY": "x" * 20 + "a-real-production-secret-key-value-1234567890",
            "ALLOWED_HOSTS": "ccgtrack.nhs.example",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stderr


def test_production_refuses_to_serve_without_a_secret_key():
    deploy = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_overrides={"ALLOWED_HOSTS": "ccgtrack.nhs.example"},
    )
    assert deploy.returncode != 0
    assert "security.W009" in deploy.stderr  # `make serve` runs this check first
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
    serve = subprocess.run(
        [sys.executable, "-c", "import ccgtrack.wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert serve.returncode != 0
    assert "SECRET_KEY must be set" in serve.stderr


def test_management_commands_run_in_a_bare_shell():
    result = _manage("makemigrations", "--check", "--dry-run", env_overrides={})
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("url", ["sqlite:///db.sqlite3", "mysql://root@127.0.0.1/ccgtrack"])
def test_only_postgresql_is_accepted(url):
    result = _manage("check", env_overrides={"DEBUG": "1", "DATABASE_URL": url})
    assert result.returncode != 0
    assert "PostgreSQL only" in result.stderr
