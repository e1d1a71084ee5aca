"""The Train page's projection of the epoch on screen (``ui.pacing``): one warm-started chain per run,
projected in a thread of its own.

While a fast run is played back the picture is behind training, so the frame drawn is that of the
snapshot at or before the epoch on screen, not the newest. Frames are projected in the order they
are asked for by one ``Projector`` (PCA until UMAP is warm, then UMAP), each warm-started and aligned
on the one before, so points move smoothly and the picture does not jump when the playback catches
up with training. Each frame is also saved beside the run's snapshots (``graphcl_core.saved_frames``),
so Explore opens the run without projecting it again.

Why a thread: a UMAP frame takes 0.1-1 s, and projected inside the page's redraw it held back
everything drawn after it (and the next redraw), the first loss point after Start among them, and
with 20 visitors on 2 cores every redraw. The page now asks for the frame it wants, waits a moment
(``WAIT_S``) and draws the newest frame that is ready; a slower frame appears at the next redraw. The
last redraw (no poll follows) waits for its frame.
"""

from __future__ import annotations

import contextlib
import threading
import time

import numpy as np

from graphcl_core import projection, saved_frames
from graphcl_core.errors import GraphCLError
from graphcl_core.worker import TrainingJob

from . import first_frame_ahead, pacing
from .registry import Slot
from .training import LIVE_MAX_POINTS

CACHE_KEY = "paced-frames"
WAIT_S = 0.3  # how long a redraw waits for the frame it asked for before drawing the newest one ready
FINAL_WAIT_S = 60.0  # after the run: the last redraw's frame
IDLE_EXIT_S = 30.0  # the projecting thread ends after this long without a request (and restarts on one)
WARM_CHECK_S = 0.05  # while the frames are PCA because UMAP warms up: how often the thread looks whether it is warm
WARM_SWITCH_RECENT_S = 5.0  # ... and only for a page that asked for a frame this recently
FIRST_SNAPSHOT_WAIT_S = 10.0  # how long the first frame waits for a just-started run's first snapshot


class RunFrames:
    """One run's frames: ``ask(epoch, method)`` from the page, projected in order in a daemon thread."""

    def __init__(self, job: TrainingJob, seed: int, ahead: first_frame_ahead.FirstFrameAhead | None = None):
        self.job, self.seed, self._ahead = job, seed, ahead
        self._cond = threading.Condition()
        self._want: tuple[int, str] | None = None
        self._ready: dict = {"frame": None, "epoch": 0, "method": None, "error": None, "done": None}
        self._projector: projection.Projector | None = None
        self._thread: threading.Thread | None = None
        self._busy: tuple[int, str] | None = None  # the frame being projected now
        self._asked_at = time.monotonic()
        self._switched_from: tuple[int, str] | None = None  # the PCA frame the thread last switched to UMAP from
        self.drawn = False  # the page has drawn a frame of this run (mark_drawn)

    def ready(self) -> dict:
        with self._cond:
            return dict(self._ready)

    def ask(self, epoch: int, method: str, wait_s: float, first_ends: bool = True) -> dict:
        """Ask for ``epoch``'s frame by ``method``; wait up to ``wait_s`` for it; the newest ready frame.
        With ``first_ends``, while the run has no frame at all, the wait also ends at its first frame,
        whichever epoch it shows (the first frame is the one a person waits for; the asked-for one follows
        at the next redraw). The last redraw, which no other follows, passes False."""
        target = (epoch, method)
        with self._cond:
            none_yet = first_ends and self._ready["frame"] is None
            self._asked_at = time.monotonic()
            if self._ready["done"] == target or self._busy == target:
                self._want = None  # an older request still pending would bend the warm-start chain back
            else:
                self._want = target
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._loop, name="graphcl-live-frames", daemon=True)
                    self._thread.start()
                self._cond.notify_all()
            self._cond.wait_for(lambda: self._ready["done"] == target or (none_yet and self._ready["frame"] is not None),
                                timeout=wait_s)
            return dict(self._ready)

    def mark_drawn(self) -> None:
        """The page drew one of this run's frames (``first_frame_pending`` is False from now on)."""
        self.drawn = True

    def _loop(self) -> None:
        try:
            while True:
                with self._cond:
                    if not self._wait_for_work():
                        self._thread = None  # under the lock: the next ask starts a new thread
                        return
                    (epoch, method), self._want = self._want, None
                    self._busy = (epoch, method)
                try:
                    result = self._project(epoch, method)
                except Exception as e:  # noqa: BLE001 - keep serving the page: say it, start the chain afresh
                    self._projector = None
                    result = {"error": f"The map of epoch {epoch} could not be drawn: {type(e).__name__}: {e}"}
                if result.get("frame") is not None:
                    result.update(epoch=epoch, method=method)
                with self._cond:
                    if result:  # (no snapshot there, or not yet: a later ask for it projects it)
                        self._ready = {**self._ready, **result, "done": (epoch, method)}
                    self._busy = None
                    self._cond.notify_all()
        finally:
            with self._cond:
                if self._thread is threading.current_thread():
                    self._thread = None

    def _wait_for_work(self) -> bool:
        """(Under ``_cond``.) Wait for a request; False after ``IDLE_EXIT_S`` without one. While the chain is
        PCA because UMAP was warming up, the moment UMAP is warm its first frame (of the newest PCA frame's
        epoch) is started without waiting for the page's next ask: on a fresh machine the first UMAP frame
        is the one a person waits longest for, and a poll can be 0.1-0.7 s away."""
        deadline = time.monotonic() + IDLE_EXIT_S
        while self._want is None:
            done = self._ready["done"]
            if (done is not None and done[1] == "pca" and done != self._switched_from and projection.is_warm()
                    and time.monotonic() - self._asked_at < WARM_SWITCH_RECENT_S):  # (not for a tab left alone)
                self._want, self._switched_from = (done[0], "umap"), done  # (once: its snapshot may be gone)
                break
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._cond.wait(min(left, WARM_CHECK_S) if done is not None and done[1] == "pca" else left)
        return True

    def _project(self, epoch: int, method: str) -> dict:
        snap = self._snapshot(epoch)
        if snap is None:  # thinned away since it was asked for: the next redraw asks for one that exists
            return {}
        cold = self._projector is None or self._projector.method != method
        ahead = self._ahead.take(snap.embeddings, method) if cold and epoch == 0 and self._ahead else None
        if ahead is not None:  # laid out before Start (ui.first_frame_ahead): the chain goes on from it
            self._projector, frame = ahead
        else:
            if cold:
                self._projector = projection.Projector(method, 2, max_points=LIVE_MAX_POINTS, seed=self.seed)
            try:
                with projection.first_frame() if cold else contextlib.nullcontext():  # a person waits for this one
                    frame = self._projector.project(snap.embeddings.astype(np.float32))
            except GraphCLError as e:
                return {"error": str(e)}
        if (writer := getattr(self.job, "writer", None)) is not None:
            try:
                saved_frames.save_frame(writer.path, epoch, frame)
            except Exception:  # noqa: BLE001 - a read-only or full disk: the live view goes on without the copy
                pass
        return {"frame": frame, "error": None}

    def _snapshot(self, epoch: int):
        """The run's snapshot at ``epoch``; epoch 0's is waited for (``prefetch_first`` asks before the run
        has a trainer), up to ``FIRST_SNAPSHOT_WAIT_S`` or the run's end."""
        deadline = time.monotonic() + (FIRST_SNAPSHOT_WAIT_S if epoch == 0 else 0.0)
        while True:
            t = self.job.trainer
            snap = next((s for s in (t.snapshot_list() if t is not None else []) if s.epoch == epoch), None)
            if snap is not None or time.monotonic() >= deadline or getattr(self.job, "done", True):
                return snap
            time.sleep(0.005)


def _method() -> str:
    """PCA until UMAP is warm, then UMAP."""
    return "umap" if projection.is_warm() else "pca"


def _frames_of(slot: Slot, job: TrainingJob) -> RunFrames:
    frames = slot.cache.get(CACHE_KEY)
    if not isinstance(frames, RunFrames) or frames.job is not job:
        frames = slot.cache[CACHE_KEY] = RunFrames(job, job.cfg.seed, first_frame_ahead.of(slot))
    return frames


def first_frame_pending(slot: Slot, job: TrainingJob | None) -> bool:
    """The run trains and the page has not drawn a frame of it yet: the live view then polls as fast as
    right after Start (``live.poll_seconds``), so the first frame is drawn as soon as it is laid out.

    Why: on a fresh GPU server the first frame's layout ended 0.6-0.9 s after Start, just after the
    click's redraw had stopped waiting for it (``WAIT_S``), and the next redraw came a whole running poll
    later (measured, H200: ready 0.60 and 0.88 s after Start, drawn at 1.03 and 1.31 s). Waiting longer
    inside one redraw would hold Stop back: a full rerun starts only when the fragment's run yields."""
    if job is None or getattr(job, "done", True):
        return False
    frames = slot.cache.get(CACHE_KEY)
    return not (isinstance(frames, RunFrames) and frames.job is job and frames.drawn)


def mark_drawn(slot: Slot, job: TrainingJob) -> None:
    """The page drew a frame of ``job`` (see ``first_frame_pending``)."""
    _frames_of(slot, job).mark_drawn()


def prefetch_first(slot: Slot, job: TrainingJob) -> None:
    """Start laying out the run's first frame (epoch 0) now, before the page can ask for it: right after
    Start the run has no trainer yet, and the first redraw that finds a snapshot comes a poll or two later
    (on the H200 the layout began 0.57 s after the click). Does not wait."""
    frames = _frames_of(slot, job)
    if frames.ready()["done"] is None:
        frames.ask(0, _method(), 0.0)


def frame_at(slot: Slot, job: TrainingJob, shown: int, wait_s: float | None = None, last: bool | None = None):
    """``(Projection | None, its snapshot epoch, error)`` for the epoch ``shown`` of ``job``: the frame
    of the snapshot at or before it when ready within ``wait_s``, else the newest frame ready. By
    default ``wait_s`` is ``FINAL_WAIT_S`` for the ``last`` redraw (default: once the run has ended), 0
    while epoch 0 is on screen (no loss point yet: a redraw waiting for the first frame, a cold layout
    of up to ~2 s, would hold the first loss point back by its wait; the next redraw follows in 0.1 s),
    else ``WAIT_S``."""
    t = job.trainer
    snaps = t.snapshot_list() if t is not None else []
    epoch = pacing.frame_epoch(shown, [s.epoch for s in snaps])
    if epoch is None:
        return None, 0, None
    frames = _frames_of(slot, job)
    last = getattr(job, "done", True) if last is None else last
    if wait_s is None:
        wait_s = FINAL_WAIT_S if last else (0.0 if shown == 0 else WAIT_S)
    r = frames.ask(epoch, _method(), wait_s, first_ends=not last)
    return r["frame"], r["epoch"] if r["frame"] is not None else 0, r["error"]
