"""The evaluation of ``graphcl_core.evaluation`` for many trials at once, in torch, on the embeddings' device.

scikit-learn's probe costs ~2.5 s a trial on the CPU (hundreds of small lbfgs fits: 5 splits × 3 CV
folds × 5 values of C, per protocol), ten times a trial's training on a GPU. Here the fits of every
trial of a sweep are one batched solve (``logreg``), with the splits, folds and C grid of
``evaluation`` (``protocol``), and kNN accuracy and silhouette follow (``neighbours``). Results match
scikit-learn's within its own tolerance (``tests/test_probe_torch.py``); ``evaluate`` returns the
same keys as ``evaluation.evaluate``, one dict per trial.
"""

from __future__ import annotations

import numpy as np
import torch

from ..evaluation import _MIN_LABELLED, QUICK_C, REPORT_SPLIT_SEEDS, _labels, probe_train_fraction
from .neighbours import knn_accuracy, silhouette
from .protocol import Task, linear_probe, probe_scores, protocol_tasks, public_task, run_tasks, split_tasks, unit_rows

__all__ = ["evaluate", "linear_probe", "probe_scores", "knn_accuracy", "silhouette", "run_tasks", "Task",
           "split_tasks", "public_task", "protocol_tasks", "unit_rows"]


def evaluate(embs: torch.Tensor, bundle, quick: bool = True, seed: int = 0,
             extra_tasks: list[Task] | None = None) -> tuple[list[dict], np.ndarray | None]:
    """``evaluation.evaluate`` for each of ``embs`` (T, N, D): ``(metrics per trial, accuracies of extra_tasks)``.

    ``extra_tasks`` (other probes on the same labels, e.g. a sweep's validation protocol) are solved in
    the same batch; their accuracies come back as a (T, len(extra_tasks)) array (None when not asked).
    """
    x = unit_rows(embs)
    T = x.size(0)
    extra = list(extra_tasks or [])
    if bundle is None or not bundle.has_labels:
        return [{} for _ in range(T)], (run_tasks(x, _labels(bundle.data.y, x.size(1)), extra) if extra else None)
    data = bundle.data
    y = _labels(data.y, x.size(1))
    lab = y[y >= 0]
    if len(np.unique(lab)) < 2 or len(lab) < _MIN_LABELLED:
        return [{} for _ in range(T)], (run_tasks(x, y, extra) if extra else None)
    frac = probe_train_fraction(len(lab), int(len(np.unique(lab))))
    seeds = REPORT_SPLIT_SEEDS[:2] if quick else REPORT_SPLIT_SEEDS
    C = QUICK_C if quick else None
    tasks = split_tasks(y, frac, seeds, C)
    pub = public_task(data, y, "test", C)
    every = tasks + ([pub] if pub else []) + extra
    accs = run_tasks(x, y, every)
    knn_pts, sil_pts = (2000, 1000) if quick else (20_000, 5000)
    knn = knn_accuracy(x, y, k=10, max_points=knn_pts, seed=seed)
    sil = silhouette(x, y, max_points=sil_pts, seed=seed)
    out = []
    for t in range(T):
        split_accs = accs[t, : len(tasks)]
        m = {"linear_probe_acc": float(np.mean(split_accs)), "linear_probe_std": float(np.std(split_accs)),
             "linear_probe_train_frac": frac, "knn_acc": knn[t], "silhouette": sil[t]}
        if pub is not None:
            m["public_split_acc"] = float(accs[t, len(tasks)])
        out.append(m)
    return out, (accs[:, len(every) - len(extra):] if extra else None)
