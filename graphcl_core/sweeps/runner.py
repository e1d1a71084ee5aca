"""``SweepRunner``: runs a sweep on a backend, saves every trial as a run, and streams what happens.

Use it from a page or the CLI::

    runner = SweepRunner(sweep, RunStore("runs"))
    for ev in runner.events():          # starts the sweep in a background thread
        if ev.kind == "trial_finished":
            print(ev.data["result"].metric)

or ``runner.run()`` in the calling thread with ``on_event=...``. ``pause()``, ``resume()`` and
``stop()`` may be called from any thread. The trials' files are written by one background thread
(``run_writes.py``) while the sweep goes on; the sweep ends (state, record, ``sweep_finished``) only
once they are all on disk. Public events (``SweepEvent.kind``):

==============  ==========================================================================
sweep_started   sweep_id, trials, metric, graph, record (folder of sweep.json, or None)
waiting         message (the GPU is busy with other runs; the sweep starts when one ends)
trial_started   values, run_id, device, epochs
epoch           epoch, epochs, loss, seconds (at most every ``progress_interval_s`` a trial)
snapshot        epoch, embeddings (float16 N×D; at most every ``snapshot_interval_s`` a trial)
rung            epoch, score, kept (successive halving)
paused/resumed  (the sweep really is waiting / training again)
trial_finished  result (a ``TrialResult``)
sweep_finished  status (finished | stopped | failed), message, results, best, seconds
==============  ==========================================================================
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from ..errors import GraphCLError
from ..graph import GraphBundle
from ..runs import GraphFiles, RunStore, RunWriter
from ..worker import SAVE_EVERY_S  # run files are rewritten whole: at most this often a trial, as the app does
from ..worker import check_host_limits
from .backend import Backend, Trial, TrialEvent, TrialPlan, backend_named
from .config import SweepConfig
from .control import SweepControl
from .metrics import Scorer, resolve_metric
from .record import SweepRecord, sweeps_root_for
from .ray_spool import Spool, embeddings_of
from .results import NOT_STARTED, TrialResult, best
from .run_writes import RunWrites
from .snapshot_budget import within_sweep_budget

log = logging.getLogger(__name__)

# Snapshot events wait in the queue only while it is shorter than this (nobody may be reading).
_QUEUE_SOFT_LIMIT = 256


@dataclass(frozen=True)
class SweepEvent:
    """``trial`` counts from 0 (None for sweep-wide events); ``data`` as in the module docstring."""

    kind: str
    trial: int | None = None
    data: dict = field(default_factory=dict)


class _Weights:
    """A state dict where ``RunWriter.save_weights`` expects a module."""

    def __init__(self, state: dict):
        self._state = state

    def state_dict(self) -> dict:
        return self._state


class SweepRunner:
    """Lifecycle: ready → running ⇄ paused → finished | stopped | failed."""

    def __init__(self, sweep: SweepConfig, store: RunStore | None = None, *, bundle: GraphBundle | None = None,
                 backend: Backend | str | None = None, sweeps_root: str | Path | None = None,
                 on_event: Callable[[SweepEvent], None] | None = None, progress_interval_s: float = 0.25,
                 snapshot_interval_s: float = 0.5):
        """Loads the graph (unless given) and checks every trial now, so a mistake is raised here.

        ``backend``: a ``Backend`` (the caller's: it closes it), or its name, ``local``, ``batched``,
        ``ray`` or ``auto`` (``backend.backend_named``: made here on the loaded graph, and closed when the
        sweep ends); default ``sweep.backend``."""
        if bundle is None:
            from ..loaders import load_graph

            bundle = load_graph(sweep.graph, node_table=sweep.nodes, label_column=sweep.label_column)
        self.sweep, self.store, self.bundle = sweep, store, bundle
        self.metric = resolve_metric(sweep.metric, bundle)
        self.points = sweep.points()
        self.configs = within_sweep_budget(sweep.trials(), bundle.num_nodes)  # the trials' frames share a budget
        for cfg in self.configs:  # the host's limits hold for every trial, as for a run (GRAPHCL_MAX_EPOCHS)
            check_host_limits(cfg)
        self._owns_backend = not isinstance(backend, Backend)
        self.backend = backend_named(backend or sweep.backend, bundle, self.configs) if self._owns_backend else backend
        # one folder of sweep records per workspace, like the runs: nobody lists another's sweeps
        self.sweeps_root = Path(sweeps_root) if sweeps_root else (
            sweeps_root_for(store.root) / store.workspace if store else None)
        self.on_event = on_event
        self.plan = TrialPlan(Scorer(bundle, self.metric, full=sweep.probe == "full"), sweep.early_stop,
                              progress_interval_s)
        self.snapshot_interval_s = snapshot_interval_s
        self.control = SweepControl()
        self.state = "ready"
        self.message = ""
        self.results: list[TrialResult] = []
        self.record: SweepRecord | None = None
        self.seconds = 0.0
        self._queue: queue.Queue[SweepEvent] = queue.Queue()
        self._writers: dict[int, RunWriter] = {}
        self._graph_files: GraphFiles | None = None
        self._writes = RunWrites()  # the trials' files, written beside the sweep thread (run_writes.py)
        self._last_save: dict[int, float] = {}
        self._save_every_s = getattr(self.backend, "save_every_s", SAVE_EVERY_S)  # (a backend may save more often)
        self._last_snap: dict[int, tuple[float, int]] = {}
        self._latest: dict[int, tuple[int, object]] = {}
        self._rungs: dict[int, list] = {}
        self._table = [{"trial": i + 1, "values": dict(v), "status": "pending", "run_id": None, "epoch": 0,
                        "epochs": c.epochs, "loss": None, "metric": None, "reported": {}} for i, (v, c) in
                       enumerate(zip(self.points, self.configs))]
        self._lock = threading.Lock()  # snapshots and the trial table, read by other threads
        self._state_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    # ---- control (any thread) -----------------------------------------------------------------
    def start(self) -> "SweepRunner":
        if self._thread is None:
            self._thread = threading.Thread(target=self.run, name="graphcl-sweep", daemon=True)
            self._thread.start()
        return self

    def pause(self) -> None:
        self.control.pause()
        self._set_state("paused", only_from=("running",))

    def resume(self) -> None:
        self.control.resume()
        self._set_state("running", only_from=("paused",))

    def stop(self) -> None:
        self.control.stop()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def sweep_id(self) -> str | None:
        return self.record.sweep_id if self.record else None

    @property
    def done(self) -> bool:
        return self.state in ("finished", "stopped", "failed")

    def events(self, timeout: float | None = None) -> Iterator[SweepEvent]:
        """Start (if not started) and yield events until ``sweep_finished`` (``queue.Empty`` after
        ``timeout`` seconds without any)."""
        self.start()
        while True:
            ev = self._queue.get(timeout=timeout)
            yield ev
            if ev.kind == "sweep_finished":
                return

    def latest_snapshot(self, index: int):
        """``(epoch, float16 N×D embeddings)`` last reported for trial ``index``, or None (for a live grid)."""
        with self._lock:
            return self._latest.get(index)

    def trial_table(self) -> list[dict]:
        """One row per trial (pending ones too): values, status (pending, running, one of ``STATUSES``, or
        not_started once an ended sweep never ran it), run_id, epoch, epochs, loss, metric, and
        ``reported``: the run's reported metrics (``Trainer.evaluate``: linear_probe_acc...) once scored."""
        with self._lock:
            return [dict(r) for r in self._table]

    def status(self) -> dict:
        top = best(self.results)
        return {"state": self.state, "message": self.message, "sweep_id": self.sweep_id, "metric": self.metric,
                "trials": len(self.configs), "ended": len(self.results), "seconds": self.seconds,
                "best": top.to_dict() if top else None}

    # ---- the sweep ----------------------------------------------------------------------------
    def _set_state(self, state: str, only_from: tuple[str, ...] | None = None, final: bool = False) -> None:
        """One place that changes ``state``: an ended sweep stays ended whatever a late click says."""
        with self._state_lock:
            if self.state in ("finished", "stopped", "failed") and not final:
                return
            if only_from is None or self.state in only_from:
                self.state = state

    def run(self) -> list[TrialResult]:
        """Run every trial in this thread; returns the results (also in ``self.results``)."""
        t0 = time.perf_counter()
        self._set_state("paused" if self.control.paused else "running")
        final, message = "finished", ""
        spool = None
        try:
            if self.store is not None and self.sweeps_root is not None:
                self.record = SweepRecord(self.sweeps_root, self.sweep, self.metric, self.points, self.store.root,
                                          submit=self._writes.submit)
            self._emit("sweep_started", None, sweep_id=self.sweep_id, trials=len(self.configs), metric=self.metric,
                       graph=self.bundle.name, record=str(self.record.path) if self.record else None)
            trials = [Trial(i, c, p) for i, (c, p) in enumerate(zip(self.configs, self.points))]
            if self.store is not None and getattr(self.backend, "spools_snapshots", False):
                spool = Spool.open(self.store.path)  # the trials' workers leave their snapshots there (ray_spool)
            plan = dataclasses.replace(self.plan, spool=spool.ref) if spool is not None else self.plan
            try:
                self.backend.run_trials(trials, plan, self._on_trial_event, self.control)
            finally:
                if self._owns_backend and not getattr(self.backend, "shared", False):
                    self.backend.close()  # (the shared Ray backend keeps its actors for the next sweep)
            self._writes.wait()
            self._writes.raise_error()  # a write that failed after the last trial event ends the sweep here
            final = "stopped" if self.control.stopped else "finished"
        except GraphCLError as e:
            final, message = "failed", str(e)
        except Exception as e:  # noqa: BLE001 - report, never kill the app
            traceback.print_exc()
            final, message = "failed", f"The sweep stopped because of an unexpected error: {type(e).__name__}: {e}"
        self._writes.close()  # every trial's files are complete before the sweep says it ended
        if spool is not None:  # (its files are linked into the run folders by now)
            spool.close()
        self._prune_store()  # whatever the outcome, while the record still says running (its trials are kept)
        try:
            self._mark_not_started()
        except OSError as e:  # the record could not be written: the sweep still ends and says so
            log.warning("could not write the sweep record: %s", e)
        self.message = message
        self._set_state(final, final=True)
        self.seconds = time.perf_counter() - t0
        if self.record is not None:
            try:
                self.record.set_status(self.state, self.message)
            except OSError as e:
                log.warning("could not write the sweep record's final status: %s", e)
        top = best(self.results)
        self._emit("sweep_finished", None, status=self.state, message=self.message, results=list(self.results),
                   best=top, seconds=self.seconds)
        return self.results

    def _prune_store(self) -> None:
        """The workspace's ``max_runs``, kept once for the whole sweep (its trials' folders are created without
        pruning): while the record still says running, so that none of this sweep's trials is deleted."""
        if self.store is None:
            return
        try:
            self.store.prune()
        except (OSError, GraphCLError) as e:  # a full workspace is no reason to fail a finished sweep
            log.warning("could not prune the run store after the sweep: %s", e)

    def _mark_not_started(self) -> None:
        """Trials still pending when the sweep ends (stopped or failed) never will start: they say so in the
        table and the record, instead of reading "pending" for good."""
        with self._lock:
            never = [i for i, r in enumerate(self._table) if r["status"] == "pending"]
            for i in never:
                self._table[i]["status"] = NOT_STARTED
        if never and self.record is not None:
            self.record.trials_not_started(never)

    def _emit(self, kind: str, trial: int | None, **data) -> None:
        ev = SweepEvent(kind, trial, data)
        if kind != "snapshot" or self._queue.qsize() < _QUEUE_SOFT_LIMIT:
            self._queue.put(ev)
        if self.on_event is not None:
            self.on_event(ev)

    def _on_trial_event(self, ev: TrialEvent) -> None:
        self._writes.raise_error()  # a failed write stops the sweep, as when the write was made here
        handler = {"waiting": self._waiting, "started": self._started,
                   "progress": lambda e: self._progress(e, force_save=e.save),
                   "paused": self._paused, "resumed": self._resumed, "rung": self._rung,
                   "finished": self._finished}[ev.kind]
        handler(ev)

    def _waiting(self, ev: TrialEvent) -> None:
        self.message = ev.message
        self._emit("waiting", None, message=ev.message)

    def _started(self, ev: TrialEvent) -> None:
        i, cfg = ev.index, self.configs[ev.index]
        self.message = ""
        run_id = None
        if self.store is not None:
            if self._graph_files is None:  # the graph's part of each trial's folder, made once
                self._graph_files = GraphFiles.of(self.bundle)
            w = self.store.create(self.bundle, cfg, ev.device or cfg.device, self._graph_files, prune=False,
                                  meta={"sweep": {"id": self.sweep_id, "trial": i + 1}}, deferred=True)
            self._writes.submit(w.run_id, w.write_initial)  # first of the run's writes: the folder
            self._writers[i], run_id = w, w.run_id
        self._update_row(i, status="running", run_id=run_id)
        if self.record is not None:
            self.record.trial_started(i, run_id)
        self._emit("trial_started", i, values=self.points[i], run_id=run_id, device=ev.device, epochs=cfg.epochs)

    def _progress(self, ev: TrialEvent, force_save: bool = False) -> None:
        i, now = ev.index, time.perf_counter()
        w = self._writers.get(i)
        if w is not None and (force_save or now - self._last_save.get(i, 0.0) >= self._save_every_s):
            # copies: a trainer's evaluation thread adds metrics to its history rows in place
            self._writes.submit(w.run_id, w.save_progress, [dict(r) for r in ev.history], list(ev.snapshots),
                                ev.epoch, ev.seconds, latest_only=True)
            self._last_save[i] = now
        if w is not None and ev.kind == "progress":  # trained: saved while it is scored
            self._save_weights(w, ev)
        if ev.history:
            self._update_row(i, epoch=ev.epoch, loss=ev.history[-1]["loss"])
            self._emit("epoch", i, epoch=ev.epoch, epochs=ev.epochs, loss=ev.history[-1]["loss"], seconds=ev.seconds)
        if ev.snapshots:
            snap = ev.snapshots[-1]
            last_t, last_epoch = self._last_snap.get(i, (-1e9, -1))
            if snap.epoch != last_epoch and (now - last_t >= self.snapshot_interval_s or ev.kind == "finished"):
                self._last_snap[i] = (now, snap.epoch)
                embeddings = embeddings_of(snap)  # (read back when an actor left it in the spool)
                with self._lock:
                    self._latest[i] = (snap.epoch, embeddings)
                self._emit("snapshot", i, epoch=snap.epoch, embeddings=embeddings)

    def _paused(self, ev: TrialEvent) -> None:
        self._set_state("paused")
        if ev.history:
            self._progress(ev, force_save=True)
        self._emit("paused", ev.index)

    def _resumed(self, ev: TrialEvent) -> None:
        if not self.control.stopped:
            self._set_state("running")
        self._emit("resumed", ev.index)

    def _rung(self, ev: TrialEvent) -> None:
        self._rungs.setdefault(ev.index, []).append((ev.epoch, ev.score))
        self._emit("rung", ev.index, epoch=ev.epoch, score=ev.score, kept=ev.kept)

    def _finished(self, ev: TrialEvent) -> None:
        i = ev.index
        self._progress(ev, force_save=True)
        w = self._writers.pop(i, None)
        if w is not None:  # (the weights are CPU tensors no trainer steps any more)
            self._save_weights(w, ev)
            self._writes.submit(w.run_id, w.finish, ev.status, ev.message, dict(ev.metrics))
        final_loss = float(ev.history[-1]["loss"]) if ev.history else None
        result = TrialResult(i, dict(self.points[i]), ev.status, self.metric,
                             None if ev.metric is None else float(ev.metric), dict(ev.metrics), final_loss, ev.epoch,
                             ev.seconds, w.run_id if w else None, ev.message, self._rungs.get(i, []))
        self.results.append(result)
        self._update_row(i, status=result.status, metric=result.metric, reported=dict(result.metrics))
        if self.record is not None:
            self.record.trial_ended(result)
        self._emit("trial_finished", i, result=result)

    def _save_weights(self, w: RunWriter, ev: TrialEvent) -> None:
        """The weights an event carries, or the file an actor saved them in (linked into the run)."""
        if ev.weights is not None:
            self._writes.submit(w.run_id, w.save_weights, _Weights(ev.weights))
        elif ev.weights_file is not None:
            self._writes.submit(w.run_id, w.link_weights, ev.weights_file)

    def _update_row(self, i: int, **changes) -> None:
        with self._lock:
            self._table[i].update(changes)
