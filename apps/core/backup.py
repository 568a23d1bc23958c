"""One backup that holds everything a restore needs: the database and the issued papers' files.

``pg_dump`` holds every row, but an issued paper's PDF lives in Django's file storage (a folder,
or an S3 bucket), so a database restored alone answers 503 for every paper whose file is not
there. ``manage.py backup FILE`` writes one archive (a tar file) with:

- ``database.dump``: ``pg_dump --format=custom`` of the whole database, as the owner role;
- ``files/<name>``: every file an issued paper names, read through the storage, each checked
  against the SHA-256 the paper recorded at issue;
- ``manifest.json``: when, which database, and each file's name, size and SHA-256.

``manage.py restore FILE`` checks the archive against its manifest, restores the database over
the current one in one transaction (``pg_restore --clean --if-exists --single-transaction``; a
failure leaves the database as it was), gives the app role its privileges again, writes the
files back through the storage (a file already there with the right content is left alone),
checks every issued paper's file against its SHA-256, and empties the cache, so no page drawn
from the data before the restore is served after it. Run it as the README's "Backups" says.
"""

import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connections
from django.utils import timezone

from apps.core import dbroles

FORMAT = "ccgtrack-backup-1"
DUMP = "database.dump"
MANIFEST = "manifest.json"
FILES = "files/"


class BackupError(Exception):
    """The backup or restore could not be made; the message says why. A restore that fails
    leaves the database as it was."""


@dataclass
class Summary:
    database: str
    files: list[dict[str, Any]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # papers whose file could not be read or checked


def _binary(name: str) -> str:
    """``pg_dump``/``pg_restore`` of the server's version: PG_BIN_DIR, the embedded server's own
    (when DATABASE_URL is unset), else the one on PATH."""
    directory = os.environ.get("PG_BIN_DIR", "")
    if directory:
        return str(Path(directory) / name)
    if not os.environ.get("DATABASE_URL"):
        from pgserver._commands import POSTGRES_BIN_PATH

        return str(POSTGRES_BIN_PATH / name)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} was not found: install PostgreSQL's client programs or set PG_BIN_DIR.")
    return found


def _libpq(parameters: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """Command-line options and environment for a libpq program connecting with ``parameters``
    (a DATABASES entry): the password and options go in the environment, never on the command line."""
    args = ["--dbname", parameters["NAME"]]
    env = dict(os.environ)
    if parameters.get("USER"):
        args += ["--username", parameters["USER"]]
    if parameters.get("HOST"):
        args += ["--host", str(parameters["HOST"])]
    if parameters.get("PORT"):
        args += ["--port", str(parameters["PORT"])]
    if parameters.get("PASSWORD"):
        env["PGPASSWORD"] = parameters["PASSWORD"]
    for key, value in (parameters.get("OPTIONS") or {}).items():
        if key == "host" and not parameters.get("HOST"):  # the embedded server's socket folder
            args += ["--host", str(value)]
        elif key == "sslmode":
            env["PGSSLMODE"] = str(value)
        elif key == "sslrootcert":
            env["PGSSLROOTCERT"] = str(value)
    return args, env


def _owner_parameters(using: str = "default") -> dict[str, Any]:
    owner = getattr(settings, "DATABASE_OWNER", None)
    parameters = dict(connections[using].settings_dict)
    if owner:
        parameters.update({k: v for k, v in owner.items() if k in dbroles._CONNECTION_KEYS})
    return parameters


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _paper_files():
    """(how a message names the paper, its file's name, its SHA-256) of every issued paper:
    the board's and the committees' (apps.assurance.models.CommitteePaper)."""
    from apps.assurance.models import CommitteePaper
    from apps.reports.models import IssuedPaper

    board = IssuedPaper.objects.order_by("pk").values_list("pk", "pdf", "pdf_sha256")
    committee = CommitteePaper.objects.order_by("pk").values_list("pk", "pdf", "pdf_sha256")
    return [(f"paper {pk}", name, sha) for pk, name, sha in board] + [
        (f"committee paper {pk}", name, sha) for pk, name, sha in committee
    ]


def backup(target: Path, using: str = "default") -> Summary:
    """Write the archive to ``target`` (see the module's docstring)."""
    parameters = _owner_parameters(using)
    summary = Summary(database=parameters["NAME"])
    with tempfile.TemporaryDirectory(prefix="ccgtrack-backup-") as work:
        dump = Path(work) / DUMP
        args, env = _libpq(parameters)
        result = subprocess.run(
            [_binary("pg_dump"), "--format=custom", "--no-owner", "--file", str(dump), *args],
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w") as archive:
            archive.add(dump, arcname=DUMP)
            for paper, name, expected in _paper_files():
                try:
                    with default_storage.open(name, "rb") as stream:
                        data = stream.read()
                except (OSError, ValueError):
                    summary.missing.append(f"{paper}: {name} (not in the file storage)")
                    continue
                if _sha256(data) != expected:
                    summary.missing.append(f"{paper}: {name} (its content does not match the paper)")
                    continue
                info = tarfile.TarInfo(FILES + name)
                info.size = len(data)
                info.mtime = int(timezone.now().timestamp())
                archive.addfile(info, io.BytesIO(data))
                summary.files.append({"name": name, "size": len(data), "sha256": expected, "paper": paper})
            manifest = json.dumps(
                {
                    "format": FORMAT,
                    "created_at": timezone.now().isoformat(),
                    "database": summary.database,
                    "dump_sha256": _sha256(dump.read_bytes()),
                    "files": summary.files,
                    "missing": summary.missing,
                },
                indent=1,
            ).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(manifest)
            archive.addfile(info, io.BytesIO(manifest))
        partial.replace(target)  # a backup cut short never looks like a whole one
    return summary


def _read_archive(source: Path, work: Path) -> dict[str, Any]:
    try:
        with tarfile.open(source, "r") as archive:
            manifest = json.loads(archive.extractfile(MANIFEST).read())  # type: ignore[union-attr]
            if manifest.get("format") != FORMAT:
                raise BackupError(f"{source} is not a ccgtrack backup ({manifest.get('format')!r}).")
            archive.extractall(work, filter="data")
    except (tarfile.TarError, KeyError, OSError, ValueError, AttributeError) as exc:
        raise BackupError(f"{source} cannot be read as a ccgtrack backup ({exc}).") from exc
    if _sha256((work / DUMP).read_bytes()) != manifest["dump_sha256"]:
        raise BackupError(f"{source}: the database dump does not match its manifest; nothing was restored.")
    for entry in manifest["files"]:
        data = (work / FILES / entry["name"]).read_bytes()
        if _sha256(data) != entry["sha256"]:
            raise BackupError(f"{source}: {entry['name']} does not match its manifest; nothing was restored.")
    return manifest


def restore(source: Path, using: str = "default") -> Summary:
    """Restore the archive ``source`` over the database and the file storage (see the module's
    docstring). Nothing is changed if the archive does not check out."""
    parameters = _owner_parameters(using)
    with tempfile.TemporaryDirectory(prefix="ccgtrack-restore-") as directory:
        work = Path(directory)
        manifest = _read_archive(source, work)
        connections[using].close()  # this process's idle connection does not hold up the restore
        args, env = _libpq(parameters)
        result = subprocess.run(
            [
                _binary("pg_restore"),
                "--clean",
                "--if-exists",
                "--single-transaction",
                "--no-owner",
                "--no-privileges",  # granted again below, to this server's app role
                "--exit-on-error",
                *args,
                str(work / DUMP),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed; the database is as it was. {result.stderr.strip()}")
        with dbroles.owner_connection(using):
            dbroles.install_guards(using)
            if dbroles.app_role():
                dbroles.grant_app_role(dbroles.app_role(), using)
        for entry in manifest["files"]:
            name = entry["name"]
            data = (work / FILES / name).read_bytes()
            if default_storage.exists(name):
                with default_storage.open(name, "rb") as stream:
                    if _sha256(stream.read()) == entry["sha256"]:
                        continue
                default_storage.delete(name)  # a different file under the paper's name
            saved = default_storage.save(name, ContentFile(data))
            if saved != name:
                raise BackupError(f"The storage kept {name} as {saved}; the paper would not find it.")
    summary = Summary(database=parameters["NAME"], files=manifest["files"])
    for paper, name, expected in _paper_files():
        try:
            with default_storage.open(name, "rb") as stream:
                if _sha256(stream.read()) == expected:
                    continue
        except (OSError, ValueError):
            pass
        summary.missing.append(f"{paper}: {name}")
    cache.clear()  # nothing drawn from the data before the restore is served after it
    return summary
