"""``TrialWorker``: the Ray actor of a sweep. It lives in a Ray worker process (``ray.remote`` wraps it
when a ``RayBackend`` starts workers), holds the graph, trains what the driver hands it and buffers
the events until the driver's next ``poll``.

Two ways to train: ``run_stage`` moves ONE trial to its next target with ``SequentialBackend``'s own
trial handle (the driver cuts at the rungs across all actors), ``run_batch`` trains a whole share of
trials with ``BatchedBackend`` (one stacked model and one CUDA graph per batch, scored by the batched
torch probe; early stopping cuts within the share). Both report through ``_emit``, which sends each
snapshot to the driver once: as a file in the driver's spool folder where this worker sees it
(``ray_spool``), else in the event.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import threading
import time
from typing import Callable, Sequence

from ..graph import GraphBundle
from .backend import SequentialBackend, Trial, TrialEvent, TrialPlan
from .control import SweepControl
from .metrics import Scorer
from .ray_spool import SpoolWriter

_SNAPSHOT_KINDS = ("progress", "paused", "finished")  # events that carry the trainer's snapshot list
_WARM_UP_THREAD = "graphcl-cuda-warmup"  # device.warm_up_cuda_in_background's thread


class TrialWorker:
    """One actor: the graph loaded once, trials trained stage by stage or a share of them batched."""

    def __init__(self, bundle: GraphBundle, trainer_factory: Callable, cpu_threads: int, gpu: bool):
        if not gpu:  # before CUDA starts: a CPU worker must not wander onto a GPU Ray gave to another
            os.environ["CUDA_VISIBLE_DEVICES"] = ""
        import torch

        if gpu:  # the CUDA context and libraries' handles start now, while the driver sets up the sweep
            from ..device import warm_up_cuda_in_background

            warm_up_cuda_in_background()
        torch.set_num_threads(max(1, cpu_threads))
        self.bundle = bundle
        self.local = SequentialBackend(bundle, trainer_factory=trainer_factory)
        self._lock = threading.Lock()
        self.begin(None, None)

    def begin(self, plan: TrialPlan | None, scorer_spec: tuple | None) -> dict:
        """A new sweep: its plan, a fresh control, and the plan's snapshot folder (``TrialPlan.spool``,
        used when this worker sees it); returns where this worker runs and whether it writes there."""
        if plan is not None and scorer_spec is not None:  # the scorer's graph is this worker's graph
            plan = dataclasses.replace(plan, scorer=Scorer(self.bundle, *scorer_spec))
        self.plan, self.control = plan, SweepControl()
        self.handles: dict = {}
        self._sent: dict[int, set] = {}
        if getattr(self, "_spool", None) is not None:
            self._spool.close()
        self._spool = SpoolWriter.connect(plan.spool if plan is not None else None)
        with self._lock:
            self._events: list = []
        import ray

        return {"pid": os.getpid(), "node": ray.util.get_node_ip_address(), "spool": self._spool is not None}

    def ready(self) -> bool:
        """Return once this worker's CUDA warm-up has ended (``RayBackend.prepare`` waits for it, so the first
        sweep's batches do not: on 2 H200s one actor's first share began 0.8-1.1 s after the other's)."""
        self._wait_for_warm_up()
        return True

    def poll(self, state: str) -> list:
        """Take the driver's control state (running | paused | stopped); return the events since the last poll."""
        self._apply(state)
        return self._take_events()

    # ---- batched: a share of trials as stacked models ------------------------------------------------
    def run_batch(self, trials: Sequence[Trial], state: str) -> dict:
        """Train ``trials`` (they share batch shapes, maybe several groups) with ``BatchedBackend`` here,
        as it trains a sweep in one process; returns the seconds it took. Events go out through ``poll``."""
        from .batched_backend import BatchedBackend

        self._apply(state)
        self._wait_for_warm_up()
        t0 = time.perf_counter()
        started = time.time()
        try:
            BatchedBackend(self.bundle, owner="ray").run_trials(list(trials), self.plan, self._emit, self.control)
        finally:
            self._drain()
            _free_gpu_cache()
        return {"seconds": time.perf_counter() - t0, "started": started, "ended": time.time()}

    @staticmethod
    def _wait_for_warm_up() -> None:
        """Let the CUDA warm-up thread end before a batch captures its CUDA graph: work launched by
        another thread while a graph is being captured can spoil the capture."""
        for t in threading.enumerate():
            if t.name == _WARM_UP_THREAD:
                t.join(timeout=90)  # (the warm-up: a few epochs, then the fused kernels built in a child, ≤ 45 s)

    # ---- one trial at a time, stage by stage ---------------------------------------------------------
    def run_stage(self, trial: Trial, target: int, last: bool, state: str) -> dict:
        """Train ``trial`` to epoch ``target`` (starting it here if new); finish it when ``last``, else
        score the rung. ``ended``: the trial ended (any status); ``skipped``: stopped before it started."""
        self._apply(state)
        try:
            return self._stage(trial, target, last)
        finally:
            self._drain()  # the call's events are all in the buffer before the driver hears it ended

    def _stage(self, trial: Trial, target: int, last: bool) -> dict:
        i = trial.index
        if i not in self.handles:
            if not self.control.checkpoint(lambda: self._emit(TrialEvent("paused", i)),
                                           lambda: self._emit(TrialEvent("resumed", i))):
                return {"ended": False, "skipped": True, "epoch": 0}
            self._wait_for_warm_up()
            self.handles[i] = self.local.open_trial(trial, self.plan, self._emit, self.control)
        h = self.handles[i]
        if not h.advance(target):
            del self.handles[i]
            _free_gpu_cache()
            return {"ended": True, "epoch": h.epoch}
        if last:
            self._end(i, "finished")
            _free_gpu_cache()
            return {"ended": True, "epoch": h.epoch}
        return {"ended": False, "score": h.rung_score(), "epoch": h.epoch}

    def finish(self, index: int, status: str, message: str = "") -> list:
        """End a trial held between rungs (pruned or stopped); returns the events since the last poll."""
        self._end(index, status, message)
        self._drain()
        return self._take_events()

    def _end(self, index: int, status: str, message: str = "") -> None:
        h = self.handles.pop(index, None)
        if h is not None and not h.ended:
            h.finish(status, message)

    # ---- control and events ------------------------------------------------------------------------------
    def _apply(self, state: str) -> None:
        if state == "stopped":
            self.control.stop()
        elif state == "paused":
            self.control.pause()
        else:
            self.control.resume()

    def _take_events(self) -> list:
        with self._lock:
            events, self._events = self._events, []
        return events

    def _emit(self, ev: TrialEvent) -> None:
        """Buffer ``ev`` with only the snapshots the driver has not had, plus the epochs still kept."""
        kept = None
        if ev.kind in _SNAPSHOT_KINDS:
            sent = self._sent.get(ev.index, set())
            kept = [s.epoch for s in ev.snapshots]
            ev = copy.copy(ev)
            ev.snapshots = [s for s in ev.snapshots if s.epoch not in sent]
            self._sent[ev.index] = set(kept)
        if ev.weights:  # CPU tensors (both backends give them so); a GPU one would be copied while polled
            ev.weights = {k: v.cpu() for k, v in ev.weights.items()}
        if self._spool is not None:  # the snapshots go to the driver's folder, on the spool's thread
            self._spool.emit(ev, kept, self._buffer)
        else:
            self._buffer((ev, kept))

    def _buffer(self, item: tuple) -> None:
        with self._lock:
            self._events.append(item)

    def _drain(self) -> None:
        if self._spool is not None:
            self._spool.drain()


def _free_gpu_cache() -> None:
    """Give PyTorch's cached GPU memory back after a trial or a share: the actors stay alive between
    sweeps (``ray_shared``) and must not keep gigabytes from the app's own runs on the same GPU."""
    import torch

    if torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
