"""``RunWrites``: a sweep's run-store writes on one background thread, so the sweep thread keeps training.

Why: saving trials (metrics.csv rewritten, one ``.npy`` per new snapshot, meta.json, model.pt) cost the
sweep thread ~0.5 s of a 4.3 s Cora sweep on an H200 (issue 11), time in which the GPU had no next epochs
queued. One worker thread and its FIFO queue keep each run's writes in the order they were asked for
(progress, then weights, then finish); ``wait`` drains the queue, so a sweep that says it ended has
complete files. What is handed over must not change afterwards: the caller passes copies.

A write that raises (disk full, read-only folder) is kept, the first one of the sweep: later writes of
that run are skipped (the others' go on), and ``raise_error`` raises it again in the sweep thread, at
its next trial event and after the drain, where it ends the sweep as the same error raised by a
synchronous write did.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable


class RunWrites:
    """One thread writing runs' files in the order asked; usable from one (the sweep's) thread."""

    def __init__(self):
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="graphcl-sweep-writes")
        self._last: Future | None = None
        self._lock = threading.Lock()
        self._error: Exception | None = None
        self._failed_runs: set[str] = set()
        self._waiting: dict = {}  # (run, write) -> the arguments holder of its queued latest_only write

    def submit(self, run_id: str, write: Callable, *args, latest_only: bool = False) -> None:
        """Queue ``write(*args)`` for run ``run_id`` (skipped if a write of that run already failed).

        ``latest_only``: a write that makes the files whole from its arguments alone (a run's progress: the
        whole history and snapshot list). While an earlier such write of the same run and function still
        waits in the queue, it takes these arguments instead and no second write is queued: at a GPU
        sweep's end every trial's progress was saved twice in a row (trained, then scored), and the queue
        was the sweep's last second. The files get the newest state as early as before; the other writes
        keep their order after it."""
        key = (run_id, write.__func__ if hasattr(write, "__func__") else write) if latest_only else None
        with self._lock:
            waiting = self._waiting.get(key) if key is not None else None
            if waiting is not None:
                waiting[0] = args
                return
            holder = [args]
            if key is not None:
                self._waiting[key] = holder
        self._last = self._pool.submit(self._do, run_id, write, holder, key)

    def _do(self, run_id: str, write: Callable, holder: list, key) -> None:
        with self._lock:
            if key is not None:
                self._waiting.pop(key, None)  # begun: a later write of this run is queued anew
            args = holder[0]
        if run_id in self._failed_runs:
            return
        try:
            write(*args)
        except Exception as e:  # noqa: BLE001 - kept, and raised in the sweep thread (raise_error)
            self._failed_runs.add(run_id)
            with self._lock:
                if self._error is None:
                    self._error = e

    @property
    def error(self) -> Exception | None:
        """The first write error of the sweep, or None."""
        with self._lock:
            return self._error

    def raise_error(self) -> None:
        """Raise the first write error again (in the caller's thread), if there was one."""
        error = self.error
        if error is not None:
            raise error

    def wait(self) -> None:
        """Return when every write queued so far is done (failed ones included)."""
        if self._last is not None:
            self._last.result()

    def close(self) -> None:
        """Finish the queued writes and end the thread (no write may be queued after)."""
        self._pool.shutdown(wait=True)
