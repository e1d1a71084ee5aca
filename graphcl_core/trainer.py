"""``Trainer``: a short, readable contrastive training loop that another thread can pause, resume and stop.

One ``step()`` is one epoch (one full-graph optimisation step), computed by the run's engine
(``graphcl_core.engine``: plain PyG, fast propagation, or CUDA-graph replay; ``fast_info`` says
which and why). The loss is kept on the device and read back every ``cfg.loss_sync_every`` steps,
so the GPU is not stalled for a number nobody looks at. Snapshots of the embeddings and quick
evaluations hang off the loop at marked points; how a run executes (fast paths on or off) comes
from ``RuntimeOptions``, passed in or read once from the environment.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from . import options as runtime_options
from .config import TrainConfig, snapshot_capacity, snapshot_interval
from .device import resolve_device
from .engine import SEED_LOCK, RunInputs, StepEngine, select_engine
from .errors import ConfigError, TrainingError
from .graph import GraphBundle
from .models import build_model
from .options import RuntimeOptions

log = logging.getLogger(__name__)


# While a run's first frame is laid out (``projection.first_frame``), a GPU run sleeps this long before each epoch,
# handing the interpreter lock to the layout: a few hundred ms of a run's ~1 s, for a first frame that comes
# that much sooner (CPU runs do not: there the cores, not the lock, are what run and layout share).
FIRST_FRAME_YIELD_S = 0.002


@dataclass
class Snapshot:
    """Node embeddings (float16, encoder output) at one epoch, for replaying the projection."""

    epoch: int
    loss: float
    embeddings: np.ndarray | None
    metrics: dict = field(default_factory=dict)
    file: str | None = None  # where the embeddings are instead: a sweep spool's file (sweeps/ray_spool.py), taken over by the run store


class Trainer:
    """Trains a contrastive GNN on one graph with one ``TrainConfig``.

    Thread-safety: ``run()`` trains in the calling thread; ``pause()``, ``resume()`` and ``stop()``
    may be called from any other thread, and ``history``/``snapshots`` are appended under a lock
    (copy them with ``progress()``/``snapshot_list()``).
    """

    def __init__(self, bundle: GraphBundle, cfg: TrainConfig, *, fast: bool | None = None,
                 options: RuntimeOptions | None = None):
        """``options``: how to run (default ``options.current()``); ``fast`` overrides its ``fast`` switch."""
        self.cfg = cfg.validate()
        self.bundle = bundle
        self.device = resolve_device(cfg.device)
        self.yields_to_first_frame = self.device.type == "cuda"
        self.options = options if options is not None else runtime_options.current()
        if fast is not None:
            self.options = self.options.with_(fast=bool(fast))
        if cfg.pairs == "labels" and not bundle.has_labels:
            raise ConfigError("The 'labels' pair strategy needs a graph with node labels; this graph has none. "
                              "Choose 'views' or 'edges'.")
        if cfg.pairs == "edges" and bundle.num_edges == 0:
            raise ConfigError("The 'edges' pair strategy needs a graph with edges; this graph has none.")
        try:
            inputs = RunInputs.from_bundle(bundle, self.cfg, self.device)
            gen = torch.Generator(device=self.device).manual_seed(cfg.seed)
            with SEED_LOCK:
                torch.manual_seed(cfg.seed)
                model = build_model(self.cfg, inputs.x.size(1)).to(self.device)
            self.engine: StepEngine
            self.engine, self.fast_info = select_engine(self.cfg, model, inputs, self.options, gen)
        except torch.cuda.OutOfMemoryError as e:
            raise _oom_error(bundle) from e
        self.num_nodes = bundle.num_nodes
        self.epoch = 0
        self.history: list[dict] = []
        self.snapshots: list[Snapshot] = []
        self.started_at: float | None = None
        self.train_seconds = 0.0
        self._pending: list[tuple[int, torch.Tensor, float]] = []  # (epoch, loss on the device, seconds)
        self._lock = threading.Lock()
        # Held by step(), embeddings() and pair_distances(): the app's live view calls the latter two
        # from its own thread, and they must not switch the model to eval mode or draw from the
        # training generator in the middle of a step.
        self._compute_lock = threading.RLock()
        self._eval_thread: threading.Thread | None = None
        self._eval_rest_until = 0.0  # no live evaluation starts before (perf_counter): see _evaluate_async
        self._viz_gen = torch.Generator(device=self.device).manual_seed(cfg.seed + 7919)
        self._running = threading.Event()
        self._running.set()
        self._stop = threading.Event()
        self._steps_allowed = 0
        # Every epoch for small graphs, evenly sparser where that would pass the budget (config.py).
        self.snapshot_every = snapshot_interval(self.cfg, bundle.num_nodes)
        self.max_snapshots = snapshot_capacity(bundle.num_nodes, cfg.embedding_dim, cfg.max_snapshots)

    @property
    def model(self) -> torch.nn.Module:
        return self.engine.model

    @property
    def optimizer(self) -> torch.optim.Optimizer:
        return self.engine.optimizer

    # ---- the loop ---------------------------------------------------------------------------------
    def run(self, epochs: int | None = None, callback=None) -> None:
        """Train until ``cfg.epochs`` (or ``epochs`` more) or until ``stop()``.

        Snapshots every ``self.snapshot_every`` epochs, quick evaluation every ``eval_every`` (when labels
        exist; in a helper thread) and ``callback(self)`` after each of those and at the end. The
        full evaluation of the final embeddings is the caller's (``evaluate(quick=False)``).
        """
        cfg = self.cfg
        target = cfg.epochs if epochs is None else self.epoch + epochs
        if self.epoch == 0 and not self.snapshots:
            self.take_snapshot()
        from .projection import first_frame_in_progress

        yields = self.yields_to_first_frame
        while self.epoch < target and not self._stop.is_set():
            if not self._may_step():
                continue
            if yields and first_frame_in_progress():
                time.sleep(FIRST_FRAME_YIELD_S)  # the interpreter lock to the first frame's layout
            self.step()
            boundary = self.epoch % self.snapshot_every == 0 or self.epoch == target or self.paused
            eval_due = bool(self.bundle.has_labels and cfg.eval_every and self.epoch % cfg.eval_every == 0)
            if boundary or eval_due:
                snap = self.take_snapshot()
                if eval_due:
                    self._evaluate_async(snap)
                if callback is not None:
                    callback(self)
        self.flush_losses()
        self.wait_for_evaluation()

    def _may_step(self) -> bool:
        """Running, or paused with a single step requested; otherwise wait a moment (losses read first)."""
        if self._running.is_set():
            return True
        with self._lock:
            single = self._steps_allowed > 0
            self._steps_allowed -= int(single)
        if not single:
            self.flush_losses()
            self._running.wait(timeout=0.1)
        return single

    def step(self) -> None:
        """One epoch: one optimisation step on the whole graph."""
        with self._compute_lock:
            if self.started_at is None:
                self.started_at = time.perf_counter()
            t0 = time.perf_counter()
            if not self.model.training:
                self.model.train()
            try:
                loss = self.engine.step()
            except torch.cuda.OutOfMemoryError as e:
                self.optimizer.zero_grad(set_to_none=True)
                torch.cuda.empty_cache()
                raise _oom_error(self.bundle) from e
            self.epoch += 1
            self.train_seconds += time.perf_counter() - t0
            self._pending.append((self.epoch, loss, self.train_seconds))
            if len(self._pending) >= self.cfg.loss_sync_every:
                self.flush_losses()

    def flush_losses(self) -> None:
        """Read pending losses back from the device (one sync) and check they are finite."""
        if not self._pending:
            return
        values = torch.stack([v.reshape(()).float() for _, v, _ in self._pending]).cpu().tolist()
        rows = [{"epoch": e, "loss": v, "seconds": s} for (e, _, s), v in zip(self._pending, values)]
        self._pending.clear()
        with self._lock:
            self.history.extend(rows)
        bad = next((r for r in rows if not np.isfinite(r["loss"])), None)
        if bad is not None:
            raise TrainingError(
                f"The loss became {bad['loss']} at epoch {bad['epoch']}, so training stopped. "
                f"Try a smaller learning rate (now {self.cfg.lr:g}) or a smaller margin.")

    # ---- looking at the model -----------------------------------------------------------------------
    def embeddings(self) -> torch.Tensor:
        """Encoder output on the clean graph (what the probe and the projection use)."""
        with self._compute_lock, torch.no_grad():
            return self.engine.embeddings()

    def pair_distances(self, max_pairs: int = 2000) -> dict:
        """A fresh sample of similar and dissimilar pair distances (see ``StepEngine.pair_distances``)."""
        with self._compute_lock:
            return self.engine.pair_distances(max_pairs, self._viz_gen)

    def take_snapshot(self, metrics: dict | None = None) -> Snapshot:
        self.flush_losses()
        emb = self.embeddings().float().cpu().numpy().astype(np.float16)
        loss = self.history[-1]["loss"] if self.history else float("nan")
        snap = Snapshot(self.epoch, loss, emb, dict(metrics or {}))
        with self._lock:
            if self.snapshots and self.snapshots[-1].epoch == self.epoch:
                self.snapshots[-1] = snap
            else:
                self.snapshots.append(snap)
            if len(self.snapshots) > self.max_snapshots:
                # Thin out evenly (keep first and last) so the timeline still spans the whole run.
                self.snapshots = self.snapshots[:-1:2] + [self.snapshots[-1]]
        return snap

    # ---- evaluation hand-off --------------------------------------------------------------------
    def evaluate(self, quick: bool = True) -> dict:
        """Probe metrics of the current embeddings. A GPU run scores them with ``probe_torch`` on the GPU
        (the same protocols, agreeing with scikit-learn within its tolerance): scikit-learn's full
        protocol took ~2 s of the interpreter lock after a ~1 s Cora run on an H200, while the live view
        laid out its first frames (which then took 1-2 s instead of 0.3 s)."""
        self.flush_losses()
        metrics = None
        if self.device.type == "cuda" and self.options.torch_probe:
            from . import probe_torch

            try:
                metrics = probe_torch.evaluate(self.embeddings().float().unsqueeze(0), self.bundle, quick=quick,
                                               seed=self.cfg.seed)[0][0]
            except torch.cuda.OutOfMemoryError:  # the GPU is full (other runs): scikit-learn on the CPU instead
                log.warning("the torch probe ran out of GPU memory; scoring with scikit-learn")
                torch.cuda.empty_cache()
        if metrics is None:
            from .evaluation import evaluate

            metrics = evaluate(self.embeddings(), self.bundle, quick=quick, seed=self.cfg.seed)
        with self._lock:
            if self.snapshots and self.snapshots[-1].epoch == self.epoch:
                self.snapshots[-1].metrics.update(metrics)
            self._attach_metrics(self.epoch, metrics)
        return metrics

    def _evaluate_async(self, snap: Snapshot) -> None:
        """Quick metrics of a snapshot in a helper thread, so training goes on meanwhile.

        Skipped when the previous evaluation is still running (the GPU outpaces scikit-learn), within as
        long again after it ended (evaluations take at most half the time: their thread shares the
        interpreter with the run, and back to back they made a default Cora run on an H200 take 2.9 s
        instead of 1.1 s), or while a frame of the live view is laid out (``projection.layout_in_progress``:
        the picture comes first); the metrics land in the history row and the snapshot of that epoch when
        ready.
        """
        from .evaluation import evaluate
        from .projection import layout_in_progress

        busy = self._eval_thread is not None and self._eval_thread.is_alive()
        if busy or time.perf_counter() < self._eval_rest_until or layout_in_progress():
            return

        emb, epoch = snap.embeddings, snap.epoch

        def work() -> None:
            t0 = time.perf_counter()
            try:
                metrics = evaluate(emb.astype(np.float32), self.bundle, quick=True, seed=self.cfg.seed)
            except Exception as e:  # noqa: BLE001 - a metric failing must not stop training
                log.warning("evaluation at epoch %d failed: %s", epoch, e)
                return
            finally:
                end = time.perf_counter()
                self._eval_rest_until = end + (end - t0)
            with self._lock:
                snap.metrics.update(metrics)
                self._attach_metrics(epoch, metrics)

        self._eval_thread = threading.Thread(target=work, name="graphcl-eval", daemon=True)
        self._eval_thread.start()

    def _attach_metrics(self, epoch: int, metrics: dict) -> None:
        """Add ``metrics`` to the history row of ``epoch`` (caller holds ``_lock``)."""
        for row in reversed(self.history):
            if row["epoch"] == epoch:
                row.update(metrics)
                break

    def wait_for_evaluation(self, timeout: float | None = 60.0) -> None:
        """Let a running background evaluation finish (so saved metrics are complete)."""
        if self._eval_thread is not None:
            self._eval_thread.join(timeout)

    # ---- control from other threads -------------------------------------------------------------
    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        """Run on; Steps still queued from the pause are dropped (they would run after the next Pause)."""
        with self._lock:
            self._steps_allowed = 0
            self._running.set()

    def request_step(self) -> None:
        """While paused, let exactly one more epoch run (the app's Step button)."""
        with self._lock:
            self._steps_allowed += 1

    def stop(self) -> None:
        self._stop.set()
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def progress(self) -> dict:
        """A consistent copy of what the live view needs."""
        with self._lock:
            return {"epoch": self.epoch, "epochs": self.cfg.epochs, "history": list(self.history),
                    "snapshots": len(self.snapshots), "seconds": self.train_seconds}

    def snapshot_list(self) -> list[Snapshot]:
        with self._lock:
            return list(self.snapshots)


def _oom_error(bundle: GraphBundle) -> TrainingError:
    return TrainingError(
        f"The GPU ran out of memory training on '{bundle.name}' ({bundle.num_nodes:,} nodes). "
        "Try a smaller hidden or embedding size, fewer negatives, or the CPU device.")
