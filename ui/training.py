"""Controls for the tab's training job, and the live view's projection and pair-distance caches.

The job is a ``graphcl_core.worker.TrainingJob`` (a background thread that keeps its own copy of
the config and graph). This module only starts, pauses and stops it, and never starts a second job
for a tab while one is active.
"""

from __future__ import annotations

import time

import numpy as np

from graphcl_core import projection
from graphcl_core.config import TrainConfig
from graphcl_core.errors import GraphCLError
from graphcl_core.graph import GraphBundle
from graphcl_core.runs import RunStore
from graphcl_core.worker import TrainingJob

from .registry import Slot

# Seconds between polls of the live view.
POLL_RUNNING_S = 0.7
POLL_FIRST_S = 0.1  # from Start until the first loss row (a fraction of a second on a GPU), and while stopping
STOP_WAIT_S = 0.3  # Stop's click waits this long for the run to say it stopped
FIRST_LOSS_WAIT_S = 0.5  # a redraw right after Start waits for the first loss row until this long after Start
FAST_POLL_MAX_S = 3.0  # POLL_FIRST_S lasts at most this long after Start or Stop
POLL_IDLE_S = 1.5
# While waiting in the queue (a room of visitors polling must not slow the run they wait for).
POLL_QUEUED_S = 3.0
# The live projection shows at most this many nodes (a fixed random subset above it).
LIVE_MAX_POINTS = 4000
# Pair distances are recomputed at most this often.
PAIRS_EVERY_S = 1.5


def visitor_of(slot: Slot) -> str:
    """Who the tab's runs count against in the admission queue's fairness: its workspace when it has
    one (two tabs of one browser share it), else the tab itself."""
    return getattr(slot, "workspace", None) or slot.sid


def _new_job(slot: Slot, bundle: GraphBundle, cfg: TrainConfig, *, paused: bool) -> TrainingJob:
    store = RunStore(workspace=slot.workspace or "cli")  # the tab's workspace (ui/workspace.py)
    job = TrainingJob(bundle, cfg.validate(), store, start_paused=paused, owner=visitor_of(slot))
    slot.job = job
    slot.cache.pop("live", None)
    return job


def start(slot: Slot, bundle: GraphBundle, cfg: TrainConfig) -> TrainingJob:
    """Start a new run unless one is already active (then return that one). Raises GraphCLError."""
    with slot.lock:
        if slot.active:
            return slot.job  # a rerun or a double click never starts a second copy
        return _new_job(slot, bundle, cfg, paused=False).start()


def step(slot: Slot, bundle: GraphBundle, cfg: TrainConfig) -> TrainingJob:
    """One epoch: on the active job (pausing it first), or on a new, paused job."""
    with slot.lock:
        if slot.active:
            slot.job.step_once()
            return slot.job
        job = _new_job(slot, bundle, cfg, paused=True)
        job.step_once()
        return job.start()


def launch(slot: Slot, bundle: GraphBundle | None, cfg: TrainConfig, action) -> str | None:
    """Run ``action`` (``start`` or ``step``) on a fresh job with ``cfg``, clearing a run that has ended.

    What the Start and Step buttons do. Returns a plain message instead of raising (a bad setting, a
    GPU that is not there); ``None`` when there is nothing to say, also when no graph is loaded (the
    page says that already).
    """
    try:
        cfg = cfg.validate()
        if bundle is None:
            return None
        if slot.job is not None and slot.job.done:
            reset(slot)
        action(slot, bundle, cfg)
    except GraphCLError as e:
        return str(e)
    return None


def toggle_pause(slot: Slot) -> None:
    with slot.lock:
        job = slot.job
        if job is None or job.done:
            return
        if job.state == "paused" or job._start_paused:  # noqa: SLF001 - queued-but-paused counts as paused
            job.resume()
        else:
            job.pause()


def is_paused(job: TrainingJob | None) -> bool:
    return job is not None and not job.done and (job.state == "paused" or job._start_paused)  # noqa: SLF001


def stop(slot: Slot) -> None:
    """Stop the run; the page's rerun after the click then shows it stopped (a run ends at its next epoch
    boundary: well under ``STOP_WAIT_S`` on a GPU or a small graph; otherwise the page polls fast)."""
    with slot.lock:
        job = slot.job
        if job is not None and not job.done:
            job.stop()
    if job is not None:
        job.wait_done(STOP_WAIT_S)


def reset(slot: Slot) -> None:
    """Stop the active run (it stays saved as 'stopped') and clear the live view."""
    with slot.lock:
        if slot.job is not None and not slot.job.done:
            slot.job.stop()
        slot.job = None
        slot.cache.pop("live", None)


# ---- live view ----------------------------------------------------------------------------------

def _live_cache(slot: Slot, job: TrainingJob) -> dict:
    c = slot.cache.get("live")
    if c is None or c.get("job") is not job:
        c = slot.cache["live"] = {"job": job}
    return c


def live_projection(slot: Slot, job: TrainingJob):
    """``(Projection | None, epoch, error)`` of the newest snapshot: PCA until UMAP is warm, then UMAP.

    Frames are computed once per new snapshot with a warm-started ``Projector`` so points move
    smoothly from frame to frame.
    """
    t = job.trainer
    snaps = t.snapshot_list() if t is not None else []
    if not snaps:
        return None, 0, None
    last = snaps[-1]
    c = _live_cache(slot, job)
    want = "umap" if projection.is_warm() else "pca"
    p = c.get("projector")
    if p is None or p.method != want:
        p = c["projector"] = projection.Projector(want, 2, max_points=LIVE_MAX_POINTS, seed=job.cfg.seed)
        if "frame" in c and c["frame"] is not None:
            c["method_changed"] = True
    if c.get("epoch") != last.epoch or c.get("method") != want:
        try:
            c["frame"] = p.project(last.embeddings.astype(np.float32))
            c["error"] = None
        except GraphCLError as e:
            c["error"] = str(e)
        c["epoch"], c["method"] = last.epoch, want
    return c.get("frame"), c.get("epoch", 0), c.get("error")


def live_pair_distances(slot: Slot, job: TrainingJob) -> dict | None:
    """Distances of fresh positive/negative pairs under the current model (throttled)."""
    t = job.trainer
    if t is None:
        return None
    c = _live_cache(slot, job)
    now = time.time()
    fresh = c.get("pairs_epoch") == t.epoch
    if not fresh and (now - c.get("pairs_at", 0.0) >= PAIRS_EVERY_S or job.done or "pairs" not in c):
        try:
            c["pairs"] = t.pair_distances(max_pairs=1500)
            c["pairs_epoch"], c["pairs_at"] = t.epoch, now
        except Exception:  # noqa: BLE001 - a failed sample only skips one histogram update
            pass
    return c.get("pairs")


def queue_text(status: dict) -> str | None:
    """Where a waiting run stands in the admission queue, in words (None when it is not waiting)."""
    pos = status.get("queue_position")
    if status.get("state") != "queued" or not pos:
        return None
    device = "GPU" if status.get("pool") == "gpu" else "CPU"
    where = "next in line" if pos == 1 else f"number {pos} in line"
    wait = status.get("queue_wait_s")
    about = "" if wait is None else f", about {fmt_seconds(wait)} to wait"
    return (f"Waiting for a free {device} slot: other visitors' runs are using them. You are {where}{about}. "
            "Your run starts by itself; Stop leaves the line.")


def speed(status: dict) -> tuple[float, float | None]:
    """``(epochs per second, seconds left or None)`` from a job status."""
    ep, secs = status.get("epoch", 0), status.get("seconds", 0.0)
    rate = ep / secs if secs > 0 and ep > 0 else 0.0
    left = (status.get("epochs", 0) - ep) / rate if rate > 0 else None
    return rate, left


def latest_quality(history: list[dict]) -> tuple[dict, dict]:
    """The newest evaluated history row and the one before it (for deltas)."""
    rows = [r for r in history if "linear_probe_acc" in r or "silhouette" in r]
    return (rows[-1] if rows else {}), (rows[-2] if len(rows) > 1 else {})


def fmt_seconds(s: float | None) -> str:
    if s is None:
        return "—"
    s = max(0.0, s)
    if s < 60:
        return f"{s:.0f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60):02d} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min"
