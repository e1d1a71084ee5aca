"""Projection frames kept with a run, so Explore opens a finished run without projecting it again.

The live view projects snapshots while the run trains (warm-started, aligned); each such frame is
saved beside the run's snapshots. Opening the run later loads them at once, and ``FrameFiller``
projects only the epochs the live view skipped, in a background thread, continuing the warm-started
chain from the nearest saved frame and saving what it makes (the next open finds them too).
Layout, inside a run's folder (``runs.py``)::

    frames/umap-2d/epoch_000010.npz   coords (n×2, scaled ~[-1, 1]), raw (unscaled: a warm start's
                                      origin), index (which nodes), method, note, subsampled
    frames/pca-3d/...
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np

from .errors import GraphCLError
from .projection import Projection, Projector

log = logging.getLogger(__name__)

_FRAME = re.compile(r"^epoch_(\d+)\.npz$")


def frames_dir(run_dir: str | Path, method: str, dim: int) -> Path:
    return Path(run_dir) / "frames" / f"{method}-{int(dim)}d"


def save_frame(run_dir: str | Path, epoch: int, frame: Projection) -> Path | None:
    """Write ``frame`` for ``epoch`` under its own method and dimension (atomically). Returns the file, or
    None when the run's folder cannot be written (a frame is a cache: losing one costs a re-projection)."""
    d = frames_dir(run_dir, frame.method, frame.dim)
    path = d / f"epoch_{int(epoch):06d}.npz"
    tmp = d / f".{path.name}.{threading.get_ident()}.tmp"
    raw = frame.raw if frame.raw is not None else frame.coords
    try:
        d.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            np.savez(fh, coords=np.asarray(frame.coords, np.float32), raw=np.asarray(raw, np.float32),
                     index=np.asarray(frame.index, np.int64), method=np.array(frame.method),
                     note=np.array(frame.note), subsampled=np.array(bool(frame.subsampled)))
        os.replace(tmp, path)
    except OSError as e:
        log.debug("frame of epoch %s not saved: %s", epoch, e)
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        return None
    return path


def load_frame(path: Path) -> Projection:
    with np.load(path, allow_pickle=False) as z:
        coords = z["coords"]
        return Projection(coords=coords, index=z["index"], method=str(z["method"]), dim=int(coords.shape[1]),
                          subsampled=bool(z["subsampled"]), seconds=0.0, note=str(z["note"]), raw=z["raw"])


def load_frames(run_dir: str | Path, method: str, dim: int, epochs=None) -> dict[int, Projection]:
    """``{epoch: Projection}`` saved for this method and dimension (only ``epochs`` when given); unreadable
    files are skipped."""
    d = frames_dir(run_dir, method, dim)
    if not d.is_dir():
        return {}
    wanted = None if epochs is None else set(int(e) for e in epochs)
    out = {}
    for f in d.iterdir():
        m = _FRAME.match(f.name)
        if not m or (wanted is not None and int(m.group(1)) not in wanted):
            continue
        try:
            out[int(m.group(1))] = load_frame(f)
        except (OSError, ValueError, KeyError) as e:
            log.debug("skipping unreadable frame %s: %s", f, e)
    return dict(sorted(out.items()))


class FrameFiller:
    """Frames of a run for every epoch in ``epochs``: the saved ones at once, the rest projected in a daemon
    thread, the last epoch first (the picture shown on opening), then in epoch order, each warm-started
    from the nearest earlier frame and saved (``save``) as it is made.

    ``embeddings(epoch)`` gives the N×D embeddings of one snapshot; ``before_umap`` (e.g. waiting for the
    UMAP warm-up) runs once in the thread before the first UMAP layout. Read ``frames()``, ``progress()``
    and ``error`` from any thread.
    """

    def __init__(self, run_dir: str | Path, epochs: list[int], embeddings: Callable[[int], np.ndarray],
                 method: str, dim: int, *, n_total: int, save: bool = True,
                 before_umap: Callable[[], object] | None = None, **projector_kw):
        self.run_dir, self.epochs = Path(run_dir), sorted(int(e) for e in epochs)
        self._embeddings, self.method, self.dim, self.n_total = embeddings, method, int(dim), int(n_total)
        self.save, self._before_umap, self._kw = save, before_umap, projector_kw
        self._frames = load_frames(self.run_dir, method, dim, self.epochs)
        self.loaded = len(self._frames)  # found on disk
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.error: str | None = None

    def missing(self) -> list[int]:
        with self._lock:
            todo = [e for e in self.epochs if e not in self._frames]
        if todo and todo[-1] == self.epochs[-1]:
            todo = todo[-1:] + todo[:-1]  # the last epoch is what a page shows first
        return todo

    def start(self) -> "FrameFiller":
        if self._thread is None and self.missing():
            self._thread = threading.Thread(target=self._fill, name="graphcl-frame-filler", daemon=True)
            self._thread.start()
        return self

    def frames(self) -> dict[int, Projection]:
        with self._lock:
            return dict(self._frames)

    def frames_or_nearest(self) -> dict[int, Projection]:
        """Every wanted epoch mapped to its frame, or while that is still being made, to the frame of the
        nearest epoch that has one (the earlier on a tie): a page can index it by any epoch at once.
        Empty until the first frame exists."""
        have = self.frames()
        if not have:
            return {}
        keys = np.array(sorted(have))
        out = {}
        for e in self.epochs:
            i = int(np.searchsorted(keys, e))
            near = [k for k in (keys[i - 1] if i > 0 else None, keys[i] if i < len(keys) else None) if k is not None]
            out[e] = have[int(min(near, key=lambda k: (abs(int(k) - e), k)))]
        return out

    def progress(self) -> tuple[int, int]:
        """``(frames ready, frames wanted)``."""
        with self._lock:
            return len(self._frames), len(self.epochs)

    @property
    def done(self) -> bool:
        return self.error is not None or self.progress()[0] >= len(self.epochs)

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def wait_for_any(self, timeout: float) -> bool:
        """Block until at least one frame exists (or the filling ended), at most ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not self.frames() and not self.done and time.monotonic() < deadline:
            if self._thread is None or not self._thread.is_alive():
                break
            time.sleep(0.02)
        return bool(self.frames())

    def _cold_start(self, projector: Projector) -> None:
        """Forget the previous frame; show the nodes the saved frames show, if any (one subset for the whole
        timeline, whatever ``max_points`` the live view had)."""
        projector.reset()
        with self._lock:
            any_saved = next(iter(self._frames.values()), None)
        if any_saved is not None:
            projector.continue_from(any_saved, self.n_total, warm=False)

    def _fill(self) -> None:
        projector = Projector(self.method, self.dim, **self._kw)
        last_epoch = None  # the epoch of the projector's previous frame
        try:
            if self.method == "umap" and self._before_umap is not None and not projector.on_gpu:
                self._before_umap()
            for e in self.missing():
                with self._lock:
                    earlier = [k for k in self._frames if k < e]
                    base = self._frames[max(earlier)] if earlier else None
                if base is not None and last_epoch != max(earlier):
                    projector.continue_from(base, self.n_total)
                elif base is None and (last_epoch is None or last_epoch > e):
                    self._cold_start(projector)
                frame = projector.project(self._embeddings(e))
                with self._lock:
                    self._frames[e] = frame
                last_epoch = e
                if self.save:
                    save_frame(self.run_dir, e, frame)
        except GraphCLError as e:
            self.error = str(e)
        except Exception as e:  # noqa: BLE001 - a background thread must say what went wrong, not vanish
            log.exception("projecting the run's frames failed")
            self.error = f"Projecting the snapshots failed: {e}"
