"""An honest time estimate before a sweep starts, from a short measured probe.

The probe builds the first trial's trainer and the most expensive-looking one's (largest
hidden × embedding size × layers), trains each through a warm-up (1 epoch on the CPU; 10 on a GPU,
where the first epochs run eagerly before the step is captured as a CUDA graph) and then
``probe_epochs`` timed epochs (at least 20 on a GPU, where an epoch takes about a millisecond), and
scores the result once. One-off costs of the process (imports, the CUDA context) are paid by an
unmeasured first pass. The estimate is then

    trials × (setup + warm-up overhead + scoring) + planned epochs × measured seconds per epoch
    + each trial's snapshots × one measured snapshot + its quick evaluations × one measured evaluation

where the planned epochs count the cuts of early stopping as if each kept exactly its share. The
timed epochs themselves run without snapshots and evaluations, but a trial takes a snapshot (a
forward pass of the whole graph, copied to the host) every ``snapshot_interval`` epochs (every epoch
for short runs) and a quick evaluation (the linear probe on the CPU) every ``eval_every`` epochs on a
labelled graph; leaving them out made a Cora sweep on 2 CPU cores take well over its estimate. The
trainer never runs two evaluations at once and rests as long as the last one took, so evaluations
count for at most the trial's training time. It says what it measured, because it is a projection:
settings that change the cost of an epoch (hidden size, negatives, the encoder) and other work on the
machine (other runs, a busy browser tab on the same cores) make the real time differ.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from ..config import TrainConfig, snapshot_interval
from ..graph import GraphBundle
from .config import SweepConfig
from .halving import planned_epochs
from .metrics import Scorer, resolve_metric


@dataclass(frozen=True)
class Estimate:
    seconds: float
    seconds_per_epoch: float
    setup_seconds: float
    score_seconds: float
    trials: int
    epochs: int
    device: str
    probe_epochs: int
    warmup_epochs: int
    backend: str = "local"
    batches: int = 0
    snapshot_seconds: float = 0.0  # one snapshot (measured)
    eval_seconds: float = 0.0  # one quick evaluation (measured; 0 without labels or evaluations)
    extra_seconds: float = 0.0  # all trials' snapshots and quick evaluations together (in ``seconds``)

    def __float__(self) -> float:
        return self.seconds

    def describe(self) -> str:
        """One sentence a person can read before pressing Start."""
        if self.backend == "batched":
            return (f"About {_duration(self.seconds)} for {self.trials} trials ({self.epochs:,} epochs) on "
                    f"{self.device}, trained together in {self.batches} batch{'es' if self.batches != 1 else ''}: "
                    f"measured {self.seconds_per_epoch * 1000:.1f} ms per epoch of all batches over "
                    f"{self.probe_epochs} epochs (after {self.warmup_epochs} warm-up), plus "
                    f"{_duration(self.setup_seconds + self.score_seconds)} to set up and score them all. Trials that "
                    "cannot share a batch run one after another and are not counted.")
        per_trial = _duration(self.setup_seconds + self.score_seconds)
        extra = (f", and {_duration(self.extra_seconds)} in all for the snapshots the grid shows and the "
                 "evaluations during training" if self.extra_seconds > 0 else "")
        return (f"About {_duration(self.seconds)} for {self.trials} trials ({self.epochs:,} epochs) on "
                f"{self.device}: measured {self.seconds_per_epoch * 1000:.1f} ms per epoch over {self.probe_epochs} "
                f"epochs of a trial (after {self.warmup_epochs} warm-up), plus {per_trial} per trial to set up "
                f"and score{extra}. Settings that make an epoch slower or faster, and other work on this "
                "machine, change this.")


def _duration(s: float) -> str:
    if s < 1:
        return "under a second"
    if s < 90:
        return f"{s:.0f} s"
    if s < 5400:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


def _cost(cfg: TrainConfig) -> float:
    return cfg.hidden * cfg.embedding_dim * cfg.layers


def estimate_seconds(sweep: SweepConfig, device: str | None = None, *, bundle: GraphBundle | None = None,
                     probe_epochs: int = 3, backend: str = "local") -> Estimate:
    """Measure a few epochs, then project to the whole sweep (see the module docstring).

    ``backend``: ``batched`` measures the batched trainer instead (``estimate_batched``); others
    measure one trial at a time in this process."""
    from ..trainer import Trainer
    from .snapshot_budget import within_sweep_budget

    if bundle is None:
        from ..loaders import load_graph

        bundle = load_graph(sweep.graph, node_table=sweep.nodes, label_column=sweep.label_column)
    configs = within_sweep_budget(sweep.trials(), bundle.num_nodes)  # the snapshots the runner will take
    if device is not None:
        configs = [c.replace(device=device) for c in configs]
    if backend == "batched":
        from .estimate_batched import estimate_batched

        return estimate_batched(sweep, configs, bundle, probe_epochs)
    probes = [configs[0]]
    heaviest = max(configs, key=_cost)
    if _cost(heaviest) > _cost(configs[0]):
        probes.append(heaviest)
    scorer = Scorer(bundle, resolve_metric(sweep.metric, bundle), full=sweep.probe == "full")
    per_epoch, setup, score, snap_s, eval_s = [], [], [], [], []
    warm = timed = 0
    primer = Trainer(bundle, configs[0].replace(eval_every=0))  # pays the once-a-process costs (imports,
    primer.run(epochs=2)                                         # CUDA context, first kernels) unmeasured
    scorer.final(primer)
    for cfg in probes:
        t0 = time.perf_counter()
        trainer = Trainer(bundle, cfg.replace(eval_every=0, snapshot_every=10**5))
        gpu = trainer.device.type == "cuda"
        warm, timed = (10, max(probe_epochs, 20)) if gpu else (1, probe_epochs)
        trainer.run(epochs=warm)  # first-call costs and CUDA-graph capture are not an epoch's
        t1 = time.perf_counter()
        trainer.run(epochs=timed)
        per_epoch.append((time.perf_counter() - t1) / timed)
        setup.append(max(0.0, (t1 - t0) - warm * per_epoch[-1]))
        t0 = time.perf_counter()
        snap = trainer.take_snapshot()
        snap_s.append(time.perf_counter() - t0)
        if bundle.has_labels and any(c.eval_every for c in configs):
            eval_s.append(_quick_evaluation_seconds(snap.embeddings, bundle, cfg.seed))
        t0 = time.perf_counter()
        scorer.final(trainer)
        score.append(time.perf_counter() - t0)
    spe, st, sc = sum(per_epoch) / len(per_epoch), sum(setup) / len(setup), sum(score) / len(score)
    one_snap, one_eval = sum(snap_s) / len(snap_s), (sum(eval_s) / len(eval_s) if eval_s else 0.0)
    epochs = planned_epochs([c.epochs for c in configs], sweep.early_stop)
    share = epochs / max(1, sum(c.epochs for c in configs))  # early stopping's cuts, as for the epochs
    extra = share * sum(_snapshots_and_evaluations(c, bundle, spe, one_snap, one_eval) for c in configs)
    return Estimate(len(configs) * (st + sc) + epochs * spe + extra, spe, st, sc, len(configs), epochs,
                    str(trainer.device), timed, warm, snapshot_seconds=one_snap, eval_seconds=one_eval,
                    extra_seconds=extra)


def _quick_evaluation_seconds(embeddings, bundle: GraphBundle, seed: int) -> float:
    """One quick evaluation of a snapshot, as the trainer's helper thread runs it."""
    from ..evaluation import evaluate

    t0 = time.perf_counter()
    evaluate(np.asarray(embeddings, dtype=np.float32), bundle, quick=True, seed=seed)
    return time.perf_counter() - t0


def _snapshots_and_evaluations(cfg: TrainConfig, bundle: GraphBundle, seconds_per_epoch: float, one_snap: float,
                               one_eval: float) -> float:
    """Seconds one whole trial spends on snapshots and quick evaluations besides its epochs."""
    snaps = math.ceil(cfg.epochs / snapshot_interval(cfg, bundle.num_nodes))
    evals = cfg.epochs // cfg.eval_every if (cfg.eval_every and bundle.has_labels) else 0
    return snaps * one_snap + min(evals * one_eval, cfg.epochs * seconds_per_epoch)
