"""Explore opens a saved run from the frames kept while it trained, and fills the rest in the background."""

import numpy as np

from graphcl_core import projection, saved_frames
from graphcl_core.config import TrainConfig
from graphcl_core.runs import RunStore
from graphcl_core.worker import TrainingJob
from ui import explore, sources
from ui.registry import Slot


def _saved_run(tiny_graph):
    store = RunStore()
    job = TrainingJob(tiny_graph, TrainConfig(epochs=8, eval_every=100, hidden=16, embedding_dim=8, device="cpu",
                                              snapshot_every=2), store).start()
    job.join(60)
    assert job.state == "finished", job.message
    return store.load(job.run_id)


def test_saved_frames_are_used_and_the_rest_filled(tiny_graph, runs_dir, monkeypatch):
    run = _saved_run(tiny_graph)
    epochs = run.snapshot_epochs
    last = epochs[-1]
    frame = projection.Projector("pca", 2, seed=0).project(run.load_snapshot(last))
    marker = frame.coords.copy()
    marker[0] = [0.123, 0.456]  # tells a loaded frame from a re-projected one
    frame.coords = marker
    assert saved_frames.save_frame(run.path, last, frame) is not None

    slot, src = Slot(sid="t"), sources.SavedSource(run)
    got = explore.frames(slot, src, "PCA 2-D", epochs)
    assert set(got) == set(epochs)  # every epoch can be shown at once (nearest ready frame meanwhile)
    assert np.allclose(got[last].coords[0], [0.123, 0.456])  # the saved frame, not projected again
    explore._filler(slot, src, "PCA 2-D", epochs).join(60)
    assert explore.frames_progress(slot, src, "PCA 2-D") is None  # all made
    done = explore.frames(slot, src, "PCA 2-D", epochs)
    assert len({id(done[e]) for e in epochs}) == len(epochs)  # each epoch now has its own frame
    assert len(saved_frames.load_frames(run.path, "pca", 2, epochs)) == len(epochs)  # and they were saved
