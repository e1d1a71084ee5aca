"""Demo pacing (ui/pacing.py): which epoch is on screen while a fast run is played to an audience."""

from __future__ import annotations

import threading

import pytest

from ui import pacing


def test_parse_speed_accepts_the_choices_and_nothing_else():
    assert pacing.parse_speed("10") == "10"
    assert pacing.parse_speed(20) == "20"
    assert pacing.parse_speed("50/s") == "50"
    assert pacing.parse_speed(" Live ") == "live"
    assert pacing.parse_speed("auto") == "auto"
    assert pacing.parse_speed("7") is None
    assert pacing.parse_speed("fast") is None


def test_auto_pace_shows_a_run_in_about_twenty_seconds():
    assert pacing.auto_pace(200) == pytest.approx(10.0)
    assert 15 <= 800 / pacing.auto_pace(800) <= 25
    assert pacing.auto_pace(10) == pacing.AUTO_MIN  # a tiny run is not crawled through
    assert pacing.pace("live", 200) is None
    assert pacing.pace("auto", 200) == pytest.approx(10.0)
    assert pacing.pace("5", 200) == 5.0


def test_a_run_faster_than_the_pace_is_played_over_its_duration():
    """A 200-epoch GPU run finished in 0.4 s, played at 10 epochs/s and redrawn every 0.4 s."""
    pos, t, shown = 0.0, 0.0, []
    while pos < 200:
        pos = pacing.advance(pos, 0.4, 10.0, trained=200)
        t += 0.4
        shown.append(int(pos))
    assert t == pytest.approx(20.0, abs=0.5)
    assert shown == sorted(shown) and shown[0] == 4 and shown[-1] == 200


def test_a_run_slower_than_the_pace_is_shown_live():
    """A CPU run at 3 epochs/s under a 10 epochs/s pace: the picture is always the newest epoch."""
    pos = 0.0
    for second in range(1, 11):
        pos = pacing.advance(pos, 1.0, 10.0, trained=3 * second)
        assert pos == 3 * second
    assert pacing.advance(5.0, 1.0, None, trained=120) == 120  # live jumps to the newest


def test_frame_epoch_is_the_newest_snapshot_at_or_before_the_epoch_shown():
    snaps = [0, 3, 6, 9, 12]
    assert pacing.frame_epoch(7, snaps) == 6
    assert pacing.frame_epoch(9, snaps) == 9
    assert pacing.frame_epoch(100, snaps) == 12
    assert pacing.frame_epoch(0, [2, 4]) == 2
    assert pacing.frame_epoch(5, []) is None


def test_history_is_cut_at_the_epoch_on_screen():
    hist = [{"epoch": e, "loss": 1.0 / e} for e in range(1, 11)]
    assert [r["epoch"] for r in pacing.history_until(hist, 4)] == [1, 2, 3, 4]
    assert pacing.history_until(hist, 0) == []
    assert pacing.history_until(hist, 50) == hist


def test_poll_and_time_left():
    assert pacing.poll_seconds(10.0) == pacing.POLL_S
    assert pacing.poll_seconds(1.5) == pytest.approx(1 / 1.5)
    assert pacing.poll_seconds(None) == pacing.POLL_S
    assert pacing.seconds_left(100, 200, 10.0) == pytest.approx(10.0)
    assert pacing.seconds_left(100, 200, None) is None


def test_playhead_pause_holds_the_picture_and_does_not_make_up_time():
    state: dict = {}
    head = pacing.Playhead(state)
    assert head.update("run1", 100.0, trained=200, rate=10.0) == 0
    assert head.update("run1", 101.0, trained=200, rate=10.0) == 10
    head.set_paused("run1", True, 101.5)
    assert head.update("run1", 105.0, trained=200, rate=10.0) == 10
    head.set_paused("run1", False, 106.0)
    assert head.update("run1", 106.0, trained=200, rate=10.0) == 10  # the paused seconds are not made up
    assert head.update("run1", 107.0, trained=200, rate=10.0) == 20
    assert head.behind("run1", 200) and not head.behind("run1", 20)


def test_playhead_changing_speed_continues_from_the_epoch_on_screen():
    head = pacing.Playhead({})
    head.update("r", 0.0, 200, 5.0)
    assert head.update("r", 2.0, 200, 5.0) == 10
    assert head.update("r", 3.0, 200, 50.0) == 60
    assert head.update("r", 4.0, 200, None) == 200


def test_a_new_run_starts_the_playhead_at_zero():
    state: dict = {}
    head = pacing.Playhead(state)
    head.update("old", 0.0, 50, None)
    assert head.shown("old") == 50
    assert head.update("new", 1.0, 50, 10.0) == 0
    assert not head.paused("new")


def test_live_frames_draws_the_snapshot_on_screen_and_saves_it(tiny_graph, tmp_path):
    """The Train page's map follows the playhead: the snapshot at or before the epoch shown, projected
    once per epoch and saved beside the run (graphcl_core.saved_frames) for Explore."""
    from types import SimpleNamespace

    from graphcl_core import saved_frames
    from graphcl_core.config import TrainConfig
    from graphcl_core.trainer import Trainer
    from ui import live_frames

    cfg = TrainConfig(hidden=16, embedding_dim=8, device="cpu", eval_every=0, epochs=12, snapshot_every=4)
    trainer = Trainer(tiny_graph, cfg)
    trainer.run()
    job = SimpleNamespace(trainer=trainer, cfg=cfg, writer=SimpleNamespace(path=tmp_path))
    slot = SimpleNamespace(cache={})
    frame, epoch, err = live_frames.frame_at(slot, job, 6)
    assert err is None and epoch == 4 and frame.coords.shape == (tiny_graph.num_nodes, 2)
    again, same_epoch, _ = live_frames.frame_at(slot, job, 7)
    assert same_epoch == 4 and again is frame  # not projected twice
    _, epoch, _ = live_frames.frame_at(slot, job, 12)
    assert epoch == 12
    assert sorted(saved_frames.load_frames(tmp_path, frame.method, 2)) == [4, 12]


def test_live_frames_project_in_the_background_while_the_run_trains(tiny_graph, monkeypatch):
    """A redraw waits only a moment for its frame; a slow frame is drawn by a later redraw."""
    import threading
    from types import SimpleNamespace

    from graphcl_core import projection
    from graphcl_core.config import TrainConfig
    from graphcl_core.trainer import Trainer
    from ui import live_frames

    cfg = TrainConfig(hidden=16, embedding_dim=8, device="cpu", eval_every=0, epochs=8, snapshot_every=4)
    trainer = Trainer(tiny_graph, cfg)
    trainer.run()
    release = threading.Event()
    real = projection.Projector.project

    def slow(self, emb):
        release.wait(30)
        return real(self, emb)

    monkeypatch.setattr(projection.Projector, "project", slow)
    job = SimpleNamespace(trainer=trainer, cfg=cfg, writer=None, done=False)
    slot = SimpleNamespace(cache={})
    frame, epoch, err = live_frames.frame_at(slot, job, 8, wait_s=0.05)
    assert frame is None and epoch == 0 and err is None  # not ready: the page draws the rest meanwhile
    monkeypatch.setattr(live_frames, "WAIT_S", 30.0)  # would hang below if epoch 0 waited for its frame
    frame, _, _ = live_frames.frame_at(slot, job, 0, last=False)
    assert frame is None  # nothing trained on screen yet: the redraw does not wait for the first frame
    release.set()
    frame, epoch, _ = live_frames.frame_at(slot, job, 8, wait_s=30)
    assert frame is not None and epoch == 8
    assert slot.cache[live_frames.CACHE_KEY].ready()["done"][0] == 8


def test_a_failing_frame_is_reported_and_the_next_one_is_drawn(tiny_graph, monkeypatch):
    from types import SimpleNamespace

    from graphcl_core import projection
    from graphcl_core.config import TrainConfig
    from graphcl_core.trainer import Trainer
    from ui import live_frames

    cfg = TrainConfig(hidden=16, embedding_dim=8, device="cpu", eval_every=0, epochs=8, snapshot_every=4)
    trainer = Trainer(tiny_graph, cfg)
    trainer.run()
    real, calls = projection.Projector.project, []

    def first_fails(self, emb):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("CUDA error: an illegal memory access")
        return real(self, emb)

    monkeypatch.setattr(projection.Projector, "project", first_fails)
    job = SimpleNamespace(trainer=trainer, cfg=cfg, writer=None, done=False)
    slot = SimpleNamespace(cache={})
    frame, _, err = live_frames.frame_at(slot, job, 4, wait_s=30)
    assert frame is None and "could not be drawn" in err and "illegal memory access" in err
    frame, epoch, err = live_frames.frame_at(slot, job, 8, wait_s=30)
    assert frame is not None and epoch == 8 and err is None


def test_a_projector_that_cannot_be_made_is_reported_and_the_thread_lives_on(tiny_graph, monkeypatch):
    from types import SimpleNamespace

    from graphcl_core import projection
    from graphcl_core.config import TrainConfig
    from graphcl_core.errors import ConfigError
    from graphcl_core.trainer import Trainer
    from ui import live_frames

    cfg = TrainConfig(hidden=16, embedding_dim=8, device="cpu", eval_every=0, epochs=8, snapshot_every=4)
    trainer = Trainer(tiny_graph, cfg)
    trainer.run()
    real_init, calls = projection.Projector.__init__, []

    def first_refused(self, *a, **kw):
        calls.append(1)
        if len(calls) == 1:
            raise ConfigError("GRAPHCL_UMAP_BACKEND: 'quantum' is not a backend")
        real_init(self, *a, **kw)

    monkeypatch.setattr(projection.Projector, "__init__", first_refused)
    job = SimpleNamespace(trainer=trainer, cfg=cfg, writer=None, done=False)
    slot = SimpleNamespace(cache={})
    frame, _, err = live_frames.frame_at(slot, job, 4, wait_s=30)
    assert frame is None and "quantum" in err
    frame, epoch, err = live_frames.frame_at(slot, job, 8, wait_s=30)
    assert frame is not None and epoch == 8 and err is None


def test_the_first_frame_is_laid_out_before_the_page_can_ask_for_it(tiny_graph, monkeypatch):
    """Right after Start the run has no trainer: ``prefetch_first`` lays epoch 0 out once its snapshot
    exists, and the page's own ask for epoch 0 meanwhile neither waits twice nor projects it twice."""
    import threading
    from types import SimpleNamespace

    from graphcl_core import projection
    from graphcl_core.config import TrainConfig
    from graphcl_core.trainer import Trainer
    from ui import live_frames

    cfg = TrainConfig(hidden=16, embedding_dim=8, device="cpu", eval_every=0, epochs=4, snapshot_every=2)
    job = SimpleNamespace(trainer=None, cfg=cfg, writer=None, done=False)
    slot = SimpleNamespace(cache={})
    calls = []
    real = projection.Projector.project
    monkeypatch.setattr(projection.Projector, "project", lambda self, emb: calls.append(1) or real(self, emb))
    live_frames.prefetch_first(slot, job)  # no trainer yet: the frame thread waits for the first snapshot
    assert slot.cache[live_frames.CACHE_KEY].ready()["done"] is None

    def start_run():
        trainer = Trainer(tiny_graph, cfg)
        trainer.take_snapshot()
        job.trainer = trainer

    threading.Timer(0.2, start_run).start()
    frames = slot.cache[live_frames.CACHE_KEY]
    for _ in range(3000):  # the prefetch lays the snapshot out once the run has taken it
        if frames.ready()["done"] is not None:
            break
        threading.Event().wait(0.01)
    assert frames.ready()["done"][0] == 0 and frames.ready()["frame"] is not None
    frame, epoch, err = live_frames.frame_at(slot, job, 0, wait_s=30)
    assert err is None and epoch == 0 and frame is frames.ready()["frame"]
    live_frames.prefetch_first(slot, job)  # already done: nothing more
    assert len(calls) == 1


def test_a_first_frame_whose_run_never_started_is_not_marked_done(tiny_graph, monkeypatch):
    """A run still waiting in line when the prefetch gives up: its first frame is made once it starts."""
    from types import SimpleNamespace

    from graphcl_core.config import TrainConfig
    from graphcl_core.trainer import Trainer
    from ui import live_frames

    monkeypatch.setattr(live_frames, "FIRST_SNAPSHOT_WAIT_S", 0.05)
    cfg = TrainConfig(hidden=16, embedding_dim=8, device="cpu", eval_every=0, epochs=4, snapshot_every=2)
    job = SimpleNamespace(trainer=None, cfg=cfg, writer=None, done=False)
    slot = SimpleNamespace(cache={})
    frame, _, _ = live_frames.frame_at(slot, job, 0, wait_s=5)  # no trainer: nothing to ask for yet
    live_frames.prefetch_first(slot, job)
    frames = slot.cache[live_frames.CACHE_KEY]
    for _ in range(500):
        if frames._busy is None and frames._want is None:
            break
        threading.Event().wait(0.01)
    assert frames.ready()["done"] is None
    trainer = Trainer(tiny_graph, cfg)
    trainer.take_snapshot()
    job.trainer = trainer
    frame, epoch, err = live_frames.frame_at(slot, job, 0, wait_s=30)
    assert err is None and epoch == 0 and frame is not None


def test_the_first_umap_frame_starts_the_moment_umap_is_warm(tiny_graph, monkeypatch):
    """Frames are PCA while UMAP warms up; once it is warm, the frame thread lays out the newest epoch asked
    for with UMAP at once, without waiting for the page's next ask."""
    from types import SimpleNamespace

    import numpy as np

    from graphcl_core import projection
    from graphcl_core.config import TrainConfig
    from graphcl_core.trainer import Trainer
    from ui import live_frames

    warm = threading.Event()
    monkeypatch.setattr(projection, "is_warm", warm.is_set)
    laid_out, ours = [], None
    real = projection.Projector.project

    def project(self, emb):
        if ours is not None and np.array_equal(emb, ours):  # (other tests' frame threads may still be about)
            laid_out.append(self.method)
        if self.method == "umap":  # (umap-learn's numba compile is not what this tests)
            return projection.Projection(np.zeros((len(emb), 2), np.float32), np.arange(len(emb)), "umap", 2,
                                         False, 0.0)
        return real(self, emb)

    monkeypatch.setattr(projection.Projector, "project", project)
    cfg = TrainConfig(hidden=16, embedding_dim=8, device="cpu", eval_every=0, epochs=4, snapshot_every=2, seed=8101)
    trainer = Trainer(tiny_graph, cfg)
    trainer.take_snapshot()
    ours = trainer.snapshot_list()[0].embeddings.astype(np.float32)
    job = SimpleNamespace(trainer=trainer, cfg=cfg, writer=None, done=False)
    slot = SimpleNamespace(cache={})
    frame, epoch, err = live_frames.frame_at(slot, job, 0, wait_s=30)
    assert err is None and frame.method == "pca" and laid_out == ["pca"]
    frames = slot.cache[live_frames.CACHE_KEY]
    warm.set()  # no further ask from the page
    for _ in range(3000):
        if frames.ready()["method"] == "umap":
            break
        threading.Event().wait(0.01)
    assert frames.ready()["method"] == "umap" and frames.ready()["epoch"] == 0 and laid_out == ["pca", "umap"]


def test_a_switch_to_umap_whose_snapshot_is_gone_is_tried_once(tiny_graph, monkeypatch):
    """The automatic switch to UMAP lays out the newest PCA frame's epoch; when that snapshot has been thinned
    away meanwhile, it is not asked for again and again (that spun a core until the page's next ask)."""
    from types import SimpleNamespace

    from graphcl_core import projection
    from graphcl_core.config import TrainConfig
    from graphcl_core.trainer import Trainer
    from ui import live_frames

    warm = threading.Event()
    monkeypatch.setattr(projection, "is_warm", warm.is_set)
    cfg = TrainConfig(hidden=16, embedding_dim=8, device="cpu", eval_every=0, epochs=4, snapshot_every=2, seed=8102)
    trainer = Trainer(tiny_graph, cfg)
    trainer.take_snapshot()
    job = SimpleNamespace(trainer=trainer, cfg=cfg, writer=None, done=False)
    slot = SimpleNamespace(cache={})
    frame, _, _ = live_frames.frame_at(slot, job, 0, wait_s=30)
    assert frame.method == "pca"
    frames = slot.cache[live_frames.CACHE_KEY]
    looked = []
    monkeypatch.setattr(frames, "_snapshot", lambda epoch: looked.append(epoch))  # thinned away: no snapshot
    warm.set()
    threading.Event().wait(0.5)
    assert looked == [0] and frames.ready()["method"] == "pca"


def _first_frame_being_laid_out(tiny_graph, monkeypatch, done: bool):
    """A trained 8-epoch run whose epoch-0 frame is being laid out, every layout held at a gate: epoch 0's
    at ``gates[0]``, every later one at ``gates[1]``. Returns ``(slot, job, frames, gates)``."""
    import threading
    from types import SimpleNamespace

    from graphcl_core import projection
    from graphcl_core.config import TrainConfig
    from graphcl_core.trainer import Trainer
    from ui import live_frames

    cfg = TrainConfig(hidden=16, embedding_dim=8, device="cpu", eval_every=0, epochs=8, snapshot_every=4)
    trainer = Trainer(tiny_graph, cfg)
    trainer.run()
    gates, calls, laying_out_first = [threading.Event(), threading.Event()], [], threading.Event()
    real = projection.Projector.project

    def gated(self, emb):
        calls.append(1)
        laying_out_first.set()
        gates[min(len(calls), 2) - 1].wait(60)
        return real(self, emb)

    monkeypatch.setattr(projection.Projector, "project", gated)
    job = SimpleNamespace(trainer=trainer, cfg=cfg, writer=None, done=done)
    slot = SimpleNamespace(cache={})
    live_frames.prefetch_first(slot, job)
    assert laying_out_first.wait(30)
    return slot, job, slot.cache[live_frames.CACHE_KEY], gates


def _wait_for_request_of_epoch_8(frames) -> None:
    """Until a redraw's request for epoch 8 is in (it is waiting), before epoch 0's layout may end."""
    with frames._cond:
        assert frames._cond.wait_for(lambda: frames._want is not None and frames._want[0] == 8, timeout=30)


def test_a_redraw_waiting_for_another_epoch_takes_the_runs_first_frame_as_soon_as_it_is_laid_out(tiny_graph,
                                                                                                monkeypatch):
    """While a run has no frame, a redraw asking for a later epoch (the playhead moved on while epoch 0 was
    laid out) returns with epoch 0's frame the moment it is ready, instead of waiting out its wait."""
    import threading

    from graphcl_core import projection

    slot, job, frames, gates = _first_frame_being_laid_out(tiny_graph, monkeypatch, done=False)
    got, returned = {}, threading.Event()

    def redraw():
        got.update(frames.ask(8, "umap" if projection.is_warm() else "pca", 60.0))  # asks for epoch 8's frame
        returned.set()

    threading.Thread(target=redraw, daemon=True).start()
    _wait_for_request_of_epoch_8(frames)
    gates[0].set()  # epoch 0's frame is laid out; epoch 8's stays held
    try:
        assert returned.wait(30)  # back with the first frame, not after its 60 s
        assert got["frame"] is not None and got["done"][0] == 0
    finally:
        gates[1].set()


def test_the_last_redraw_still_waits_for_its_own_epoch_when_the_first_frame_comes_first(tiny_graph, monkeypatch):
    """A run that ended before any frame existed: the last redraw (no other follows) must show the last
    epoch's map, not stop at the first frame laid out."""
    import threading

    from ui import live_frames

    slot, job, frames, gates = _first_frame_being_laid_out(tiny_graph, monkeypatch, done=True)
    got = {}
    waiter = threading.Thread(target=lambda: got.update(zip(("frame", "epoch", "error"),
                                                           live_frames.frame_at(slot, job, 8, last=True))), daemon=True)
    waiter.start()
    _wait_for_request_of_epoch_8(frames)
    gates[0].set()
    with frames._cond:
        assert frames._cond.wait_for(lambda: frames._ready["frame"] is not None, timeout=30)  # epoch 0's is ready
    gates[1].set()
    waiter.join(30)
    assert got["frame"] is not None and got["epoch"] == 8

