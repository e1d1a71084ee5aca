"""``SweepControl``: pause, resume and stop, shared by the runner (any thread) and a backend.

A pause takes effect where the backend checks it: before a trial starts and at each snapshot
boundary of a running trial (every ``snapshot_every`` epochs), so the backend can say "paused"
when it really is. A stop is passed to the running trainers at once.
"""

from __future__ import annotations

import threading
from typing import Callable


class SweepControl:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = threading.Event()
        self._running.set()
        self._stop = threading.Event()
        self._trainers: set = set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        with self._lock:
            self._stop.set()
            self._running.set()
            trainers = list(self._trainers)
        for t in trainers:
            t.stop()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def attach(self, trainer) -> None:
        """Trainers a stop must reach (one at a time in the sequential backend, more in others)."""
        with self._lock:
            self._trainers.add(trainer)
            stopped = self._stop.is_set()
        if stopped:
            trainer.stop()

    def detach(self, trainer) -> None:
        with self._lock:
            self._trainers.discard(trainer)

    def checkpoint(self, on_pause: Callable[[], None], on_resume: Callable[[], None]) -> bool:
        """Wait here while paused (calling ``on_pause`` first and ``on_resume`` after); False once stopped."""
        if self.paused and not self.stopped:
            on_pause()
            while not self._running.wait(timeout=0.5):
                pass
            if not self.stopped:
                on_resume()
        return not self.stopped
