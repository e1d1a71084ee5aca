"""A sweep's ``Scorer``, applied to many trials at once with the torch probe (``graphcl_core.probe_torch``).

The same numbers as ``Scorer.score`` and ``Scorer.rung_score`` (the same protocols, splits, seeds and
C grid; the regressions solved in torch, agreeing with scikit-learn within its tolerance), computed
for a whole batch of trials in one solve on the device the embeddings are on.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .. import probe_torch
from ..evaluation import QUICK_C, VALIDATION_SPLIT_SEEDS, _labels, probe_train_fraction
from .metrics import Scorer


def _validation_tasks(scorer: Scorer, quick: bool) -> list:
    """The validation protocol's random-split tasks, as ``Scorer._validation_probe`` scores them."""
    data = scorer.bundle.data
    y = _labels(data.y, scorer.bundle.num_nodes)
    frac = probe_train_fraction(int((y >= 0).sum()), scorer.bundle.num_classes)
    if quick:
        y = y.copy()
        test = getattr(data, "test_mask", None)
        if test is not None:
            y[np.asarray(test.cpu() if isinstance(test, torch.Tensor) else test, dtype=bool)] = -1
        return probe_torch.split_tasks(y, frac, VALIDATION_SPLIT_SEEDS[:2], QUICK_C)
    return probe_torch.protocol_tasks(y, data, "validation", frac, C=None)[0]


def score_batch(scorer: Scorer, embs: torch.Tensor, histories: list[list[dict]], seeds: list[int]
                ) -> list[tuple[float, dict]]:
    """``[(metric value, metrics for the run's meta), ...]`` for embeddings (T, N, D), as ``Scorer.score``."""
    out: list[tuple[float, dict] | None] = [None] * embs.size(0)
    for seed in sorted(set(seeds)):  # the seed draws kNN/silhouette subsamples: one solve per seed
        idx = [t for t, s in enumerate(seeds) if s == seed]
        for t, r in zip(idx, _score_same_seed(scorer, embs[idx], [histories[t] for t in idx], seed)):
            out[t] = r
    return out


def _score_same_seed(scorer: Scorer, embs: torch.Tensor, histories: list[list[dict]], seed: int) -> list:
    bundle, metric = scorer.bundle, scorer.metric
    extra = _validation_tasks(scorer, quick=not scorer.full) if metric == "linear_probe" else None
    if bundle.has_labels:
        metrics, extra_acc = probe_torch.evaluate(embs, bundle, quick=not scorer.full, seed=seed, extra_tasks=extra)
    else:
        metrics, extra_acc = [{} for _ in range(embs.size(0))], None
    if metric == "silhouette" and not bundle.has_labels:
        community = probe_torch.silhouette(probe_torch.unit_rows(embs), scorer._groups, seed=seed)
    out = []
    for t, m in enumerate(metrics):
        if metric == "linear_probe":
            m["validation_probe_acc"] = value = float(np.mean(extra_acc[t]))
        elif metric == "silhouette":
            if "silhouette" not in m:
                m["community_silhouette"] = community[t]
            value = m.get("silhouette", m.get("community_silhouette", math.nan))
        else:
            value = float(histories[t][-1]["loss"]) if histories[t] else math.nan
        out.append((value, m))
    return out


def rung_scores(scorer: Scorer, embs: torch.Tensor, histories: list[list[dict]], seeds: list[int]) -> list[float]:
    """``Scorer.rung_score`` of each trial: 2 validation splits with a fixed C, silhouette of ≤ 1,000 nodes,
    or the last loss."""
    if scorer.metric == "final_loss":
        return [float(h[-1]["loss"]) if h else math.nan for h in histories]
    x = probe_torch.unit_rows(embs)
    if scorer.metric == "silhouette":
        out = [math.nan] * x.size(0)
        for seed in sorted(set(seeds)):
            idx = [t for t, s in enumerate(seeds) if s == seed]
            for t, v in zip(idx, probe_torch.silhouette(x[idx], scorer._groups, max_points=1000, seed=seed)):
                out[t] = v
        return out
    y = _labels(scorer.bundle.data.y, x.size(1))
    accs = probe_torch.run_tasks(x, y, _validation_tasks(scorer, quick=True))
    return [float(np.mean(a)) for a in accs]
