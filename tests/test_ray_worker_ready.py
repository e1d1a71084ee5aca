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
