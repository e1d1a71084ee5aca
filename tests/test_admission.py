"""The admission queue: FIFO, the per-visitor cap, slots freed at once, estimates, pools, bad options;
and ``TrainingJob`` waiting in it. Deterministic: a fake clock and events, never a sleep to "let it happen"."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from graphcl_core import admission
from graphcl_core.admission import AdmissionQueue
from graphcl_core.config import TrainConfig
from graphcl_core.errors import ConfigError
from graphcl_core.options import RuntimeOptions
from graphcl_core.worker import TrainingJob, check_host_limits

REPO = Path(__file__).resolve().parents[1]
SMALL = dict(hidden=16, embedding_dim=8, device="cpu", eval_every=0, snapshot_every=1)

pytestmark = pytest.mark.timeout(120)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _queue(cpu=1, gpu=1, cap=1, clock=None) -> AdmissionQueue:
    return AdmissionQueue({"cpu": cpu, "gpu": gpu}, cap, clock=clock or Clock())


def test_first_come_first_served():
    q = _queue()
    a, b, c = (q.request(o, "cpu") for o in "abc")
    assert (a.admitted, b.waiting, c.waiting) == (True, True, True)
    assert (q.position(a), q.position(b), q.position(c)) == (0, 1, 2)
    q.release(a)
    assert b.admitted and c.waiting and q.position(c) == 1
    q.release(b)
    assert c.admitted


def test_a_visitor_with_three_queued_runs_does_not_starve_another():
    q = _queue(cpu=2)
    a1, a2, a3, a4 = (q.request("A", "cpu") for _ in range(4))
    assert a1.admitted and a2.admitted  # alone, A may use every free slot
    b1 = q.request("B", "cpu")
    assert b1.waiting
    assert q.position(b1) == 1 and q.position(a3) == 2  # B, under the cap, goes before A's third
    q.release(a1)
    assert b1.admitted and a3.waiting
    q.release(a2)
    assert a3.admitted  # only A waits now: the slot does not idle
    c1 = q.request("C", "cpu")
    q.release(b1)
    assert c1.admitted and a4.waiting  # A holds a slot while C waits: C first, though A asked earlier


def test_the_cap_is_configurable():
    q = _queue(cpu=3, cap=2)
    a = [q.request("A", "cpu") for _ in range(3)]
    b = q.request("B", "cpu")
    assert [t.admitted for t in a] == [True, True, True] and b.waiting
    q.release(a[0])
    assert b.admitted  # A holds 2 = cap, B goes first
    a4 = q.request("A", "cpu")
    q.release(b)
    assert a4.admitted


def test_release_frees_the_slot_inside_the_call_and_wakes_the_waiter():
    q = _queue()
    a, b = q.request("A", "cpu"), q.request("B", "cpu")
    woke = threading.Event()
    waiter = threading.Thread(target=lambda: b.wait() and woke.set())
    waiter.start()
    q.release(a)  # Stop: the next run is admitted before release returns
    assert b.admitted
    waiter.join(5)
    assert woke.is_set()
    q.release(a)  # twice is harmless
    assert q.summary()["cpu"] == {"slots": 1, "running": 1, "waiting": 0}


def test_cancel_while_waiting_wakes_the_waiter_as_not_admitted():
    q = _queue()
    q.request("A", "cpu")
    b = q.request("B", "cpu")
    q.release(b)
    assert b.wait(0) is False and q.position(b) is None and q.estimated_wait(b) is None


def test_a_visitor_who_leaves_gives_everything_back():
    q = _queue(cpu=2)
    a1, a2, a3 = (q.request("A", "cpu") for _ in range(3))
    b = q.request("B", "cpu")
    assert q.release_owner("A") == 3
    assert b.admitted and q.summary()["cpu"] == {"slots": 2, "running": 1, "waiting": 0}
    assert not any(t.admitted or t.waiting for t in (a1, a2, a3))


def test_on_admit_is_called_outside_the_lock():
    q = _queue()
    a = q.request("A", "cpu")
    seen = []
    b = q.request("B", "cpu", on_admit=lambda t: seen.append((t, q.summary()["cpu"]["running"])))
    q.release(a)
    assert seen == [(b, 1)]  # summary() takes the lock: it would deadlock inside it


def test_wait_estimates_from_progress_and_from_the_average():
    clock = Clock()
    q = _queue(clock=clock)
    progress = {"a": (0.25, 10.0)}  # a quarter done after 10 s: 30 s left
    a = q.request("A", "cpu", progress=lambda: progress["a"])
    b, c = q.request("B", "cpu"), q.request("C", "cpu")
    assert q.where(b) == (1, pytest.approx(30.0))
    # C waits for A and then for B, whose length is the pool's average (none ended yet: the default)
    assert q.where(c) == (2, pytest.approx(30.0 + admission.DEFAULT_RUN_S))
    clock.now += 40
    q.release(a)  # A's slot was held 40 s: the average becomes 40 s
    assert q.average_run_s("cpu") == pytest.approx(40.0)
    assert q.where(c) == (1, pytest.approx(40.0))  # B just started, no progress yet
    clock.now += 30
    assert q.estimated_wait(c) == pytest.approx(10.0)
    assert q.estimated_wait(b) == 0.0 and q.position(b) == 0


def test_a_broken_progress_callback_does_not_break_the_estimate():
    q = _queue()
    q.request("A", "cpu", progress=lambda: 1 / 0)
    assert q.where(q.request("B", "cpu"))[0] == 1


def test_cpu_and_gpu_pools_are_separate():
    q = _queue(cpu=1, gpu=2)
    c1 = q.request("A", "cpu")
    g1, g2 = q.request("B", "gpu"), q.request("C", "gpu")
    c2 = q.request("D", "cpu")
    assert c1.admitted and g1.admitted and g2.admitted and c2.waiting
    q.release(g1)
    assert c2.waiting  # a GPU slot is no use to a CPU run
    assert admission.pool_of("cuda:0") == "gpu" and admission.pool_of("cpu") == "cpu"
    with pytest.raises(ValueError, match="unknown pool"):
        q.request("A", "tpu")


def test_bad_option_values_are_reported_not_crashing():
    opts = RuntimeOptions.from_env({"GRAPHCL_CPU_SLOTS": "0", "GRAPHCL_MAX_SLOTS_PER_VISITOR": "many",
                                    "GRAPHCL_MAX_UPLOAD_MB": "-5", "GRAPHCL_MAX_EPOCHS": "1e3"})
    assert (opts.cpu_slots, opts.max_slots_per_visitor, opts.max_upload_mb, opts.max_epochs) == (None, 1, 200, None)
    for var in ("GRAPHCL_CPU_SLOTS", "GRAPHCL_MAX_SLOTS_PER_VISITOR", "GRAPHCL_MAX_UPLOAD_MB", "GRAPHCL_MAX_EPOCHS"):
        assert "is ignored" in opts.problem_for(var)
    good = RuntimeOptions.from_env({"GRAPHCL_CPU_SLOTS": "3", "GRAPHCL_MAX_SLOTS_PER_VISITOR": "2"})
    assert (good.cpu_slots, good.max_slots_per_visitor) == (3, 2)
    with pytest.raises(ValueError):
        AdmissionQueue({"cpu": 0})


def test_default_queue_follows_the_options_and_survives_a_typo():
    code = ("from graphcl_core import admission as a; q = a.default_queue(); "
            "print(q.slots['cpu'], q.slots['gpu'], q.max_per_owner)")
    env = {**os.environ, "GRAPHCL_CPU_SLOTS": "three", "GRAPHCL_GPU_SLOTS": "4", "GRAPHCL_MAX_SLOTS_PER_VISITOR": "2"}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(admission.cpu_slots_default()), "4", "2"]


def test_max_epochs_is_checked_when_a_run_starts(tiny_graph):
    opts = RuntimeOptions(max_epochs=500)
    assert check_host_limits(TrainConfig(epochs=500), opts).epochs == 500
    with pytest.raises(ConfigError, match="at most 500 epochs"):
        check_host_limits(TrainConfig(epochs=501), opts)


# ---- TrainingJob in the queue ------------------------------------------------------------------

def _admitted_event(queue: AdmissionQueue, owner: str) -> threading.Event:
    """An event set when a ticket of ``owner`` is admitted (wraps ``request``)."""
    ev, request = threading.Event(), queue.request

    def spy(who, pool, **kw):
        inner = kw.pop("on_admit", None)

        def on_admit(t):
            if inner is not None:
                inner(t)
            if who == owner:
                ev.set()
        return request(who, pool, on_admit=on_admit, **kw)
    queue.request = spy
    return ev


def test_a_job_waits_in_the_queue_and_runs_when_admitted(tiny_graph):
    q = _queue()
    blocker = q.request("someone", "cpu")
    admitted = _admitted_event(q, "me")
    job = TrainingJob(tiny_graph, TrainConfig(epochs=5, **SMALL), owner="me", queue=q).start()
    try:
        while job.status()["queue_position"] is None:  # the job thread asks for its slot
            job._thread.join(0.01)
        s = job.status()
        assert s["state"] == "queued" and s["queue_position"] == 1 and s["queue_wait_s"] is not None
        assert s["epoch"] == 0 and job.trainer is None
        q.release(blocker)
        assert admitted.wait(10)
        job.join(60)
        assert job.state == "finished" and job.status()["epoch"] == 5
        assert q.summary()["cpu"] == {"slots": 1, "running": 0, "waiting": 0}  # given back at the end
    finally:
        job.stop()


def test_stop_while_queued_ends_the_job_and_leaves_the_line(tiny_graph):
    q = _queue()
    q.request("someone", "cpu")
    job = TrainingJob(tiny_graph, TrainConfig(epochs=5, **SMALL), owner="me", queue=q).start()
    while job.status()["queue_position"] is None:
        job._thread.join(0.01)
    job.stop()
    job.join(10)
    assert job.state == "stopped" and q.summary()["cpu"]["waiting"] == 0


def test_stop_pause_and_leave_free_the_slot_at_once(tiny_graph):
    """The next visitor is admitted inside the call to stop()/pause()/leave(), not a moment later."""
    for action in ("stop", "pause", "leave"):
        q = _queue()
        job = TrainingJob(tiny_graph, TrainConfig(epochs=100_000, **SMALL), owner="me", queue=q).start()
        try:
            while job.status()["epoch"] < 1:
                job._thread.join(0.01)
            other = q.request("next visitor", "cpu")
            assert other.waiting
            getattr(job, action)()
            assert other.admitted, action
            if action == "stop":
                q.release(other)
            else:
                assert job.state in ("paused", "queued") and not job.holds_slot
                if action == "pause":
                    job.resume()
                else:
                    job.rejoin()
                assert job.state == "queued" and job.status()["queue_position"] == 1
                q.release(other)
                assert job.holds_slot and job.state == "running"
        finally:
            job.stop()
            job.join(30)
        assert q.summary()["cpu"] == {"slots": 1, "running": 0, "waiting": 0}


# ---- the app's side: a tab that leaves, the queue in words, the upload limit ---------------------

def test_a_closed_tab_gives_its_slot_back_and_queues_again_when_it_returns(tiny_graph, monkeypatch):
    from ui import registry

    open_sessions = {"s1"}
    monkeypatch.setattr(registry, "_connection_gone", lambda sid: sid is not None and sid not in open_sessions)
    monkeypatch.setattr(registry, "_ensure_watcher", lambda: None)  # this test plays the watcher
    q = _queue()
    slot = registry.claim(registry.new_token(), "s1")
    slot.job = TrainingJob(tiny_graph, TrainConfig(epochs=100_000, **SMALL), owner=slot.sid, queue=q).start()
    try:
        while slot.job.status()["epoch"] < 1:
            slot.job._thread.join(0.01)
        other = q.request("next visitor", "cpu")
        assert registry.release_departed() == []  # still open: nothing happens
        assert other.waiting
        open_sessions.clear()  # the tab is closed
        assert slot.sid in registry.release_departed()
        assert other.admitted and slot.job.state == "queued" and not slot.job.done
        assert registry.claim(slot.sid, "s2") is slot  # a reload: the same run, in line again
        open_sessions.add("s2")
        assert slot.job.status()["queue_position"] == 1
        q.release(other)
        assert slot.job.state == "running"
        open_sessions.clear()
        registry.release_departed(now=1e9)
        registry.release_departed(now=1e9 + registry.ABANDON_S)  # closed for good: stopped, saved
        slot.job.join(30)
        assert slot.job.state == "stopped"
    finally:
        slot.job.stop()
        slot.job.join(30)


def test_the_queue_in_words():
    from ui import training

    s = {"state": "queued", "pool": "cpu", "queue_position": 3, "queue_wait_s": 75.0}
    assert training.queue_text(s) == ("Waiting for a free CPU slot: other visitors' runs are using them. You are "
                                      "number 3 in line, about 1 min 15 s to wait. Your run starts by itself; "
                                      "Stop leaves the line.")
    assert "next in line" in training.queue_text({**s, "queue_position": 1, "pool": "gpu"})
    assert training.queue_text({**s, "state": "running", "queue_position": None}) is None


def test_uploads_over_the_host_limit_are_refused_with_a_message():
    from ui import sources

    assert sources.upload_size_error("g.csv", 5 * 2**20, max_mb=5) is None
    msg = sources.upload_size_error("g.csv", 5 * 2**20 + 1, max_mb=5)
    assert "g.csv is 5.0 MB" in msg and "at most 5 MB" in msg


def test_each_cpu_run_gets_its_share_of_the_cores_but_one():
    assert admission.threads_per_cpu_run(1, cores=2) == 1  # the other core draws the pages
    assert admission.threads_per_cpu_run(1, cores=8) == 7
    assert admission.threads_per_cpu_run(3, cores=8) == 2
    assert admission.threads_per_cpu_run(7, cores=8) == 1
    assert admission.threads_per_cpu_run(4, cores=2) == 1  # never below one


def test_a_cpu_job_trains_with_its_share_of_the_cores(tiny_graph, monkeypatch):
    import torch

    from graphcl_core import worker

    monkeypatch.setattr(admission.os, "cpu_count", lambda: 4)
    before = torch.get_num_threads()
    seen = []

    def share(queue):  # what the job's own thread trains with
        seen.append((threading.current_thread().name, worker_share(queue), torch.get_num_threads()))
        return seen[-1][1]

    worker_share = worker.share_cpu_cores
    monkeypatch.setattr(worker, "share_cpu_cores", share)
    job = TrainingJob(tiny_graph, TrainConfig(epochs=2, **SMALL), owner="me", queue=_queue(cpu=3)).start()
    job.join(60)
    assert job.state == "finished"
    assert seen == [(job._thread.name, 1, 1)]  # (4 cores - 1) // 3 slots, in the training thread

    def widen_then_share():
        torch.set_num_threads(3)
        seen.append(worker_share(_queue(cpu=1)))  # 1 slot on 4 cores: 3 threads, never widened

    t = threading.Thread(target=widen_then_share)
    t.start()
    t.join(10)
    torch.set_num_threads(before)  # threads started by later tests get the usual count again
    assert seen[-1] == 3
