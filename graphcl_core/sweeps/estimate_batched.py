"""The time estimate of a batched sweep, from a short measured probe of the batches themselves.

All batches of the sweep are built (their set-up is measured), trained side by side for a warm-up
(1 epoch on the CPU; 10 on a GPU, where the step is captured as a CUDA graph after 3) and then
``probe_epochs`` timed epochs (at least 20 on a GPU), and all their trials are scored once with the
batched probe. The estimate is

    setup + planned epochs of the longest batch × measured seconds per epoch of all batches + scoring

(early stopping's cuts do not shorten a batch: a pruned trial's row goes on computing). Trials that
cannot be batched are left out, and the sentence says so.
"""

from __future__ import annotations

import time

import torch

from ..batched import BatchedTrainer, group_trials
from ..graph import GraphBundle
from .batched_scoring import score_batch
from .config import SweepConfig
from .estimate import Estimate
from .metrics import Scorer, resolve_metric


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def estimate_batched(sweep: SweepConfig, configs: list, bundle: GraphBundle, probe_epochs: int = 3) -> Estimate:
    groups, _ = group_trials(configs)
    if not groups:
        return Estimate(0.0, 0.0, 0.0, 0.0, 0, 0, str(configs[0].device), 0, 0, backend="batched", batches=0)
    scorer = Scorer(bundle, resolve_metric(sweep.metric, bundle), full=sweep.probe == "full")
    primer = BatchedTrainer(bundle, [configs[groups[0][0]]])  # once-a-process costs (CUDA context, kernels)
    primer.run(2)
    score_batch(scorer, primer.embeddings(), primer.history, [0])
    t0 = time.perf_counter()
    trainers = [BatchedTrainer(bundle, [configs[i] for i in g]) for g in groups]
    device = trainers[0].device
    gpu = device.type == "cuda"
    warm, timed = (10, max(probe_epochs, 20)) if gpu else (1, probe_epochs)
    for _ in range(warm):
        for tr in trainers:
            tr.step()
    _sync(device)
    t1 = time.perf_counter()
    for _ in range(timed):
        for tr in trainers:
            tr.step()
    _sync(device)
    per_epoch = (time.perf_counter() - t1) / timed
    setup = max(0.0, (t1 - t0) - warm * per_epoch)
    t2 = time.perf_counter()
    for tr in trainers:
        tr.flush()
    embs = [tr.embeddings() for tr in trainers]
    same_width = len({e.size(-1) for e in embs}) == 1
    parts = [torch.cat(embs)] if same_width else embs
    hist = [h for tr in trainers for h in tr.history]
    seeds = [c.seed for g in groups for c in (configs[i] for i in g)]
    at = 0
    for e in parts:
        score_batch(scorer, e, hist[at: at + e.size(0)], seeds[at: at + e.size(0)])
        at += e.size(0)
    score = time.perf_counter() - t2
    epochs = max(configs[i].epochs for g in groups for i in g)
    trials = sum(len(g) for g in groups)
    return Estimate(setup + score + epochs * per_epoch, per_epoch, setup, score, trials,
                    sum(configs[i].epochs for g in groups for i in g), str(device), timed, warm,
                    backend="batched", batches=len(groups))
