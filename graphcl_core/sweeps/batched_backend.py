"""``BatchedBackend``: a sweep's trials trained many at once on one device (``graphcl_core.batched``).

Trials that share shapes (``batched.group_trials``) train as one batch: one ``BatchedTrainer``, one
CUDA graph per step for all of them. The batches of a sweep train side by side, epoch by epoch, in
waves that fit half the device's free memory (``plan_waves``; usually one wave), and each wave is
scored in one batched probe (``batched_scoring``: the torch probe instead of scikit-learn's), every
width at once. Trials that cannot be batched (another encoder, loss or optimiser) then run one after
another as in ``SequentialBackend``.

It keeps the backend contract of ``backend.py``: every trial reports ``started``, ``progress`` (at
most every ``progress_interval_s``), exactly one ``finished``. Pause and stop are honoured at every
snapshot boundary of a batch. Early stopping works rung by rung as elsewhere: at a rung the wave's
live trials are scored together and the worse share is pruned (a pruned trial's row of its batch
keeps computing while others of the batch train; only its results stop). A trial whose loss stops being finite
fails alone; the others of its batch go on. ``seconds`` of a trial is its share of the wave's time.
"""

from __future__ import annotations

import logging
import time
import traceback
from typing import Iterator, Sequence

import torch

from ..batched import BatchedTrainer, group_trials
from ..errors import GraphCLError
from ..graph import GraphBundle
from .backend import WAITING, Backend, OnEvent, SequentialBackend, Trial, TrialEvent, TrialPlan, _device_slot
from .batched_scoring import rung_scores, score_batch
from .control import SweepControl
from .halving import stage_targets, survivors
from .metrics import higher_is_better

log = logging.getLogger(__name__)

# At most this many bytes of float64 embeddings are scored in one solve (the probe's copy of a stack).
SCORE_STACK_BYTES = 2**31
NOT_FINITE = ("Training diverged: the embeddings contain NaN or infinite values, so they cannot be scored. "
              "Try a lower learning rate.")


def trial_bytes(bundle: GraphBundle, cfg) -> int:
    """Device memory one trial of a batch needs, roughly: per view the propagation's E×F gather
    temporaries, the layers' activations and the pairs' gathered rows (kept for the backward), plus
    the parameters with Adam's two moments."""
    width = max(cfg.hidden, cfg.embedding_dim)
    views = 2 if cfg.pairs == "views" else 1
    n, e = bundle.num_nodes, max(1, bundle.num_edges) * 2
    floats = views * (4 * e * width + 8 * n * width * cfg.layers + 4 * n * (1 + cfg.negatives) * cfg.embedding_dim)
    floats += 4 * (bundle.num_features * cfg.hidden + cfg.layers * width * width)
    return 4 * floats


def plan_waves(bundle: GraphBundle, configs: list, groups: list[list[int]], device: torch.device,
               max_batch: int | None = None) -> list[list[list[int]]]:
    """Batches (groups split to fit) gathered into waves that train at the same time: a wave fills at
    most half the device's free memory (on the CPU: everything in one wave)."""
    budget = torch.cuda.mem_get_info(device)[0] * 0.5 if device.type == "cuda" else float("inf")
    batches = []
    for g in groups:
        fit = max(1, int(budget // max(1, trial_bytes(bundle, configs[g[0]])))) if budget != float("inf") else len(g)
        step = max(1, min(fit, max_batch or fit))
        batches += [g[s: s + step] for s in range(0, len(g), step)]
    waves, used = [[]], 0.0
    for b in batches:
        need = len(b) * trial_bytes(bundle, configs[b[0]])
        if waves[-1] and used + need > budget:
            waves.append([])
            used = 0.0
        waves[-1].append(b)
        used += need
    return [w for w in waves if w]


class BatchedBackend(Backend):
    name = "batched"
    # A trial's files are saved this often while it trains (the runner's default is a single run's 2 s): a GPU
    # batch trains for a few seconds, and snapshots written meanwhile are not written after it, beside the
    # scoring (27 Cora trials: ~700 snapshot files).
    save_every_s = 0.5

    def __init__(self, bundle: GraphBundle, *, owner: str = "sweeps", max_batch: int | None = None):
        """``max_batch``: at most this many trials in one batch (default: what fits the device's memory)."""
        self.bundle, self.owner, self.max_batch = bundle, owner, max_batch

    def run_trials(self, trials: Sequence[Trial], plan: TrialPlan, on_event: OnEvent,
                   control: SweepControl) -> None:
        if not trials:
            return
        from ..device import resolve_device

        device = resolve_device(trials[0].config.device)
        if device.type == "cpu":  # one CPU run's share of the cores, as the app's runs (worker.share_cpu_cores)
            from ..worker import share_cpu_cores
            from .backend import _queue

            share_cpu_cores(_queue())
        configs = [t.config for t in trials]
        groups, alone = group_trials(configs)
        with _device_slot(str(device), control,
                          lambda: on_event(TrialEvent("waiting", trials[0].index, message=WAITING)), self.owner) as ok:
            for wave in plan_waves(self.bundle, configs, groups, device, self.max_batch) if ok else []:
                if control.stopped:
                    break
                _Wave([[trials[i] for i in b] for b in wave], self.bundle, plan, on_event, control).run()
        rest = [trials[i] for i in sorted(alone)]
        if rest and not control.stopped:
            log.info("trials %s run one at a time: %s", [t.index + 1 for t in rest], next(iter(alone.values())))
            SequentialBackend(self.bundle, owner=self.owner).run_trials(rest, plan, on_event, control)


class _Wave:
    """Batches trained side by side, epoch by epoch (all trials move together on the live grid), cut
    together at the rungs and scored together at the end. A trial is ``(batch j, row r)``."""

    def __init__(self, batches: list[list[Trial]], bundle: GraphBundle, plan: TrialPlan, on_event: OnEvent,
                 control: SweepControl):
        self.batches, self.bundle, self.plan, self.on_event, self.control = batches, bundle, plan, on_event, control
        self.trainers: list[BatchedTrainer | None] = [None] * len(batches)
        self.alive = [(j, r) for j, b in enumerate(batches) for r in range(len(b))]
        self.count = len(self.alive)
        self._t0 = time.perf_counter()
        self._paused_s = 0.0
        self._last_report: float | None = None
        self._weights_sent = False  # the live trials' final weights went with _save_trained (all ended after it)

    def _one_stream(self):
        """One CUDA stream for every batch of the wave, or None (each batch on a stream of its own).

        Batches on their own streams overlap, which pays when their trials share draws (27 Cora trials in
        three batches: 5.07 ms an epoch, 6.3 ms one after another, H200). When trials draw their own views
        and negatives (several seeds in a batch), the streams' scatter kernels contend: 108 Cora trials over
        4 seeds (three 36-trial batches) trained in 8 s, 36 s, 66 s and over 150 s in fresh processes with
        a stream each, and in 9.2-9.35 s every time on one stream (H200, 27 Nov)."""
        if len(self.batches) < 2:
            return None
        from ..batched.trainer import shares_draws
        from ..device import resolve_device

        device = resolve_device(self.batches[0][0].config.device)
        if device.type != "cuda" or all(shares_draws([t.config for t in b], self.bundle.num_nodes, alone_too=True)
                                        for b in self.batches):
            return None
        return torch.cuda.Stream(device)

    def trial(self, k: tuple[int, int]) -> Trial:
        return self.batches[k[0]][k[1]]

    def run(self) -> None:
        stream = self._one_stream()
        for j, batch in enumerate(self.batches):
            try:
                self.trainers[j] = BatchedTrainer(self.bundle, [t.config for t in batch], stream=stream)
            except Exception as e:  # noqa: BLE001 - a batch that cannot be built fails its trials, the sweep goes on
                self._report_started(j, str(batch[0].config.device))
                self._end_all("failed", _message(e, self.bundle), batch=j)
                continue
            self.control.attach(self.trainers[j])
            self._report_started(j, str(self.trainers[j].device))
        try:
            cfg = self.batches[0][0].config
            stages = stage_targets(cfg.epochs, self.plan.early_stop.rungs if self.plan.early_stop else ())
            for k, target in enumerate(stages):
                self._train_to(target)
                self._drop_failed()
                if self.control.stopped:
                    return self._end_all("stopped", "The sweep was stopped.")
                if k < len(stages) - 1 and self.alive:
                    self._rung()
            self._save_trained()
            self._finish_scored()
        except Exception as e:  # noqa: BLE001 - out of memory or a bug: this wave's trials fail, the sweep goes on
            if not isinstance(e, GraphCLError):
                traceback.print_exc()
            self._end_all("failed", _message(e, self.bundle))
        finally:
            for tr in self.trainers:
                if tr is not None:
                    self.control.detach(tr)

    def _train_to(self, target: int) -> None:
        """Every batch with live trials one epoch at a time to ``target`` (snapshots at each batch's interval)."""
        live = [tr for j, tr in enumerate(self.trainers) if tr is not None and any(k[0] == j for k in self.alive)]
        for tr in live:
            if tr.epoch == 0 and not any(tr.snapshots):
                tr.take_snapshot()
        while not self.control.stopped and any(tr.epoch < target for tr in live):
            boundary = False
            for tr in live:
                if tr.epoch < target:
                    tr.step()
                    if tr.epoch % tr.snapshot_every == 0 or tr.epoch == target:
                        tr.take_snapshot()
                        boundary = True
            if boundary:
                self._on_boundary()
        for tr in live:
            tr.flush()

    # ---- reporting ---------------------------------------------------------------------------------
    def _report_started(self, j: int, device: str) -> None:
        for t in self.batches[j]:
            self.on_event(TrialEvent("started", t.index, device=device, epochs=t.config.epochs))

    def _seconds(self) -> float:
        return (time.perf_counter() - self._t0 - self._paused_s) / self.count

    def _event(self, kind: str, k: tuple[int, int], **extra) -> TrialEvent:
        tr, trial = self.trainers[k[0]], self.trial(k)
        if tr is None:
            return TrialEvent(kind, trial.index, epochs=trial.config.epochs, seconds=self._seconds(), **extra)
        hist = tr.history[k[1]]
        epoch = hist[-1]["epoch"] if hist else 0
        return TrialEvent(kind, trial.index, epoch=epoch, epochs=trial.config.epochs, history=list(hist),
                          snapshots=list(tr.snapshots[k[1]]), seconds=self._seconds(), **extra)

    def _on_boundary(self) -> None:
        now = time.perf_counter()
        if self._last_report is None or now - self._last_report >= self.plan.progress_interval_s:
            self._last_report = now
            self._flush(wait=False)  # (what has reached the host: the GPU's queue is not drained for a report)
            for k in self.alive:
                self.on_event(self._event("progress", k))
        if self.control.paused and not self.control.stopped:
            self._flush()
            t0 = time.perf_counter()
            self.control.checkpoint(lambda: [self.on_event(self._event("paused", k)) for k in self.alive],
                                    lambda: [self.on_event(TrialEvent("resumed", self.trial(k).index))
                                             for k in self.alive])
            self._paused_s += time.perf_counter() - t0

    def _flush(self, wait: bool = True) -> None:
        for tr in self.trainers:
            if tr is not None:
                tr.flush(wait)
        self._drop_failed()

    def _end(self, k: tuple[int, int], status: str, message: str = "", metric=None, metrics=None) -> None:
        ev = self._event("finished", k, status=status, message=message, metric=metric, metrics=metrics or {})
        tr = self.trainers[k[0]]
        if tr is not None and not self._weights_sent:
            with tr.on_stream():  # the batch trains on its own stream: read its weights there
                ev.weights = tr.model.state_dict(k[1])
        self.on_event(ev)

    def _end_all(self, status: str, message: str, batch: int | None = None) -> None:
        for k in [k for k in self.alive if batch is None or k[0] == batch]:
            self.alive.remove(k)
            self._end(k, status, message)

    def _drop_failed(self) -> None:
        for k in list(self.alive):
            tr = self.trainers[k[0]]
            if tr is not None and k[1] in tr.failed:
                self.alive.remove(k)
                self._end(k, "failed", tr.failed[k[1]])

    def _save_trained(self) -> None:
        """Every live trial's files and final weights now, before the scoring: the run store writes them on
        its own thread (``run_writes``) while the GPU scores, instead of after it (27 Cora trials: ~700
        snapshot files, 0.4-0.5 s that the sweep's end waited for; the weights, one read-back per trial
        and parameter, ~0.1 s more)."""
        weights = {}
        for j in {k[0] for k in self.alive}:
            with self.trainers[j].on_stream():
                weights[j] = self.trainers[j].model.state_dicts()
        for k in self.alive:  # with the final weights, saved now too (so the trial's finished event has none)
            self.on_event(self._event("progress", k, save=True, weights=weights[k[0]][k[1]]))
        self._weights_sent = True

    # ---- scoring: every live trial of the wave in one solve ----------------------------------------------
    def _stacked(self) -> Iterator[tuple[list, torch.Tensor, list, list]]:
        """The live trials' embeddings as stacks ``(trials, (T, N, D), histories, seeds)``, one at a time:
        one stack unless the probe's float64 copy would pass ``SCORE_STACK_BYTES``. Narrower embeddings
        get zero columns up to the widest: a zero feature changes no distance, no norm and no probe (its
        weight's gradient and penalty keep it at 0, so every L-BFGS iterate is the same), and one solve for
        the wave replaces one per width (each a few hundred iterations with a read-back each). A trial
        whose embeddings are not finite fails here alone (the probe would refuse its whole stack)."""
        self._flush()
        embs = {j: tr.embeddings() for j, tr in enumerate(self.trainers)
                if tr is not None and any(k[0] == j for k in self.alive)}
        if not embs:
            return
        width = max(e.size(-1) for e in embs.values())
        step = max(1, SCORE_STACK_BYTES // (8 * self.bundle.num_nodes * width))
        alive = list(self.alive)  # the caller ends trials while it scores a stack
        for s in range(0, len(alive), step):
            ks = alive[s: s + step]
            wide = max(embs[j].size(-1) for j, _ in ks)
            stack = torch.stack([torch.nn.functional.pad(embs[j][r], (0, wide - embs[j].size(-1))) for j, r in ks])
            finite = torch.isfinite(stack).flatten(1).all(1).tolist()
            for k in [k for k, ok in zip(ks, finite) if not ok]:
                self.alive.remove(k)
                self._end(k, "failed", NOT_FINITE)
            if not all(finite):
                stack = stack[torch.tensor(finite, device=stack.device)]
                ks = [k for k, ok in zip(ks, finite) if ok]
            if ks:
                yield (ks, stack, [self.trainers[j].history[r] for j, r in ks],
                       [self.trial(k).config.seed for k in ks])

    def _rung(self) -> None:
        scores = {}
        for ks, embs, hist, seeds in self._stacked():
            try:
                values = rung_scores(self.plan.scorer, embs, hist, seeds)
            except GraphCLError as e:
                log.warning("rung scores failed: %s", e)
                values = [float("nan")] * len(ks)
            scores.update(zip(ks, values))
        if not scores:
            return
        kept = survivors(scores, self.plan.early_stop.keep, higher_is_better(self.plan.scorer.metric))
        for k in sorted(scores, key=lambda k: self.trial(k).index):
            epoch = self.trainers[k[0]].epoch
            self.on_event(TrialEvent("rung", self.trial(k).index, epoch=epoch, score=scores[k], kept=k in kept))
            if k not in kept:
                self.alive.remove(k)
                self._end(k, "pruned", f"Stopped early at epoch {epoch}: its rung score was in the worse share "
                                       "of the trials.")

    def _finish_scored(self) -> None:
        for ks, embs, hist, seeds in self._stacked():
            try:
                scored = score_batch(self.plan.scorer, embs, hist, seeds)
            except GraphCLError as e:
                for k in ks:
                    self.alive.remove(k)
                    self._end(k, "finished", f"Trained, but could not be scored: {e}")
                continue
            for k, (value, metrics) in sorted(zip(ks, scored), key=lambda x: self.trial(x[0]).index):
                h = self.trainers[k[0]].history[k[1]]
                if h:  # the last row of metrics.csv carries them, as after Trainer.evaluate
                    h[-1] = {**h[-1], **metrics}
                self.alive.remove(k)
                self._end(k, "finished", metric=value, metrics=metrics)


def _message(e: Exception, bundle: GraphBundle) -> str:
    if isinstance(e, torch.cuda.OutOfMemoryError):
        return (f"The GPU ran out of memory training this batch of trials on '{bundle.name}'. Try fewer trials at "
                "once (the batch size), smaller hidden or embedding sizes, or the local backend.")
    if isinstance(e, GraphCLError):
        return str(e)
    return f"Training stopped because of an unexpected error: {type(e).__name__}: {e}"
