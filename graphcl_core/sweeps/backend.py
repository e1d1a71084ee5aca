"""Backends train a sweep's trials and report what happens as ``TrialEvent``s.

The runner owns everything else (run store, sweep record, public events), so a backend only has to
train: ``run_trials(trials, plan, on_event, control)``. Events carry plain data (history rows,
snapshots, a CPU state dict), never a live trainer, so a backend whose trials run elsewhere (a Ray
actor, a batched model on one GPU) can report in exactly the same way.

``SequentialBackend`` trains one trial after another in the calling thread, on the graph loaded
once. A finished trial's final scoring can run in a thread pool while the next trial trains
(``score_workers``; ended trials are still reported in the order they ended, from the calling
thread), but by default it runs inline: on an H200 with 16 cores, 27 Cora trials took 77 s scored
inline and 102 s with 4 scoring threads (scikit-learn's probe fights the training thread and
itself for the GIL and the cores; the full probe costs ~2.5 s a trial against ~0.5 s of training).
With early stopping it works rung by rung: every
live trial trains to the rung, is scored, and the worse ones are pruned (their trainers stay in
memory between rungs).

A new backend (batched on one GPU, Ray actors) keeps this contract: for each trial it reports
``started``, then ``progress`` now and then, then exactly one ``finished`` (finished | pruned |
failed | stopped); it honours ``control`` (``checkpoint`` between steps, ``attach`` what a stop
must reach); it scores with ``plan.scorer`` (``score(emb, history, seed)`` needs no trainer) and
cuts with ``halving.stage_targets``/``survivors``, so every backend ranks and prunes alike; and it
calls ``on_event`` from the thread that called ``run_trials``.
"""

from __future__ import annotations

import logging
import time
import traceback
from abc import ABC, abstractmethod
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from ..config import TrainConfig
from ..errors import ConfigError, GraphCLError
from ..graph import GraphBundle
from .control import SweepControl
from .halving import EarlyStop, stage_targets, survivors
from .metrics import Scorer, higher_is_better

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Trial:
    """``index`` counts from 0; ``values`` are the varied settings; ``config`` the whole configuration."""

    index: int
    config: TrainConfig
    values: dict


@dataclass(frozen=True)
class TrialPlan:
    """How every trial is scored and cut, and how often progress is reported."""

    scorer: Scorer
    early_stop: EarlyStop | None = None
    progress_interval_s: float = 0.25
    spool: tuple[str, str] | None = None  # (folder, token): where other processes' trials may leave snapshots (ray_spool)


@dataclass
class TrialEvent:
    """kind: waiting | started | progress | paused | resumed | rung | finished.

    waiting carries ``message`` (the device is busy with other runs);
    progress and finished carry ``epoch``, ``history`` (rows as in ``Trainer.history``),
    ``snapshots`` and ``seconds``; rung carries ``score`` and ``kept``; finished carries ``status``,
    ``message``, ``metric``, ``metrics`` and ``weights`` (CPU state dict, or None). A progress event with
    ``save`` may carry the final ``weights`` already (trained, not yet scored); its finished event then
    carries none.
    """

    kind: str
    index: int
    device: str = ""
    epoch: int = 0
    epochs: int = 0
    history: list = field(default_factory=list)
    snapshots: list = field(default_factory=list)
    seconds: float = 0.0
    score: float | None = None
    kept: bool | None = None
    status: str = ""
    message: str = ""
    metric: float | None = None
    metrics: dict = field(default_factory=dict)
    save: bool = False  # progress: save the run's files now (not only every SAVE_EVERY_S)
    weights: dict | None = None
    weights_file: str | None = None  # the weights saved on disk instead (a Ray actor's spool: ray_spool)


OnEvent = Callable[[TrialEvent], None]


class Backend(ABC):
    """Trains trials; reports every start, progress, rung and end through ``on_event``."""

    name: str = "backend"

    @abstractmethod
    def run_trials(self, trials: Sequence[Trial], plan: TrialPlan, on_event: OnEvent,
                   control: SweepControl) -> None:
        """Return when every trial has ended or the sweep was stopped (unstarted trials then never start)."""

    def close(self) -> None:
        """Give back what the backend holds between sweeps (Ray workers, a Ray it started); nothing here."""


BACKENDS = ("auto", "local", "batched", "ray")


def backend_named(name: str, bundle: GraphBundle, configs: Sequence[TrainConfig] = ()) -> Backend:
    """``local`` (one after another in this process), ``batched`` (many trials at once on this process's
    device: ``batched_backend.BatchedBackend``), ``ray`` (actors on this machine's GPUs or on a cluster:
    ``ray_backend.RayBackend``, which says how to install Ray when it is missing), or ``auto``: batched
    when the trials run on a GPU and at least two of them can share a batch, else local."""
    key = str(name or "local").strip().lower()
    if key == "auto":
        key = auto_backend(configs)
    if key in ("local", "sequential"):
        return SequentialBackend(bundle)
    if key == "batched":
        from .batched_backend import BatchedBackend

        return BatchedBackend(bundle)
    if key == "ray":  # kept from sweep to sweep, its actors started (ray_shared)
        from .ray_backend import import_ray
        from .ray_shared import shared_backend

        import_ray()  # the message that says how to install Ray, before the graph is hashed
        return shared_backend(bundle)
    raise ConfigError(f"backend: '{name}' is not a backend. Choose {', '.join(BACKENDS)}.")


def auto_backend(configs: Sequence[TrainConfig]) -> str:
    """``batched`` on a GPU when some batch would hold at least two trials, else ``local``."""
    from ..batched import group_trials
    from ..device import resolve_device

    if not configs or resolve_device(configs[0].device).type != "cuda":
        return "local"
    groups, _ = group_trials(list(configs))
    return "batched" if any(len(g) > 1 for g in groups) else "local"


class SequentialBackend(Backend):
    """One trial after another in this thread, on this process's device (CPU or one GPU)."""

    name = "sequential"

    def __init__(self, bundle: GraphBundle, *,
                 trainer_factory: Callable[[GraphBundle, TrainConfig], Any] | None = None,
                 score_workers: int = 0, owner: str = "sweeps"):
        """``owner``: who the sweep counts against in the admission queue (a workspace or a tab).
        ``trainer_factory``: what builds a trial's trainer (default ``Trainer``; tests pass their own).
        ``score_workers``: threads scoring finished trials beside the training (default 0: in this
        thread, which measured faster; see the module docstring)."""
        from ..trainer import Trainer

        self.bundle = bundle
        self.trainer_factory = trainer_factory or Trainer
        self.score_workers = score_workers or 0
        self.owner = owner
        self._pending: list[tuple[TrialEvent, Future | None]] = []
        self._pool: ThreadPoolExecutor | None = None
        self._on_event: OnEvent = lambda ev: None
        self._plan: TrialPlan | None = None

    def run_trials(self, trials: Sequence[Trial], plan: TrialPlan, on_event: OnEvent,
                   control: SweepControl) -> None:
        """The whole sweep holds one slot of its device's pool in the admission queue the app's runs share."""
        if not trials:
            return
        from ..device import resolve_device

        device = str(resolve_device(trials[0].config.device))

        def wait() -> None:
            on_event(TrialEvent("waiting", trials[0].index, message=WAITING))

        self._on_event, self._plan = on_event, plan
        workers = self.score_workers
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="graphcl-sweep-score") if workers else None
        try:
            with _device_slot(device, control, wait, self.owner) as ok:
                if ok:
                    self._run(trials, plan, on_event, control)
        finally:
            self._report_ended(block=True)
            if self._pool is not None:
                self._pool.shutdown()

    def open_trial(self, trial: Trial, plan: TrialPlan, on_event: OnEvent, control: SweepControl) -> "_TrialHandle":
        """One trial driven from outside (a Ray actor runs trials this way): reports ``started`` now;
        ``advance``, ``rung_score`` and ``finish`` then train, score and report it as ``_run`` does."""
        self._on_event, self._plan = on_event, plan
        return _TrialHandle(trial, self, plan, on_event, control)

    # ---- ended trials: scored beside the training, reported in order from this thread --------------
    def trial_ended(self, ev: TrialEvent, emb, seed: int) -> None:
        """``emb``: final embeddings of a finished trial to score (None: report as it is)."""
        if emb is None:
            self._pending.append((ev, None))
        elif self._pool is None:
            self._score(ev, emb, seed)
            self._pending.append((ev, None))
        else:
            self._pending.append((ev, self._pool.submit(self._score, ev, emb, seed)))
        self._report_ended(block=False)

    def _score(self, ev: TrialEvent, emb, seed: int) -> None:
        """Fill in the event's metric and metrics (in a scorer thread); the time counts as the trial's."""
        t0 = time.perf_counter()
        try:
            ev.metric, ev.metrics = self._plan.scorer.score(emb, ev.history, seed)
            if ev.history:  # the last row of metrics.csv carries them, as after Trainer.evaluate
                ev.history[-1] = {**ev.history[-1], **ev.metrics}
        except GraphCLError as e:
            ev.message = f"Trained, but could not be scored: {e}"
        except Exception as e:  # noqa: BLE001 - a scoring bug must not lose the trained run
            traceback.print_exc()
            ev.message = f"Trained, but scoring failed: {type(e).__name__}: {e}"
        ev.seconds += time.perf_counter() - t0

    def _report_ended(self, block: bool) -> None:
        """Report the ended trials whose scoring is done, oldest first (all of them when ``block``)."""
        while self._pending:
            ev, fut = self._pending[0]
            if fut is not None:
                if not block and not fut.done():
                    return
                fut.result()
            self._pending.pop(0)
            self._on_event(ev)

    def _run(self, trials: Sequence[Trial], plan: TrialPlan, on_event: OnEvent, control: SweepControl) -> None:
        """Stage by stage: each live trial trains to its next target; after a rung the worse share is pruned."""
        rungs = plan.early_stop.rungs if plan.early_stop else ()
        stages = {t.index: stage_targets(t.config.epochs, rungs) for t in trials}
        handles: dict[int, _TrialHandle] = {}
        alive = [t.index for t in trials]
        by_index = {t.index: t for t in trials}
        for k in range(max(len(s) for s in stages.values())):
            scores: dict[int, float] = {}
            for i in list(alive):
                if not control.checkpoint(lambda i=i: on_event(TrialEvent("paused", i)),
                                          lambda i=i: on_event(TrialEvent("resumed", i))):
                    break
                if i not in handles:
                    self._report_ended(block=False)
                    handles[i] = _TrialHandle(by_index[i], self, plan, on_event, control)
                h = handles[i]
                last = k >= len(stages[i]) - 1
                if not h.advance(stages[i][min(k, len(stages[i]) - 1)]):
                    alive.remove(i)
                elif last:
                    h.finish("finished")
                    alive.remove(i)
                else:
                    scores[i] = h.rung_score()
            if control.stopped:
                break
            for i in self._cut(scores, handles, plan, on_event):
                alive.remove(i)
        for i in alive:
            if i in handles and not handles[i].ended:
                handles[i].finish("stopped", "The sweep was stopped.")

    @staticmethod
    def _cut(scores: dict[int, float], handles: dict, plan: TrialPlan, on_event: OnEvent) -> list[int]:
        """Report every rung score, prune the trials outside the kept share; return the pruned."""
        if not scores:
            return []
        kept = survivors(scores, plan.early_stop.keep, higher_is_better(plan.scorer.metric))
        pruned = []
        for i, score in sorted(scores.items()):
            h = handles[i]
            on_event(TrialEvent("rung", i, epoch=h.epoch, score=score, kept=i in kept))
            if i not in kept:
                h.finish("pruned", f"Stopped early at epoch {h.epoch}: its rung score was in the worse share "
                                   "of the trials.")
                pruned.append(i)
        return pruned


WAITING = "Waiting for a free slot: other runs are using this device. The sweep starts when one ends."


def _queue():
    """The process-wide admission queue the app's training jobs share (``admission.default_queue``)."""
    from ..admission import default_queue

    return default_queue()


@contextmanager
def _device_slot(device: str, control: SweepControl, on_wait: Callable[[], None], owner: str = "sweeps"):
    """Yield True holding a slot of the device's pool in the admission queue, or False if stopped while
    waiting (the place in line is given back then, and the slot when the sweep ends)."""
    from ..admission import pool_of

    queue = _queue()
    ticket, told = queue.request(owner, pool_of(device), label="sweep"), False
    try:
        while not ticket.wait(0.25):
            if not told:
                on_wait()
                told = True
            if control.stopped:
                yield False
                return
        yield True
    finally:
        queue.release(ticket)


class _TrialHandle:
    """One trial's trainer and its reporting: created on first use, advanced stage by stage."""

    def __init__(self, trial: Trial, backend: SequentialBackend, plan: TrialPlan, on_event: OnEvent,
                 control: SweepControl):
        self.trial, self.plan, self.on_event, self.control = trial, plan, on_event, control
        self.backend = backend
        self.trainer = None
        self.ended = False
        self.epoch = 0
        self._busy = 0.0  # seconds this trial had the device: setup, training, scoring (not waiting for others)
        self._since = time.perf_counter()
        self._last_report: float | None = None
        self._error: str | None = None
        try:
            self.trainer = backend.trainer_factory(backend.bundle, trial.config)
        except GraphCLError as e:
            self._error = str(e)
        except Exception as e:  # noqa: BLE001 - one broken trial must not end the sweep
            traceback.print_exc()
            self._error = f"Training stopped because of an unexpected error: {type(e).__name__}: {e}"
        device = str(getattr(self.trainer, "device", trial.config.device))
        self._lap()
        on_event(TrialEvent("started", trial.index, device=device, epochs=trial.config.epochs))

    def advance(self, target: int) -> bool:
        """Train to epoch ``target``; False when the trial ended here (failed or stopped)."""
        if self._error is not None:
            self.finish("failed", self._error)
            return False
        t = self.trainer
        self._since = time.perf_counter()
        self.control.attach(t)
        try:
            t.run(epochs=target - t.epoch, callback=self._on_boundary)
        except GraphCLError as e:
            self._error = str(e)
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            self._error = f"Training stopped because of an unexpected error: {type(e).__name__}: {e}"
        finally:
            self.control.detach(t)
        self._lap()
        self.epoch = t.epoch
        if self._error is not None:
            self.finish("failed", self._error)
            return False
        if t.epoch < target:
            self.finish("stopped", "The sweep was stopped.")
            return False
        return True

    def _on_boundary(self, trainer) -> None:
        """At each snapshot boundary: report (the first, then at most every ``progress_interval_s``; the
        end comes with ``finished``) and honour a pause."""
        now = time.perf_counter()
        if self._last_report is None or now - self._last_report >= self.plan.progress_interval_s:
            self._last_report = now
            self.on_event(self._event("progress"))
        idx = self.trial.index
        self._lap()
        self.control.checkpoint(lambda: self.on_event(self._event("paused")),
                                lambda: self.on_event(TrialEvent("resumed", idx)))
        self._since = time.perf_counter()  # time spent paused is not the trial's

    def _lap(self) -> None:
        now = time.perf_counter()
        self._busy += now - self._since
        self._since = now

    def _seconds(self) -> float:
        return self._busy + (time.perf_counter() - self._since)

    def _event(self, kind: str, **extra) -> TrialEvent:
        t = self.trainer
        if t is None:
            return TrialEvent(kind, self.trial.index, epochs=self.trial.config.epochs,
                              seconds=self._seconds(), **extra)
        p = t.progress()
        return TrialEvent(kind, self.trial.index, epoch=p["epoch"], epochs=p["epochs"], history=p["history"],
                          snapshots=t.snapshot_list(), seconds=self._seconds(), **extra)

    def rung_score(self) -> float:
        self._since = time.perf_counter()
        try:
            return float(self.plan.scorer.rung_score(self.trainer))
        except GraphCLError as e:
            log.warning("rung score of trial %d failed: %s", self.trial.index + 1, e)
            return float("nan")
        finally:
            self._lap()

    def finish(self, status: str, message: str = "") -> None:
        """Hand the trial's end to the backend with its weights (and, when it finished, its final
        embeddings to score); frees the trainer."""
        self._since = time.perf_counter()
        t, emb, seed = self.trainer, None, 0
        if t is not None:
            if hasattr(t, "wait_for_evaluation"):
                t.wait_for_evaluation()
            if status == "finished":
                emb, seed = t.embeddings().float().cpu(), t.cfg.seed
        ev = self._event("finished", status=status, message=message)
        if t is not None:
            ev.weights = {k: v.detach().cpu() for k, v in t.model.state_dict().items()}
        self.ended = True
        self.trainer = None
        self.backend.trial_ended(ev, emb, seed)
