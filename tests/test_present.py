"""Presentation mode (ui/present.py): its state in session and URL, the stage styling of the figures,
the Train page's Pause/Resume of a run and its playback (ui/live.py), and the page itself (AppTest)."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from ui import figures, live, pacing, present

APP = str(Path(__file__).resolve().parents[1] / "app.py")


# ---- state in session and URL -------------------------------------------------------------------

def test_flag_and_speed_from_the_url():
    state: dict = {}
    assert present.restore(state, {"present": "1", "speed": "20"}) == []
    present.init(state)
    assert present.is_on(state) and state[present.SPEED_KEY] == "20"
    assert present.query_params(state) == {"present": "1", "speed": "20"}


def test_bad_url_values_are_ignored_with_a_warning():
    state: dict = {}
    warnings = present.restore(state, {"present": "maybe", "speed": "7"})
    present.init(state)
    assert len(warnings) == 2 and "present=1" in warnings[0] and "auto" in warnings[1]
    assert not present.is_on(state) and state[present.SPEED_KEY] == pacing.AUTO
    assert present.query_params(state) == {}  # defaults stay out of the URL


def test_off_and_on_again():
    state: dict = {}
    present.restore(state, {"present": "off"})
    present.init(state)
    assert not present.is_on(state)
    present.set_on(state, True)
    present.init(state)  # the next run keeps it (the toggle's key outlives the page that hides it)
    assert present.query_params(state) == {"present": "1"}


# ---- stage styling ----------------------------------------------------------------------------------

def _nodes(n: int = 6):
    from ui.sources import NodeInfo

    return NodeInfo(names=[f"n{i}" for i in range(n)], labels=["a", "b", "c"] * (n // 3),
                    label_ids=np.arange(n) % 3, label_names=["a", "b", "c"], degrees=np.ones(n, int),
                    edge_index=np.zeros((2, 0), int))


def test_stage_projection_uses_the_high_contrast_palette_and_bigger_points():
    nodes = _nodes()
    colour = figures.Colouring("Label", np.array([0, 1, 2, 0, 1, 2]), ["a", "b", "c"])
    fig = figures.projection_figure(np.random.default_rng(0).normal(size=(6, 2)), np.arange(6), nodes, colour)
    before = [float(np.max(t.marker.size)) for t in fig.data]
    staged = present.stage_projection(fig)
    assert [t.marker.color for t in staged.data] == present.HIGH_CONTRAST[:3]
    assert [float(np.max(t.marker.size)) for t in staged.data] == pytest.approx([b * 1.8 for b in before])
    assert staged.layout.height == present.PROJECTION_HEIGHT and staged.layout.font.size == present.FONT_SIZE


def test_stage_projection_grows_crowded_points_less_and_widens_the_legend():
    n = 600
    nodes = _nodes(n)
    colour = figures.Colouring("Label", np.arange(n) % 3, ["a", "b", "c"])
    fig = figures.projection_figure(np.random.default_rng(0).normal(size=(n, 2)), np.arange(n), nodes, colour)
    size, width = float(np.max(fig.data[0].marker.size)), fig.layout.legend.entrywidth
    staged = present.stage_projection(fig)
    assert float(np.max(staged.data[0].marker.size)) == pytest.approx(size * 1.35)
    if width:
        assert staged.layout.legend.entrywidth == pytest.approx(width * present.FONT_SIZE / 12)


def test_stage_loss_thickens_lines_and_fixes_the_epoch_axis():
    hist = [{"epoch": e, "loss": 1 / e} for e in range(1, 40)]
    fig = present.stage_loss(figures.loss_figure([("g", hist)]), total_epochs=200)
    assert tuple(fig.layout.xaxis.range) == (0, 200)
    assert all(t.line.width >= 2 for t in fig.data)
    assert {t.line.color for t in fig.data} <= set(present.HIGH_CONTRAST)


# ---- Pause/Resume of a run and its playback -------------------------------------------------------------

class _Job:
    """Enough of ``worker.TrainingJob`` for the live view's rules."""

    def __init__(self, state="running", epoch=200, done=False):
        self.state, self.done, self.created, self._start_paused = state, done, 1.0, False
        self.trainer = SimpleNamespace(epoch=epoch)

    def pause(self):
        self.state = "paused"

    def resume(self):
        self.state = "running"


def _slot(job):
    import threading

    return SimpleNamespace(job=job, lock=threading.RLock(), active=not job.done)


def test_pause_holds_both_the_run_and_its_playback():
    job = _Job()
    slot, head = _slot(job), pacing.Playhead({})
    head.update(live.run_key(job), 0.0, 200, 10.0)
    live.pause_or_resume(slot, head, 1.0, 10.0)
    assert job.state == "paused" and head.paused(live.run_key(job)) and live.is_held(job, head)
    assert live.poll_seconds(job, head, 10.0) == live.training.POLL_IDLE_S
    live.pause_or_resume(slot, head, 2.0, 10.0)
    assert job.state == "running" and not live.is_held(job, head)


def test_polls_fast_from_start_until_the_first_epoch():
    import time

    job = _Job(epoch=0)
    job.created = time.time()
    head = pacing.Playhead({})
    assert live.poll_seconds(job, head, 10.0) == live.training.POLL_FIRST_S
    job.trainer = None  # still building its trainer
    assert live.poll_seconds(job, head, None) == live.training.POLL_FIRST_S
    job.trainer = SimpleNamespace(epoch=1)
    assert live.poll_seconds(job, head, 10.0) == pacing.POLL_S
    assert live.poll_seconds(job, head, None) == live.training.POLL_RUNNING_S
    job.trainer = SimpleNamespace(epoch=0)
    job.created -= live.training.FAST_POLL_MAX_S + 1  # a first epoch that takes long: back to the usual pace
    assert live.poll_seconds(job, head, None) == live.training.POLL_RUNNING_S


def test_polls_fast_from_start_until_the_first_map_is_drawn():
    """On a fresh GPU server the first map was ready 0.6-0.9 s after Start, after the first loss row: the
    view keeps the fast poll until the page has drawn a map of the run (for FAST_POLL_MAX_S at most)."""
    import time

    job = _Job(epoch=5)
    job.created = time.time()
    head = pacing.Playhead({})
    assert live.poll_seconds(job, head, None, first_frame_pending=True) == live.training.POLL_FIRST_S
    assert live.poll_seconds(job, head, None, first_frame_pending=False) == live.training.POLL_RUNNING_S
    job.created -= live.training.FAST_POLL_MAX_S + 1  # no map for long (a cold layout): the usual pace
    assert live.poll_seconds(job, head, None, first_frame_pending=True) == live.training.POLL_RUNNING_S


def test_the_first_map_is_pending_until_the_page_draws_one():
    from ui import live_frames

    job = _Job(epoch=3)
    job.cfg = SimpleNamespace(seed=0)
    slot = SimpleNamespace(cache={})
    assert live_frames.first_frame_pending(slot, job)
    live_frames.mark_drawn(slot, job)
    assert not live_frames.first_frame_pending(slot, job)
    other = _Job(epoch=3)  # the tab's next run starts without a map again
    assert live_frames.first_frame_pending(slot, other)
    assert not live_frames.first_frame_pending(slot, _Job(done=True)) and not live_frames.first_frame_pending(slot, None)


def test_a_finished_run_plays_on_then_stops_polling():
    job = _Job(state="finished", epoch=200, done=True)
    slot, head = _slot(job), pacing.Playhead({})
    key = live.run_key(job)
    head.update(key, 0.0, 200, 10.0)
    assert live.playback_pending(job, head, 10.0)
    assert live.poll_seconds(job, head, 10.0) == pacing.POLL_S
    live.pause_or_resume(slot, head, 0.5, 10.0)  # pauses only the playback: the run is over
    assert head.paused(key) and live.poll_seconds(job, head, 10.0) is None and live.is_held(job, head)
    live.pause_or_resume(slot, head, 0.6, 10.0)
    head.update(key, 30.0, 200, 10.0)
    assert not live.playback_pending(job, head, 10.0) and live.poll_seconds(job, head, 10.0) is None
    assert live.poll_seconds(job, head, None) is None  # live: nothing left to play


def test_paced_progress_text():
    status = {"state": "finished", "epoch": 200, "epochs": 200, "seconds": 0.4, "history": []}
    text = live.paced_progress_text(status, 40, 10.0)
    assert text == ("Showing epoch 40 of 200 (trained: 200) · played at 10 epochs/s · 16 s to go · "
                    "training finished in 0 s")
    held = live.paced_progress_text(status, 40, 10.0, held=True)
    assert held.endswith("· playback paused · training finished in 0 s")
    assert live.paced_progress_text(status, 200, 10.0).startswith("Epoch 200 of 200")


# ---- the Train page in presentation mode (AppTest) ------------------------------------------------------

@pytest.mark.timeout(180)
def test_train_page_in_presentation_mode(app_runs_dir):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"present": "1", "graph": "karate", "speed": "5", "epochs": "30"})
    at.run()
    at.switch_page("pages/train.py").run()
    assert not at.exception, [e.message for e in at.exception]
    # settings hidden, one big Start, the sidebar hidden by the page's style
    assert "Settings" not in [s.value for s in at.subheader]
    assert not [w for w in at.number_input if w.key == "cfg.margin"]
    assert [b.key for b in at.button if b.key and b.key.startswith("present.")] == ["present.start", "present.exit"]
    assert any('section[data-testid="stSidebar"]' in h.proto.body for h in at.get("html"))
    assert at.query_params["present"] == "1" and at.query_params["speed"] == "5"

    at.button(key="present.start").click().run()
    from ui import registry

    job = registry.get_slot(at.session_state["sid"]).job
    assert job is not None and job.cfg.epochs == 30
    job.join(60)
    assert job.state == "finished"
    # as on a GPU, where the run ends before the playback has begun: the picture is still at epoch 0
    slot = registry.get_slot(at.session_state["sid"])
    slot.cache["train.playhead"] = {"run": live.run_key(job), "position": 0.0, "at": None, "paused": False}
    at.run()
    # trained to the end, shown at 5 epochs/s: the big button pauses the playback
    progress = [p.proto.text for p in at.get("progress")]
    assert any(t.startswith("Showing epoch") and "(trained: 30)" in t for t in progress), progress
    assert at.button(key="present.pause").label == "Pause"
    at.button(key="present.pause").click().run()
    assert at.button(key="present.pause").label == "Resume"
    shown = slot.cache["train.playhead"]["position"]
    time.sleep(1.0)
    at.run()
    assert slot.cache["train.playhead"]["position"] == shown  # held still while paused

    at.button(key="present.exit").click().run()
    assert not at.exception
    assert "present" not in at.query_params and "Settings" in [s.value for s in at.subheader]
