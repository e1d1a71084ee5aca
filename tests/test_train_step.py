"""Step on the Train page shows exactly one more epoch (issue 10), also while a fast run is played back
behind training: there the next epoch is already trained and is shown from its snapshot; at the newest
epoch one more is trained and the picture follows it. And the progress line names the run's state in the
sidebar's words (a held playback of a stopped run is not just "paused")."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from ui import live, pacing

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_a_step_behind_training_shows_the_next_trained_epoch_and_trains_nothing():
    head = pacing.Playhead({})
    head.update("r", 0.0, trained=153, rate=150.0)
    assert head.update("r", 0.873, trained=153, rate=150.0) == 130
    head.set_paused("r", True, 1.0)
    assert head.step("r", trained=153, now=2.0) is True  # epoch 131 exists: nothing to train
    assert head.update("r", 2.1, trained=153, rate=150.0) == 131
    assert head.step("r", trained=153, now=3.0) is True
    assert head.update("r", 9.0, trained=153, rate=150.0) == 132  # and it holds there
    assert head.paused("r")
    head.set_paused("r", False, 10.0)  # Resume plays on from the epoch on screen
    assert head.update("r", 10.05, trained=153, rate=150.0) in (139, 140)
    assert head.update("r", 11.0, trained=153, rate=150.0) == 153


def test_a_step_at_the_newest_epoch_asks_for_one_more_and_the_picture_follows_it():
    head = pacing.Playhead({})
    head.update("r", 0.0, trained=40, rate=5.0)
    head.update("r", 100.0, trained=40, rate=5.0)  # caught up: 40 of 40
    assert head.step("r", trained=40, now=101.0) is False  # epoch 41 must be trained first
    assert head.awaits_step("r", 40) and head.stepped_at("r") == 101.0
    assert head.update("r", 101.1, trained=40, rate=5.0) == 40
    assert head.update("r", 101.2, trained=42, rate=5.0) == 41  # trained: shown, and no further
    assert not head.awaits_step("r", 42)
    assert head.update("r", 109.0, trained=42, rate=5.0) == 41


def test_the_first_step_counts_from_the_epoch_on_screen():
    head = pacing.Playhead({})
    head.update("r", 0.0, trained=20, rate=5.0)  # position 0, but epoch 1 is drawn (live.on_screen)
    assert head.step("r", trained=20, now=0.1) is True
    assert head.update("r", 0.2, trained=20, rate=5.0) == 2


class _Job:
    def __init__(self, epoch: int, state: str = "paused"):
        self.trainer = SimpleNamespace(epoch=epoch)
        self.state, self.created, self._start_paused = state, 1.0, state == "paused"
        self.pauses = 0

    @property
    def done(self):
        return self.state in ("finished", "stopped", "failed")

    def pause(self):
        self.pauses += 1
        self.state, self._start_paused = "paused", True


def _slot(job):
    import threading

    return SimpleNamespace(job=job, lock=threading.RLock(), active=not job.done)


def test_live_step_behind_pauses_a_training_run_and_trains_nothing():
    job, trained_one = _Job(153, "running"), []
    slot, head = _slot(job), pacing.Playhead({})
    key = live.run_key(job)
    head.update(key, 0.0, 153, 150.0)
    head.update(key, 0.873, 153, 150.0)
    assert live.step(slot, head, 150.0, 1.0, lambda: trained_one.append(1)) is None
    assert trained_one == [] and job.pauses == 1
    assert head.update(key, 1.5, 160, 150.0) == 131


def test_live_step_of_a_finished_run_played_back_shows_its_next_epoch_not_a_new_run():
    job, trained_one = _Job(200, "finished"), []
    slot, head = _slot(job), pacing.Playhead({})
    key = live.run_key(job)
    head.update(key, 0.0, 200, 10.0)
    head.update(key, 19.8, 200, 10.0)
    head.set_paused(key, True, 19.9)
    live.step(slot, head, 10.0, 20.0, lambda: trained_one.append(1))
    assert trained_one == [] and head.update(key, 21.0, 200, 10.0) == 199


def test_pausing_a_run_the_picture_keeps_up_with_lets_the_picture_reach_its_last_epoch():
    """(An epoch under way at the click lands after it; the picture still shows it, so the next Step
    trains one more instead of first showing that one.)"""
    job = _Job(40, "running")
    job.resume = lambda: None
    slot, head = _slot(job), pacing.Playhead({})
    key = live.run_key(job)
    head.update(key, 0.0, 40, 5000.0)
    live.pause_or_resume(slot, head, 0.1, 5000.0)
    assert job.state == "paused" and not head.paused(key) and live.is_held(job, head)
    job.trainer.epoch = 41  # the epoch under way
    assert head.update(key, 1.0, 41, 5000.0) == 41
    behind = _Job(300, "running")
    slot, key = _slot(behind), live.run_key(behind)
    head.update(key, 0.0, 300, 5.0)
    live.pause_or_resume(slot, head, 1.0, 5.0)  # the picture is far behind the run: it holds too
    assert head.paused(key) and head.update(key, 9.0, 300, 5.0) == 0  # where it was drawn last: no jump


def test_live_step_at_the_newest_epoch_trains_one_and_waits_for_it():
    job = _Job(40, "paused")
    slot, head = _slot(job), pacing.Playhead({})
    key = live.run_key(job)
    head.update(key, 0.0, 40, 5.0)
    head.update(key, 100.0, 40, 5.0)

    def train_one():
        job.trainer.epoch += 1  # (the run's thread does this a moment later in the app)

    assert live.step(slot, head, 5.0, 101.0, train_one) is None
    assert head.update(key, 101.1, job.trainer.epoch, 5.0) == 41
    calls = []
    live.step(slot, head, None, 102.0, lambda: calls.append("live"))  # Live speed: always trains
    assert calls == ["live"]


def _st(state, epoch=155, epochs=3000, seconds=3.0):
    return {"state": state, "epoch": epoch, "epochs": epochs, "seconds": seconds, "history": []}


@pytest.mark.parametrize("state, tail", [
    ("paused", " · paused"),  # the run and its playback both paused: the sidebar says "paused" too
    ("stopped", " · playback paused · training stopped"),
    ("finished", " · playback paused · training finished in 3 s"),
])
def test_a_held_playback_names_the_runs_own_state(state, tail):
    text = live.paced_progress_text(_st(state), 131, 150.0, held=True)
    assert text == f"Showing epoch 131 of 3000 (trained: 155) · played at 150 epochs/s{tail}"


# ---- the page itself (AppTest) ------------------------------------------------------------------

def _progress(at: AppTest) -> str:
    return " | ".join(p.proto.text for p in at.get("progress"))


def _sidebar(at: AppTest) -> str:
    return "\n".join(m.value for m in at.sidebar.markdown)


@pytest.mark.timeout(240)
def test_step_on_the_train_page_shows_one_more_epoch_each_time_and_stop_says_stopped(app_runs_dir):
    """The stranger's steps: a long karate run played at 5 epochs/s (far behind training), Pause, Step,
    Step: the epoch on screen (and the loss curve) moves by one each time; then Stop: page and sidebar
    both say stopped."""
    from ui import registry

    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state["workspace"] = "step-test"
    at.query_params.update({"graph": "karate", "epochs": "3000", "speed": "5"})
    at.run()
    at.switch_page("pages/train.py").run()
    at.button(key="train.start").click().run()
    job = registry.get_slot(at.session_state["sid"]).job
    deadline = time.time() + 90
    while job.status()["epoch"] < 30 and time.time() < deadline:
        time.sleep(0.1)
    at.run()
    at.button(key="train.pause").click().run()
    time.sleep(0.5)  # an epoch under way at the click lands after it
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    first = _progress(at)
    assert "Showing epoch " in first and " · paused" in first, first
    shown = int(first.split("Showing epoch ")[1].split()[0])
    trained = job.status()["epoch"]
    for k in (1, 2):
        at.button(key="train.step").click().run()
        assert not at.exception, [e.message for e in at.exception]
        assert f"Showing epoch {shown + k} of 3000 (trained: {trained})" in _progress(at), _progress(at)
        assert job.status()["epoch"] == trained  # nothing trained: the epoch was there already
    assert "**karate**: paused" in _sidebar(at)

    at.button(key="train.stop").click().run()
    job.join(30)
    at.run()
    assert "training stopped" in _progress(at) and " · paused" not in _progress(at), _progress(at)
    assert "**karate**: stopped" in _sidebar(at)
