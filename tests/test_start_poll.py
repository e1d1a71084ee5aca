"""Start → the first loss point: the Train page polls fast from Start until the first epoch. A job that was
just started is ``queued`` until its thread has built the trainer, even with a slot free; the page took
that for waiting in line and polled every 3 s, so the first loss point came 3 s after Start."""

from __future__ import annotations

import pytest

from graphcl_core import admission
from graphcl_core.loaders import load_graph
from graphcl_core.presets import preset
from graphcl_core.worker import TrainingJob
from ui import live, pacing, training


@pytest.fixture
def karate():
    return load_graph("karate")


def test_a_job_just_started_polls_fast_though_it_says_queued(karate):
    job = TrainingJob(karate, preset("default", epochs=5, device="cpu"), None,
                      queue=admission.AdmissionQueue({"cpu": 1}))
    assert job.state == "queued" and job.trainer is None  # as the page sees it in the click's rerun
    assert live.poll_seconds(job, pacing.Playhead({}), None) == training.POLL_FIRST_S


def test_a_job_waiting_in_line_polls_slowly(karate):
    queue = admission.AdmissionQueue({"cpu": 1})
    other = queue.request("someone-else", "cpu")  # the only CPU slot is taken
    assert other.admitted
    job = TrainingJob(karate, preset("default", epochs=5, device="cpu"), None, owner="me", queue=queue).start()
    try:
        for _ in range(200):
            if job.status()["queue_position"] is not None:
                break
            job.join(0.01)
        assert job.status()["queue_position"] == 1 and job.state == "queued"
        assert live.poll_seconds(job, pacing.Playhead({}), None) == training.POLL_QUEUED_S
    finally:
        job.stop()
        queue.release(other)
        job.join(30)


def test_stop_is_shown_by_the_click_or_by_fast_polls(karate):
    """Stop's callback waits a moment for the run to say "stopped"; a run that needs longer to reach its
    epoch boundary is polled fast until it does."""
    from types import SimpleNamespace

    job = TrainingJob(karate, preset("default", epochs=100_000, device="cpu"), None,
                      queue=admission.AdmissionQueue({"cpu": 1})).start()
    try:
        for _ in range(3000):
            if job.trainer is not None and job.trainer.epoch > 0:
                break
            job.join(0.01)
        assert job.state == "running" and not job.stopping
        slot = SimpleNamespace(job=job, lock=__import__("threading").RLock())
        training.stop(slot)
        assert job.wait_done(60) and job.state == "stopped" and not job.stopping
    finally:
        job.stop()
        job.join(30)
    import time

    slow = SimpleNamespace(done=False, state="running", stopping=True, trainer=SimpleNamespace(epoch=5),
                           _start_paused=False, stop_requested_at=time.time(), created=time.time() - 60)
    assert live.poll_seconds(slow, pacing.Playhead({}), None) == training.POLL_FIRST_S
    slow.stop_requested_at -= training.FAST_POLL_MAX_S + 1  # a stop that takes long: the usual pace again
    assert live.poll_seconds(slow, pacing.Playhead({}), None) == training.POLL_RUNNING_S


def test_the_redraw_after_start_waits_for_the_first_loss_row(karate):
    """The click's redraw holds until the run's first loss row, so it draws the first point itself."""
    job = TrainingJob(karate, preset("default", epochs=5, device="cpu"), None,
                      queue=admission.AdmissionQueue({"cpu": 1}))
    job.created += 60  # (a slow CI machine must not run out of the wait before the first epoch)
    job.start()
    try:
        assert job.trainer is None or not job.trainer.history or job.done
        assert live.await_first_loss(job) or job.done
        assert job.trainer is not None and job.trainer.history
    finally:
        job.stop()
        job.join(30)


def test_nothing_waits_for_a_run_in_line_paused_or_started_long_ago(karate, monkeypatch):
    import threading
    import time

    from graphcl_core import worker

    me, slept = threading.current_thread(), []
    real_sleep = time.sleep

    def sleep(s):  # (time.sleep is global: only this thread's sleeps count, not the runs' own)
        if threading.current_thread() is me:
            slept.append(s)
        real_sleep(s)

    monkeypatch.setattr(worker.time, "sleep", sleep)

    queue = admission.AdmissionQueue({"cpu": 1})
    other = queue.request("someone-else", "cpu")
    in_line = TrainingJob(karate, preset("default", epochs=5, device="cpu"), None, owner="me", queue=queue)
    in_line.created += 60
    in_line.start()
    paused = TrainingJob(karate, preset("default", epochs=5, device="cpu"), None, start_paused=True,
                         queue=admission.AdmissionQueue({"cpu": 1}))
    paused.created += 60
    try:
        for _ in range(500):
            if in_line.status()["queue_position"] is not None:
                break
            in_line.join(0.01)
        slept.clear()  # (the loop above waited with join, not sleep; cleared all the same)
        for job in (in_line, paused):
            assert live.await_first_loss(job) is False
        assert slept == []  # at once: not a single poll of the wait the 60 s would allow
    finally:
        for job in (in_line, paused):
            job.stop()
        queue.release(other)
        in_line.join(30)

    class Old:  # started long ago: its redraws never wait
        done, state, _start_paused, trainer, created = False, "running", False, None, time.time() - 10

        def wait_first_loss(self, timeout):
            raise AssertionError("an old run was waited for")

    assert live.await_first_loss(Old()) is False
