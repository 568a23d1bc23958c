import json
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


def _default_storage(env_overrides):
    """The default storage and MEDIA_ROOT the production settings make of ``env_overrides``."""
    result = _manage(
        "shell",
        "-c",
        "import json; from django.conf import settings; "
        "print(json.dumps([settings.STORAGES['default'], str(settings.MEDIA_ROOT)]))",
        env_overrides=env_overrides,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_files_are_kept_in_an_ignored_folder_of_the_checkout_by_default():
    env = {k: "" for k in ("MEDIA_ROOT", "AWS_STORAGE_BUCKET_NAME")}
    storage, media_root = _default_storage(env)
    assert storage == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert Path(media_root) == ROOT / "media"
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "media/issued-papers/paper-1.pdf"], cwd=ROOT, capture_output=True
    )
    assert ignored.returncode == 0, "media/ is not ignored by git"
    assert _default_storage({**env, "MEDIA_ROOT": "/srv/ccgtrack-files"})[1] == "/srv/ccgtrack-files"


def test_an_s3_bucket_is_used_when_the_environment_names_one():
    storage, _ = _default_storage(
        {
            "AWS_STORAGE_BUCKET_NAME": "ccgtrack-papers",
            "AWS_S3_ENDPOINT_URL": "https://objects.example.nhs.uk",
            "AWS_S3_REGION_NAME": "eu-west-2",
            "AWS_LOCATION": "board-papers",
        }
    )
    assert storage == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": "ccgtrack-papers",
            "endpoint_url": "https://objects.example.nhs.uk",
            "region_name": "eu-west-2",
            "location": "board-papers",
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }


def test_the_tests_keep_files_in_a_temporary_folder(tmp_path):
    from django.core.files.base import ContentFile
    from django.core.files.storage import FileSystemStorage, default_storage

    name = default_storage.save("probe.txt", ContentFile(b"x"))
    assert isinstance(default_storage._wrapped, FileSystemStorage)
    assert (tmp_path / "media" / name).read_bytes() == b"x"
