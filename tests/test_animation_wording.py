"""The Runs page's animation words (ui/downloads.py): the heading and the progress count the same thing.
A run with more snapshots than an animation's frames (201 > 100) was announced as "201 snapshots" while
the progress said "Projecting snapshot 100 of 100"; now both speak of frames and say which snapshots."""

import numpy as np

from graphcl_core.config import TrainConfig
from graphcl_core.runs import RunStore
from graphcl_core.trainer import Snapshot
from ui import downloads

from conftest import planted_partition


def test_frames_and_snapshots_are_named_apart():
    assert downloads.animation_frame_count(201) == 100 and downloads.animation_frame_count(51) == 51
    assert downloads.animation_heading(201) == ("**Animation** of the embeddings over the epochs: 100 frames "
                                                "(100 of the 201 snapshots, about every 2nd)")
    assert downloads.animation_heading(51).endswith(": 51 frames (every snapshot)")
    assert downloads.projecting_text(37, 100, 201) == ("Projecting frame 37 of 100 "
                                                       "(100 of the 201 snapshots, about every 2nd)…")
    assert downloads.projecting_text(3, 12, 12) == "Projecting frame 3 of 12 (every snapshot)…"
    assert "about every 10th" in downloads.animation_heading(1000)
    assert "about every 22nd" in downloads.animation_heading(2201)
    assert "100 of the 101 snapshots, evenly spaced" in downloads.animation_heading(101)


def test_the_heading_counts_the_frames_the_export_projects(tmp_path):
    bundle = planted_partition()
    writer = RunStore(tmp_path, "cli").create(bundle, TrainConfig(epochs=200), "cpu")
    rng = np.random.default_rng(0)
    snaps = [Snapshot(e, 0.0, rng.normal(size=(bundle.num_nodes, 4)).astype(np.float16)) for e in range(201)]
    writer.save_progress([{"epoch": e, "loss": 1.0 / e, "seconds": 0.01 * e} for e in range(1, 201)], snaps,
                         200, 1.0)
    writer.finish("finished")
    run = RunStore(tmp_path, "cli").load(writer.path.name)
    n = len(run.snapshot_epochs)
    assert n == 201
    calls = []
    downloads.make_animation(downloads.animation_files(None, run, "pca"), run, "html",
                             progress=lambda done, total: calls.append((done, total)))
    frames = calls[-1][1]
    assert calls[-1] == (frames, frames) and f": {frames} frames (" in downloads.animation_heading(n)
    assert downloads.projecting_text(*calls[-1], n) == f"Projecting frame {frames} of {frames} (100 of the 201 " \
        "snapshots, about every 2nd)…"
