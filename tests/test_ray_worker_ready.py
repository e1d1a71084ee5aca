"""``TrialWorker.ready`` (what ``RayBackend.prepare`` waits for) returns only once the actor's CUDA warm-up
thread has ended, so a prepared sweep's first batches do not wait for it. Without Ray: the method alone."""

from __future__ import annotations

import threading

from graphcl_core.sweeps import ray_worker
from graphcl_core.sweeps.ray_worker import TrialWorker


def test_ready_waits_for_the_cuda_warm_up_thread():
    release, returned = threading.Event(), threading.Event()
    warm = threading.Thread(target=release.wait, args=(30,), name=ray_worker._WARM_UP_THREAD, daemon=True)
    warm.start()
    worker = object.__new__(TrialWorker)  # (no actor: only the method under test)
    caller = threading.Thread(target=lambda: returned.set() if worker.ready() else None, daemon=True)
    caller.start()
    assert not returned.wait(0.2)  # still warming up
    release.set()
    assert returned.wait(30)
    assert worker.ready() is True  # nothing to wait for any more


def test_a_dispatch_leaving_on_an_error_tells_its_busy_actors_to_stop():
    """A driver error (a run file that cannot be written) ends the sweep: the actors' shares must not train
    on into a spool folder that is about to be removed."""
    from types import SimpleNamespace

    import pytest

    from graphcl_core.sweeps.control import SweepControl
    from graphcl_core.sweeps.ray_batches import BatchDispatch

    told = []

    def actor(name):
        return SimpleNamespace(poll=SimpleNamespace(remote=lambda state: told.append((name, state))))

    d = object.__new__(BatchDispatch)  # (no Ray: only the exit path)
    d.busy = {"ref-a": (actor("a"), []), "ref-b": (actor("b"), [])}
    d.idle, d.control, d.pause_told, d.held_pause = [], SweepControl(), None, {}

    def full_disk():
        raise OSError(28, "No space left on device")

    d.start_ready = full_disk
    with pytest.raises(OSError):
        d.run([[SimpleNamespace(index=0)]])
    assert sorted(told) == [("a", "stopped"), ("b", "stopped")]
