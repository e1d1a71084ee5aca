"""Snapshots from Ray actors through a folder on the run store's disk instead of Ray's object store.

A 108-trial Cora sweep makes 1.1 GB of snapshots. Sent in the actors' events they crossed Ray's
object store, were copied out of it by the driver and written again by the driver's one writer
thread: on 2 H200s the driver's relay took 1.0-1.4 s and the sweep ended 1.5 s after its actors'
shares (issue 11). Where an actor sees the driver's folder (this machine, or a shared disk), it
writes each new snapshot (and a trial's final weights) there itself, on a thread of its own beside
its training, and the event carries only the file's name (``Snapshot.file``, ``TrialEvent.weights_file``);
the run store then hard-links the file into the trial's run folder (``RunWriter.save_progress``,
``link_weights``), and the sweep reads back only the newest snapshot
of a trial for the live grid (``embeddings_of``). An actor on a node without that disk finds no
``TOKEN_NAME`` file with the sweep's token there and sends its snapshots in its events as before.

Driver: ``Spool.open(folder)`` (the sweep's runner, in its workspace folder; removed with ``close``
once the run files are written). Actor: ``SpoolWriter.connect(path, token)``, then ``emit``.
"""

from __future__ import annotations

import copy
import os
import secrets
import shutil
import socket
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np

TOKEN_NAME = ".token"
OWNER_NAME = ".owner"  # "<host> <pid>" of the sweep's process (orphans are removed: remove_orphans)
PREFIX = ".snapshot-spool-"  # a hidden folder: the run store lists only folders with a meta.json


class Spool:
    """The driver's side: a fresh folder with a token file; ``ref`` is what the actors are told."""

    def __init__(self, path: Path, token: str):
        self.path, self.token = path, token

    @classmethod
    def open(cls, parent: str | Path) -> "Spool | None":
        """A new spool folder in ``parent``; None where it cannot be made (a read-only disk: the actors
        then send their snapshots in their events). Spools this machine's ended processes left behind
        (killed mid-sweep) are removed first."""
        try:
            Path(parent).mkdir(parents=True, exist_ok=True)
            remove_orphans(parent)
            path = Path(tempfile.mkdtemp(prefix=PREFIX, dir=parent))
            token = secrets.token_hex(8)
            (path / OWNER_NAME).write_text(f"{socket.gethostname()} {os.getpid()}")
            (path / TOKEN_NAME).write_text(token)
        except OSError:
            return None
        return cls(path, token)

    @property
    def ref(self) -> tuple[str, str]:
        return str(self.path), self.token

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def remove_orphans(parent: str | Path) -> list[Path]:
    """Remove the spools in ``parent`` whose owner was a process of this machine that has ended; returns them.
    (Another machine's, on a shared disk, are left alone: its processes cannot be seen from here.)"""
    gone = []
    for d in Path(parent).glob(PREFIX + "*"):
        try:
            host, pid = (d / OWNER_NAME).read_text().split()
        except (OSError, ValueError):
            continue  # being made just now, or not one of ours
        if host == socket.gethostname() and not _alive(int(pid)):
            shutil.rmtree(d, ignore_errors=True)
            gone.append(d)
    return gone


def _alive(pid: int) -> bool:
    """Whether process ``pid`` of this machine exists (another user's counts: it cannot be signalled)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: someone else's process
        return True
    return True


def visible(ref: tuple[str, str] | None) -> bool:
    """Whether this process sees the driver's spool ``ref`` (``Spool.ref``): its token file is there."""
    if not ref:
        return False
    path, token = ref
    try:
        return (Path(path) / TOKEN_NAME).read_text() == token
    except OSError:
        return False


def embeddings_of(snapshot) -> np.ndarray:
    """A snapshot's embeddings, read from its spool file when it has no array in memory."""
    if snapshot.embeddings is not None or getattr(snapshot, "file", None) is None:
        return snapshot.embeddings
    return np.load(snapshot.file)


class SpoolWriter:
    """The actor's side: writes new snapshots' files on one thread, then hands the event on (in order).

    A file that cannot be written (a full disk: ``OSError``, or torch's ``RuntimeError``) is not lost: that
    snapshot or those weights travel in the event as they would without a spool. Each writer's files have
    names of their own (``prefix``), so a batch still running on after its sweep ended can never overwrite
    a file the next sweep's runs have linked."""

    def __init__(self, path: Path):
        self.path = path
        self.prefix = secrets.token_hex(4)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="graphcl-spool")
        self._last = None
        self._lock = threading.Lock()
        self._count = 0  # weights files written (their names must not repeat)

    @classmethod
    def connect(cls, ref: tuple[str, str] | None) -> "SpoolWriter | None":
        """A writer into the driver's spool, or None where this actor cannot see it."""
        return cls(Path(ref[0])) if visible(ref) else None

    def emit(self, ev, kept, deliver: Callable) -> None:
        """Write ``ev``'s snapshots, then ``deliver((ev', kept))`` with ``ev'`` naming the files instead
        of holding the arrays; every event goes through here, so they are delivered in the order emitted."""
        with self._lock:
            self._last = self._pool.submit(self._write, ev, kept, deliver)

    def _write(self, ev, kept, deliver: Callable) -> None:
        out = ev
        try:
            if ev.snapshots or ev.weights:
                out = copy.copy(ev)
                out.snapshots = [self._save(ev.index, s) for s in ev.snapshots]
                if ev.weights:
                    out.weights, out.weights_file = self._save_weights(ev.index, ev.weights)
        finally:
            deliver((out, kept))  # (an unexpected error still delivers the event, with its arrays)

    def _save_weights(self, trial: int, weights: dict) -> tuple[dict | None, str | None]:
        """``(None, file)``: the state dict saved as ``RunWriter.save_weights`` saves one; ``(weights, None)``
        where it cannot be written (it then travels in the event)."""
        import torch

        self._count += 1
        name = self.path / f"{self.prefix}_trial{trial:05d}_weights{self._count:06d}.pt"
        try:
            torch.save({k: v.detach().cpu() for k, v in weights.items()}, name)
        except Exception:  # noqa: BLE001 - a full disk is a RuntimeError in torch.save
            name.unlink(missing_ok=True)
            return weights, None
        return None, str(name)

    def _save(self, trial: int, s):
        if s.embeddings is None:
            return s
        name = self.path / f"{self.prefix}_trial{trial:05d}_epoch{s.epoch:06d}.npy"
        try:
            np.save(name, s.embeddings)
        except Exception:  # noqa: BLE001 - a full disk: this one travels in the event, as without the spool
            name.unlink(missing_ok=True)
            return s
        return replace(s, embeddings=None, file=str(name))

    def drain(self) -> None:
        """Return once every event emitted so far was delivered (never raises: a failed write was sent instead)."""
        with self._lock:
            last = self._last
        if last is not None:
            try:
                last.result()
            except Exception:  # noqa: BLE001 - delivered all the same (_write's finally)
                pass

    def close(self) -> None:
        self._pool.shutdown(wait=True)
