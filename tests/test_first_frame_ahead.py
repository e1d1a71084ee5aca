"""``ui.first_frame_ahead``: the next run's first frame laid out before Start, handed to that run only."""

from __future__ import annotations

import threading
import time
import types

import numpy as np
import pytest

from graphcl_core import projection
from graphcl_core.config import TrainConfig
from graphcl_core.loaders import load_graph
from graphcl_core.trainer import Trainer
from ui import first_frame_ahead, live_frames

CFG = TrainConfig(epochs=5, device="cpu", eval_every=0, hidden=16, embedding_dim=8, seed=3)


class _FakeProjector:
    """Stands in for UMAP (no numba compile in a test); counts layouts."""

    made: list = []

    def __init__(self, method, dim, **kw):
        self.method, self.layouts = method, 0
        _FakeProjector.made.append(self)

    def project(self, emb):
        self.layouts += 1
        return types.SimpleNamespace(coords=emb[:, :2].copy(), method=self.method)


@pytest.fixture
def fake_umap(monkeypatch):
    _FakeProjector.made = []
    monkeypatch.setattr(projection, "Projector", _FakeProjector)
    monkeypatch.setattr(projection, "wait_until_warm", lambda timeout: True)
    return _FakeProjector


def _ready(ahead, bundle, cfg, timeout=60.0):
    end = time.monotonic() + timeout
    while not ahead.ready_for(bundle, cfg) and time.monotonic() < end:
        time.sleep(0.01)
    return ahead.ready_for(bundle, cfg)


def test_the_frame_laid_out_ahead_is_the_runs_first_and_is_handed_over_once(fake_umap):
    bundle = load_graph("karate")
    ahead = first_frame_ahead.FirstFrameAhead()
    ahead.want(bundle, CFG)
    assert _ready(ahead, bundle, CFG)
    run_first = Trainer(bundle, CFG).take_snapshot().embeddings  # what Start's run snapshots at epoch 0
    other_seed = Trainer(bundle, CFG.replace(seed=4)).take_snapshot().embeddings
    assert ahead.take(other_seed, "umap") is None
    assert ahead.take(run_first, "pca") is None  # UMAP was not warm when the run started: not this frame
    projector, frame = ahead.take(run_first, "umap")
    assert isinstance(projector, _FakeProjector) and projector.layouts == 1
    assert np.array_equal(frame.coords, run_first[:, :2].astype(np.float32))
    assert ahead.take(run_first, "umap") is None  # a second run gets its own chain


def test_new_settings_replace_the_frame_laid_out_ahead(fake_umap):
    bundle = load_graph("karate")
    ahead = first_frame_ahead.FirstFrameAhead()
    ahead.want(bundle, CFG)
    assert _ready(ahead, bundle, CFG)
    ahead.want(bundle, CFG)  # the same settings: nothing laid out again
    new = CFG.replace(seed=9)
    ahead.want(bundle, new)
    assert _ready(ahead, bundle, new) and not ahead.ready_for(bundle, CFG)
    assert len(fake_umap.made) == 2


def test_the_runs_frames_start_from_the_frame_laid_out_ahead(fake_umap):
    bundle = load_graph("karate")
    ahead = first_frame_ahead.FirstFrameAhead()
    ahead.want(bundle, CFG)
    assert _ready(ahead, bundle, CFG)
    trainer = Trainer(bundle, CFG)
    trainer.take_snapshot()
    job = types.SimpleNamespace(trainer=trainer, done=False, writer=None, cfg=CFG)
    frames = live_frames.RunFrames(job, CFG.seed, ahead)
    out = frames._project(0, "umap")
    assert out["frame"] is not None and out["error"] is None
    assert len(fake_umap.made) == 1 and fake_umap.made[0].layouts == 1  # no second layout of epoch 0
    assert frames._projector is fake_umap.made[0]  # the chain goes on from it


def test_nothing_is_laid_out_ahead_without_umap_on_a_gpu():
    bundle = load_graph("karate")
    if first_frame_ahead.projection_gpu.gpu_available():
        pytest.skip("this machine has UMAP on a GPU")
    assert not first_frame_ahead.wanted(bundle, CFG.replace(device="auto"))
    slot = types.SimpleNamespace(cache={})
    first_frame_ahead.prepare(slot, bundle, CFG)
    assert slot.cache == {}


def test_nothing_is_laid_out_ahead_once_the_tabs_run_has_started(fake_umap):
    """Start before UMAP was warm: the run lays out its own first frame; one ahead beside it would slow it."""
    bundle = load_graph("karate")
    ahead = first_frame_ahead.FirstFrameAhead(idle=lambda: False)
    ahead.want(bundle, CFG)
    end = time.monotonic() + 60
    while ahead._thread is not None and time.monotonic() < end:  # the thread ends once it has nothing to do
        time.sleep(0.01)
    assert ahead._thread is None and not ahead.ready_for(bundle, CFG) and fake_umap.made == []


def _gated_umap(monkeypatch, from_layout: int):
    """The UMAP stand-in, its layouts from the ``from_layout``-th on (1 = every one) held until ``release`` is
    set; ``started`` is set when one is held."""
    release, started = threading.Event(), threading.Event()

    class GatedProjector(_FakeProjector):
        def project(self, emb):
            if len(_FakeProjector.made) >= from_layout:
                started.set()
                release.wait(30)
            return super().project(emb)

    _FakeProjector.made = []
    monkeypatch.setattr(projection, "Projector", GatedProjector)
    monkeypatch.setattr(projection, "wait_until_warm", lambda timeout: True)
    return release, started


def test_a_start_during_the_layout_ahead_waits_for_it_instead_of_laying_out_twice(monkeypatch):
    """Start clicked while the frame ahead is being laid out: the run takes that frame when it is done."""
    release, started = _gated_umap(monkeypatch, 1)
    bundle = load_graph("karate")
    ahead = first_frame_ahead.FirstFrameAhead()
    ahead.want(bundle, CFG)
    assert started.wait(30)
    run_first = Trainer(bundle, CFG).take_snapshot().embeddings
    other_seed = Trainer(bundle, CFG.replace(seed=4)).take_snapshot().embeddings
    waits = []
    real_wait = ahead._cond.wait
    ahead._cond.wait = lambda timeout=None: waits.append(timeout) or real_wait(timeout)
    assert ahead.take(other_seed, "umap", wait=5.0) is None  # not the frame under way: no wait
    assert waits == []
    threading.Timer(0.3, release.set).start()
    got = ahead.take(run_first, "umap", wait=10.0)
    assert got is not None and got[0].layouts == 1 and len(_FakeProjector.made) == 1


def test_a_frame_ready_for_older_settings_does_not_end_the_wait_for_the_one_under_way(monkeypatch):
    """Settings A laid out, then changed to B (being laid out) and Start clicked: the run waits for B's."""
    release, _ = _gated_umap(monkeypatch, 2)  # the second layout (B) is held
    bundle = load_graph("karate")
    cfg_b = CFG.replace(seed=4)
    ahead = first_frame_ahead.FirstFrameAhead()
    ahead.want(bundle, CFG)
    assert _ready(ahead, bundle, CFG)
    ahead.want(bundle, cfg_b)
    end = time.monotonic() + 30
    while len(_FakeProjector.made) < 2 and time.monotonic() < end:
        time.sleep(0.01)
    ahead.want(bundle, cfg_b)  # a page rerun asks again while B is laid out: not queued a second time
    run_b = Trainer(bundle, cfg_b).take_snapshot().embeddings
    threading.Timer(0.3, release.set).start()
    got = ahead.take(run_b, "umap", wait=10.0)
    assert got is not None and np.array_equal(got[1].coords, run_b[:, :2].astype(np.float32))
    time.sleep(0.2)
    assert len(_FakeProjector.made) == 2
