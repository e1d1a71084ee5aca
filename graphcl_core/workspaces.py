"""Workspaces: whose runs are whose, on disk, so one server can be shared by a room of people.

Every run belongs to exactly one workspace, and a workspace is a folder of the run store's root::

    <root>/                          GRAPHCL_RUNS_DIR (default ./runs)
        <workspace>/                 one folder per workspace
            workspace.json           created, last_seen (seconds since 1970), notices (sentences for the
                                     owner, shown once: "the oldest run X was deleted to keep 50")
            <run_id>/                a run, laid out as runs.py draws it
                pinned               empty marker: the max-runs rule never deletes this run
        .published/
            <workspace>/<run_id>     empty marker: that run is readable (never writable) by everyone

Names: lowercase letters, digits, ``-`` and ``_``, starting with a letter or digit, at most 64
characters; so a name can never climb out of the root (``..``, ``/``) and never collides with
``.published``. Kinds, by name:

- ``b-<32 hex digits>``: a browser's own workspace (a random token kept in a cookie; ``ui/workspace.py``);
- ``u-<24 hex digits>``: a signed-in person's workspace (a hash of the identity provider's user id);
- any other name (``cli``, the CLI's default; ``legacy``; whatever ``--workspace`` names): a named
  workspace, the host's own. The host limits (runs kept, idle expiry) apply to visitor workspaces
  (``b-`` and ``u-``) only: a 200-trial sweep in ``cli`` is never pruned.

Runs saved before workspaces existed (``<root>/<run_id>/meta.json``) are moved into ``legacy/`` the
first time a ``RunStore`` opens the root in a process. Isolation itself is enforced by ``RunStore``
(``runs.py``): a store is opened for one workspace and builds every path from that name.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
import time
from pathlib import Path

from .errors import RunStoreError

DEFAULT_WORKSPACE = "cli"
LEGACY_WORKSPACE = "legacy"
PUBLISHED_DIR = ".published"
_NAME_OK = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_VISITOR = re.compile(r"^(b-[0-9a-f]{32}|u-[0-9a-f]{24})$")
_TOKEN_OK = re.compile(r"^[0-9a-f]{32}$")
ACTIVE_STATES = ("running", "paused", "queued")
# last_seen is rewritten at most this often (seconds): every page view must not write a file.
TOUCH_EVERY_S = 60.0

_locks: dict[str, threading.Lock] = {}
_locks_lock = threading.Lock()
_migrated: set[str] = set()


def validate_name(name: object) -> str:
    """``name`` if it is a valid workspace name, else a ``RunStoreError`` saying what a name may hold."""
    if not isinstance(name, str) or not _NAME_OK.match(name):
        raise RunStoreError(f"'{name}' is not a valid workspace name: use lowercase letters, digits, '-' and '_' "
                            "(at most 64, starting with a letter or digit).")
    return name


def is_visitor(name: str) -> bool:
    """A browser's or a signed-in person's workspace (the host limits apply), not a named one."""
    return bool(_VISITOR.match(name))


def valid_token(token: object) -> bool:
    """A browser token as ``new_token`` makes them (what a cookie may hold)."""
    return isinstance(token, str) and bool(_TOKEN_OK.match(token))


def new_token() -> str:
    import secrets

    return secrets.token_hex(16)


def browser_workspace(token: str) -> str:
    if not valid_token(token):
        raise RunStoreError("Not a browser workspace token.")
    return f"b-{token}"


def user_workspace(issuer: str, subject: str) -> str:
    """A signed-in person's workspace: stable across devices, and the provider's id is not on disk."""
    digest = hashlib.sha256(f"{issuer}\n{subject}".encode("utf-8")).hexdigest()
    return f"u-{digest[:24]}"


def _lock(path: Path) -> threading.Lock:
    with _locks_lock:
        return _locks.setdefault(str(path), threading.Lock())


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(tmp, path)


def _read_info(folder: Path) -> dict:
    try:
        return json.loads((folder / "workspace.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def ensure(root: Path, name: str, now: float | None = None) -> Path:
    """The workspace's folder, made (with its ``workspace.json``) when missing."""
    folder = Path(root) / validate_name(name)
    if not (folder / "workspace.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        with _lock(folder):
            if not (folder / "workspace.json").exists():
                t = time.time() if now is None else now
                _write_json(folder / "workspace.json", {"name": name, "created": t, "last_seen": t, "notices": []})
    return folder


def info(root: Path, name: str) -> dict:
    """``workspace.json`` of ``name`` (empty when the workspace has never been written to)."""
    return _read_info(Path(root) / validate_name(name))


def touch(root: Path, name: str, now: float | None = None) -> None:
    """Note a visit (for idle expiry); writes at most every ``TOUCH_EVERY_S``."""
    t = time.time() if now is None else now
    folder = ensure(root, name, t)
    with _lock(folder):
        data = _read_info(folder)
        if abs(t - float(data.get("last_seen") or 0)) >= TOUCH_EVERY_S:
            data["last_seen"] = t
            _write_json(folder / "workspace.json", data)


def add_notice(root: Path, name: str, text: str) -> None:
    folder = ensure(root, name)
    with _lock(folder):
        data = _read_info(folder)
        data["notices"] = (list(data.get("notices") or []) + [text])[-20:]
        _write_json(folder / "workspace.json", data)


def pop_notices(root: Path, name: str) -> list[str]:
    """The workspace's pending notices, cleared (each is shown once)."""
    folder = Path(root) / validate_name(name)
    if not (folder / "workspace.json").exists():
        return []
    with _lock(folder):
        data = _read_info(folder)
        notes = list(data.get("notices") or [])
        if notes:
            data["notices"] = []
            _write_json(folder / "workspace.json", data)
        return notes


def published_marker(root: Path, name: str, run_id: str) -> Path:
    return Path(root) / PUBLISHED_DIR / validate_name(name) / run_id


def published(root: Path) -> list[tuple[str, str]]:
    """``(workspace, run_id)`` of every published run (markers whose run still exists)."""
    base = Path(root) / PUBLISHED_DIR
    if not base.is_dir():
        return []
    out = []
    for wdir in base.iterdir():
        if not _NAME_OK.match(wdir.name):
            continue
        for marker in wdir.iterdir():
            if (Path(root) / wdir.name / marker.name / "meta.json").exists():
                out.append((wdir.name, marker.name))
    return out


def names(root: Path) -> list[str]:
    """Every workspace in ``root``."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(d.name for d in root.iterdir() if d.is_dir() and _NAME_OK.match(d.name)
                  and not (d / "meta.json").exists())


def migrate_legacy(root: Path) -> list[str]:
    """Move runs saved before workspaces (``<root>/<run_id>/meta.json``) into ``legacy/``; once a process."""
    root = Path(root)
    key = str(root.absolute())
    if key in _migrated or not root.is_dir():
        return []
    moved = []
    for d in list(root.iterdir()):
        if d.is_dir() and not d.name.startswith(".") and (d / "meta.json").exists():
            target = ensure(root, LEGACY_WORKSPACE) / d.name
            try:
                os.rename(d, target)  # atomic; another process moving it first is fine
                moved.append(d.name)
            except OSError:
                continue
    _migrated.add(key)
    return moved


def _has_active_run(folder: Path) -> bool:
    from .runs import _mark_interrupted

    for d in folder.iterdir():
        try:
            meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if _mark_interrupted(meta).get("status") in ACTIVE_STATES:
            return True
    return False


def expire_idle(root: Path, idle_s: float, now: float | None = None) -> list[str]:
    """Delete visitor workspaces unseen for more than ``idle_s`` seconds (their published runs too);
    one with a run still training is kept. Returns the names deleted."""
    root = Path(root)
    t = time.time() if now is None else now
    gone = []
    for name in names(root):
        if not is_visitor(name):
            continue
        folder = root / name
        data = _read_info(folder)
        seen = float(data.get("last_seen") or 0) or folder.stat().st_mtime
        if t - seen <= idle_s or _has_active_run(folder):
            continue
        shutil.rmtree(root / PUBLISHED_DIR / name, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)
        gone.append(name)
    return gone
