"""Races between the UI thread and the training thread (issue 9), hammered from several threads.

A race needs an unlucky preemption at one exact moment. ``_Preempted`` makes that moment likely:
when a UI thread reads a job's ``state`` or its not-yet-built ``trainer``, it naps before going on,
as if the scheduler had switched threads right there. Without the job's lock around check-and-act,
these tests fail often; with it they cannot.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from graphcl_core.config import TrainConfig
from graphcl_core.worker import TrainingJob
from ui import registry

REPO = Path(__file__).resolve().parents[1]
SMALL = dict(hidden=16, embedding_dim=8, device="cpu", eval_every=0, snapshot_every=1000)

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(autouse=True)
def _switch_threads_often():
    """Switch threads every 10 µs instead of every 5 ms, so rare interleavings happen here."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(old)


class _Preempted(TrainingJob):
    """A job whose UI-side reads of ``state`` and of a missing ``trainer`` nap for a moment."""

    nap_s = 0.005

    def __getattribute__(self, name):
        value = object.__getattribute__(self, name)
        if (name == "state" or (name == "trainer" and value is None)) \
                and threading.current_thread() is not object.__getattribute__(self, "_thread"):
            time.sleep(random.uniform(0, object.__getattribute__(self, "nap_s")))
        return value


def _wait(cond, timeout=60.0) -> bool:
    deadline = time.time() + timeout
    while not cond() and time.time() < deadline:
        time.sleep(0.01)
    return cond()


def _run_threads(targets) -> None:
    threads = [threading.Thread(target=t) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)


@pytest.mark.parametrize("seed", range(4))
def test_every_step_click_runs_exactly_one_epoch(tiny_graph, seed):
    """Steps clicked before the trainer exists, while it is handed over, and while paused all count."""
    rng = random.Random(seed)
    job = _Preempted(tiny_graph, TrainConfig(epochs=100_000, **SMALL), start_paused=True)
    job.nap_s = 0.05  # longer than building the trainer (2-30 ms): a Step can straddle the hand-over
    clicks_per_thread, threads = 4, 4
    gaps = [[rng.uniform(0, 0.03) for _ in range(clicks_per_thread)] for _ in range(threads)]

    def clicker(my_gaps):
        def run():
            for gap in my_gaps:
                time.sleep(gap)
                job.step_once()
        return run

    def starter():
        time.sleep(rng.uniform(0, 0.03))
        job.start()

    try:
        _run_threads([clicker(g) for g in gaps] + [starter])
        n = clicks_per_thread * threads
        assert _wait(lambda: job.status()["epoch"] >= n, timeout=30), f"{job.status()['epoch']} of {n} Steps ran"
        time.sleep(0.2)  # an extra epoch, if one were allowed, would show by now
        assert job.status()["epoch"] == n
        assert job.state == "paused"
    finally:
        job.stop()
        job.join(30)
    assert job.state == "stopped"


def test_a_finished_run_stays_finished_whatever_the_buttons_do(tiny_graph):
    """Pause/Resume racing the end of the run must not turn 'finished' back into 'paused'/'running'."""
    for _ in range(6):
        job = _Preempted(tiny_graph, TrainConfig(epochs=15, **SMALL)).start()

        def hammer():
            while job.alive:
                job.pause()
                job.resume()

        _run_threads([hammer] * 3)
        job.resume()  # in case a thread's last word was Pause
        job.join(30)
        assert not job.alive
        assert job.state == "finished", job.state
        assert job.done


def test_stop_while_starting_is_never_lost(tiny_graph):
    """Stop clicked while the trainer is being built still stops it."""
    for i in range(6):
        job = _Preempted(tiny_graph, TrainConfig(epochs=100_000, **SMALL))
        job.nap_s = 0.02

        def stopper():
            time.sleep(0.002 * i)
            job.stop()

        job.start()
        _run_threads([stopper])
        job.join(30)
        assert not job.alive and job.state == "stopped"


def test_only_one_tab_claims_an_open_token(monkeypatch):
    """Tabs opened from one link at the same moment: exactly one gets the slot, the rest are refused."""
    def slow_open(session_id):
        time.sleep(0.001)  # asking Streamlit whether a connection is open takes a moment
        return True

    monkeypatch.setattr(registry, "_connection_open", slow_open)
    for _ in range(10):
        sid = registry.new_token()
        barrier = threading.Barrier(6)
        winners = []

        def open_tab(name):
            def run():
                barrier.wait()
                if registry.claim(sid, name) is not None:
                    winners.append(name)
            return run

        _run_threads([open_tab(f"tab-{k}") for k in range(6)])
        assert len(winners) == 1, winners
        assert registry.get_slot(sid).owner == winners[0]
        assert registry.claim(sid, winners[0]) is not None  # the owner itself (a rerun) keeps it


def test_a_bad_gpu_slots_value_does_not_break_the_import():
    """``GRAPHCL_GPU_SLOTS=two`` keeps the default pool of 2 instead of crashing ``import``."""
    code = ("import graphcl_core.worker, graphcl_core.admission as a; q = a.default_queue(); "
            "print(sum(q.request(str(i), 'gpu').admitted for i in range(5)))")
    env = {**os.environ, "GRAPHCL_GPU_SLOTS": "two"}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "2"
