"""An uploaded file between its preview and its confirmation.

The bytes are kept through Django's file storage, so that every app server reads the same file
(the default storage: ``MEDIA_ROOT``, or the S3 bucket when ``AWS_STORAGE_BUCKET_NAME`` is set;
``PLAN_IMPORT_DIR`` names a folder of its own instead), named by a random token and the user's
id; the token, its owner, the target, the file's SHA-256 and the preview's fingerprint are kept
in the user's session. A file waits at most ``PENDING_MAX_AGE``; each person has at most
``MAX_PENDING_PER_USER`` files and ``MAX_PENDING_BYTES_PER_USER`` bytes waiting, over all their
sessions (the oldest go first), and the folder is swept of old files at every upload.
"""

import hashlib
import re
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.utils import timezone

PENDING_MAX_AGE = 60 * 60  # seconds an uploaded file waits for its confirmation
SESSION_KEY = "plan_imports"
MAX_PENDING_PER_USER = 5
MAX_PENDING_BYTES_PER_USER = 30 * 1024 * 1024
FOLDER = "plan-imports"  # in the default storage
_TOKEN = re.compile(r"[A-Za-z0-9_-]{40,60}")
_NAME = re.compile(r"u(\d+)-([A-Za-z0-9_-]{40,60})\.upload")


def _storage() -> tuple[Storage, str]:
    directory = getattr(settings, "PLAN_IMPORT_DIR", "")
    if directory:
        return FileSystemStorage(location=directory, file_permissions_mode=0o600), ""
    return default_storage, FOLDER + "/"


def _name(user_id, token):
    return f"u{user_id}-{token}.upload"


def _listing():
    """[(name, user id)] of the files waiting, in the storage's folder."""
    storage, prefix = _storage()
    try:
        _, files = storage.listdir(prefix.rstrip("/"))
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = []
    for name in files:
        match = _NAME.fullmatch(name)
        if match:
            found.append((name, int(match.group(1))))
    return found


def _age(storage, path):
    try:
        return (timezone.now() - storage.get_modified_time(path)).total_seconds()
    except (OSError, NotImplementedError):
        return 0


def _sweep_and_cap(user_id, incoming):
    """Delete files past PENDING_MAX_AGE, and the user's oldest until the new one fits."""
    storage, prefix = _storage()
    mine = []
    for name, owner in _listing():
        path = prefix + name
        age = _age(storage, path)
        if age > PENDING_MAX_AGE:
            storage.delete(path)
        elif owner == user_id:
            mine.append((age, path, storage.size(path)))
    mine.sort(reverse=True)  # the oldest first
    total = sum(size for _, _, size in mine)
    while mine and (len(mine) >= MAX_PENDING_PER_USER or total + incoming > MAX_PENDING_BYTES_PER_USER):
        _, path, size = mine.pop(0)
        storage.delete(path)
        total -= size


def stash(request, *, data, file_name, organisation, plan, preview, new_plan=None):
    """Keep an uploaded file for its confirmation; returns its token."""
    storage, prefix = _storage()
    user_id = request.user.pk
    _sweep_and_cap(user_id, len(data))
    token = secrets.token_urlsafe(32)
    storage.save(prefix + _name(user_id, token), ContentFile(data))
    pending = {
        t: entry
        for t, entry in request.session.get(SESSION_KEY, {}).items()
        if storage.exists(_path(entry, t))
    }
    pending[token] = {
        "user": user_id,
        "file_name": file_name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "organisation": organisation.pk,
        "plan": plan.pk if plan else None,
        "new_plan": new_plan,
        "fingerprint": preview.fingerprint(),
        "counts": _counts(preview),
        "versions": preview.base_versions(),
        "created": time.time(),
    }
    request.session[SESSION_KEY] = pending
    return token


def _counts(preview):
    return {
        "new": len(preview.new),
        "changed": len(preview.changed),
        "conflicts": len(preview.conflicts),
        "unchanged": len(preview.unchanged),
    }


def _path(entry, token):
    _, prefix = _storage()
    return prefix + _name(entry.get("user"), token)


@dataclass
class Pending:
    token: str
    data: bytes
    file_name: str
    organisation_id: int
    plan_id: int | None
    new_plan: dict | None
    fingerprint: str
    versions: dict  # deliverable id -> the version the importer's data rests on
    counts: dict  # of the preview confirmed: new, changed, conflicts, unchanged


def unstash(request, token):
    """The upload kept under ``token`` for this user, or None (unknown, another user's, expired
    or altered)."""
    pending = request.session.get(SESSION_KEY, {})
    entry = pending.get(token) if isinstance(token, str) else None
    if not entry or entry.get("user") != request.user.pk or not _TOKEN.fullmatch(token):
        return None
    if time.time() - entry["created"] > PENDING_MAX_AGE:
        discard(request, token)
        return None
    storage, _ = _storage()
    try:
        with storage.open(_path(entry, token), "rb") as stream:
            data = stream.read()
    except (OSError, ValueError):
        return None
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        return None
    return Pending(
        token=token,
        data=data,
        file_name=entry["file_name"],
        organisation_id=entry["organisation"],
        plan_id=entry["plan"],
        new_plan=entry.get("new_plan"),
        fingerprint=entry["fingerprint"],
        versions={int(k): v for k, v in entry["versions"].items()},
        counts=entry.get("counts", {}),
    )


def refresh(request, token, preview):
    """Point a kept upload at a new preview (after a conflict the user sees the current one).
    The versions the rows rest on stay those of the first preview: a row someone changed
    since is still a conflict, never an ordinary change."""
    pending = dict(request.session.get(SESSION_KEY, {}))
    if token in pending:
        pending[token] = {**pending[token], "fingerprint": preview.fingerprint(), "counts": _counts(preview)}
        request.session[SESSION_KEY] = pending


def discard(request, token):
    """Forget a kept upload and delete its file."""
    pending = dict(request.session.get(SESSION_KEY, {}))
    entry = pending.pop(token, None)
    if entry and _TOKEN.fullmatch(token or ""):
        storage, _ = _storage()
        storage.delete(_path(entry, token))
    request.session[SESSION_KEY] = pending
