"""kNN accuracy and cosine silhouette of many embedding matrices, on their device.

The same numbers as ``evaluation.knn_accuracy`` and ``evaluation.silhouette`` (the same subsamples
from the same seeds, the same tie-breaking towards nearer neighbours, scikit-learn's definition of
the silhouette with distances clipped to [0, 2]), one trial at a time but without leaving the GPU.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..evaluation import _labels


def _subsample(ids: np.ndarray, max_points: int | None, seed: int) -> np.ndarray:
    if max_points is not None and len(ids) > int(max_points):
        return np.sort(np.random.default_rng(seed).choice(ids, int(max_points), replace=False))
    return ids


def knn_accuracy(x: torch.Tensor, y, k: int = 10, *, max_points: int | None = None, seed: int = 0) -> list[float]:
    """Leave-one-out cosine kNN accuracy of each of ``x`` (T, N, D), unit rows (``protocol.unit_rows``)."""
    yl = _labels(y, x.size(1))
    ids = np.flatnonzero(yl >= 0)
    # evaluation.knn_accuracy subsamples positions among the labelled nodes with the same generator
    pos = _subsample(np.arange(len(ids)), max_points, seed)
    ids = ids[pos]
    n = len(ids)
    k = min(int(k), n - 1)
    classes, yc = np.unique(yl[ids], return_inverse=True)
    yc_t = torch.from_numpy(yc).to(x.device)
    w = (1.0 + 1e-6 * (k - torch.arange(k, device=x.device, dtype=torch.float64))).expand(n, k)
    sel = torch.from_numpy(ids).to(x.device)
    out = []
    for xt in x[:, sel]:
        sim = xt @ xt.T
        sim.fill_diagonal_(-float("inf"))
        idx = torch.topk(sim, k, dim=1, largest=True, sorted=True).indices
        votes = torch.zeros(n, len(classes), dtype=torch.float64, device=x.device).scatter_add_(1, yc_t[idx], w)
        out.append((votes.argmax(1) == yc_t).double().mean())
    return torch.stack(out).tolist() if out else []  # one read-back for every trial (the GPU keeps its queue)


def silhouette(x: torch.Tensor, y, *, max_points: int = 5000, seed: int = 0) -> list[float]:
    """Cosine silhouette of the label classes for each of ``x`` (T, N, D), unit rows; NaN below 2 classes."""
    yl = _labels(y, x.size(1))
    ids = _subsample(np.flatnonzero(yl >= 0), max_points, seed)
    classes, yc = np.unique(yl[ids], return_inverse=True)
    if len(classes) < 2 or len(classes) > len(ids) - 1:
        return [math.nan] * x.size(0)
    dev = x.device
    yc_t = torch.from_numpy(yc).to(dev)
    onehot = torch.nn.functional.one_hot(yc_t, len(classes)).float()
    sizes = onehot.sum(0)
    own = sizes[yc_t]
    sel = torch.from_numpy(ids).to(dev)
    out = []
    for xt in x[:, sel].float():  # float32, as evaluation.silhouette hands scikit-learn
        d = (1.0 - xt @ xt.T).clamp_(0.0, 2.0)
        d.fill_diagonal_(0.0)
        sums = d @ onehot  # (n, classes): summed distance to each class
        intra = sums.gather(1, yc_t[:, None])[:, 0] / (own - 1).clamp(min=1)
        mean_other = (sums / sizes).masked_fill(onehot.bool(), float("inf"))
        inter = mean_other.min(1).values
        s = (inter - intra) / torch.maximum(intra, inter)
        s = torch.nan_to_num(s).masked_fill(own <= 1, 0.0)
        out.append(s.mean())
    return [float(v) for v in torch.stack(out).tolist()] if out else []  # one read-back for every trial
