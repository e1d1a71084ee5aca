"""The Train page's projection of the epoch on screen (``ui.pacing``): one warm-started chain per run.

While a fast run is played back the picture is behind training, so the frame drawn is that of the
snapshot at or before the epoch on screen, not the newest. Frames are projected in the order they
are shown by one ``Projector`` (PCA until UMAP is warm, then UMAP), each warm-started and aligned
on the one before, so points move smoothly and the picture does not jump when the playback catches
up with training. At most one new frame is projected per redraw. Each frame is also saved beside the
run's snapshots (``graphcl_core.saved_frames``), so Explore opens the run without projecting it again.
"""

from __future__ import annotations

import numpy as np

from graphcl_core import projection, saved_frames
from graphcl_core.errors import GraphCLError
from graphcl_core.worker import TrainingJob

from . import pacing
from .registry import Slot
from .training import LIVE_MAX_POINTS

CACHE_KEY = "paced-frames"


def frame_at(slot: Slot, job: TrainingJob, shown: int):
    """``(Projection | None, snapshot epoch, error)`` for the epoch ``shown`` of ``job``."""
    t = job.trainer
    snaps = t.snapshot_list() if t is not None else []
    epoch = pacing.frame_epoch(shown, [s.epoch for s in snaps])
    if epoch is None:
        return None, 0, None
    c = slot.cache.get(CACHE_KEY)
    if c is None or c.get("job") is not job:
        c = slot.cache[CACHE_KEY] = {"job": job}
    want = "umap" if projection.is_warm() else "pca"
    p = c.get("projector")
    if p is None or p.method != want:
        p = c["projector"] = projection.Projector(want, 2, max_points=LIVE_MAX_POINTS, seed=job.cfg.seed)
    if c.get("epoch") != epoch or c.get("method") != want:
        snap = next(s for s in snaps if s.epoch == epoch)
        try:
            c["frame"] = p.project(snap.embeddings.astype(np.float32))
            c["error"] = None
            if (writer := getattr(job, "writer", None)) is not None:
                saved_frames.save_frame(writer.path, epoch, c["frame"])
        except GraphCLError as e:
            c["error"] = str(e)
        c["epoch"], c["method"] = epoch, want
    return c.get("frame"), c.get("epoch", 0), c.get("error")
