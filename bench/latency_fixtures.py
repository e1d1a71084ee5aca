"""Runs written before a latency benchmark's server starts: a finished Cora run with frames saved as the
live view saves them, and many Cora-sized runs for the Runs page."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def finished_cora_run(root: Path, workspace: str, epochs: int = 100, every: int = 5) -> str:
    """Train Cora for ``epochs`` (a snapshot every ``every``) into ``root/workspace``; save a UMAP frame of
    every other snapshot (the live view projects at most one per redraw); return the run id."""
    from common import setup_data_dir

    from graphcl_core import projection, saved_frames
    from graphcl_core.presets import preset
    from graphcl_core.runs import RunStore
    from graphcl_core.worker import TrainingJob
    from ui import graphs

    setup_data_dir()
    store = RunStore(root, workspace, max_runs=0)
    job = TrainingJob(graphs.load_named("Cora"), preset("default", epochs=epochs, snapshot_every=every).validate(),
                      store).start()
    job.join(1200)
    projection.warmup_in_background().join(600)
    live = projection.Projector("umap", 2, max_points=4000)
    for snap in job.trainer.snapshot_list()[::-2][::-1]:
        saved_frames.save_frame(job.writer.path, snap.epoch, live.project(snap.embeddings.astype(np.float32)))
    return job.run_id


def synthetic_runs(root: Path, workspace: str, n: int, epochs: int = 800) -> None:
    """``n`` finished Cora-sized runs written by ``RunWriter`` without training: an ``epochs``-row history
    (loss, probe every 10 epochs) and two 2,708 × 128 snapshots each."""
    from common import setup_data_dir

    from graphcl_core.presets import preset
    from graphcl_core.runs import RunStore
    from graphcl_core.trainer import Snapshot
    from ui import graphs

    setup_data_dir()
    bundle = graphs.load_named("Cora")
    store = RunStore(root, workspace, max_runs=0)
    rng = np.random.default_rng(0)
    for _ in range(n):
        w = store.create(bundle, preset("default"))
        hist = [{"epoch": e, "loss": 1.0 / e, "seconds": 0.01 * e} for e in range(1, epochs + 1)]
        for row in hist[9::10]:
            row.update(linear_probe_acc=0.8, silhouette=0.2, knn_acc=0.7)
        snaps = [Snapshot(e, 0.1, rng.standard_normal((bundle.num_nodes, 128)).astype(np.float16))
                 for e in (epochs // 2, epochs)]
        w.save_progress(hist, snaps, epochs, 8.0)
        w.finish("finished", metrics={"linear_probe_acc": 0.82})
