"""Exact k-nearest neighbours in torch.

One implementation shared by the projection (UMAP's kNN graph) and the evaluation (kNN accuracy,
"nearest neighbours of this node" on the Explore page). Exact rather than approximate because the
graphs we show are small enough (≤ ~20k points for projection) and exactness keeps results
reproducible; chunked over query rows so memory stays bounded; runs wherever the tensor lives, so
embeddings already on the GPU never leave it until the small (N, k) result comes back.
"""

from __future__ import annotations

import numpy as np
import torch

from .errors import ConfigError, GraphCLError

_METRICS = ("euclidean", "cosine")
# Largest (rows × N) distance block computed at once: 2^25 floats = 128 MB.
_MAX_BLOCK = 2**25


def as_float_tensor(emb, name: str = "embeddings") -> torch.Tensor:
    """Torch float32 2-D view of ``emb`` (tensor on any device, or array-like); checks NaN/inf.

    Shared by projection/evaluation so every entry point gives the same plain-language errors.
    """
    if isinstance(emb, torch.Tensor):
        t = emb.detach()
    else:
        try:
            t = torch.as_tensor(np.asarray(emb))
        except (TypeError, ValueError) as e:
            raise GraphCLError(f"The {name} could not be read as a table of numbers ({e}).") from e
    if t.dim() == 1:
        t = t.unsqueeze(1)
    if t.dim() != 2:
        raise GraphCLError(f"The {name} must be a table with one row per node; got shape {tuple(t.shape)}.")
    if t.size(0) == 0:
        raise GraphCLError(f"The {name} are empty (no nodes).")
    t = t.float()
    if not bool(torch.isfinite(t).all()):
        what = "NaN" if bool(torch.isnan(t).any()) else "infinite"
        raise GraphCLError(
            f"The {name} contain {what} values, so they cannot be used. This usually means training "
            "diverged: try a lower learning rate or temperature, then train again.")
    return t


def _check_metric(metric: str) -> str:
    if metric not in _METRICS:
        raise ConfigError(f"Unknown distance '{metric}'. Choose 'euclidean' or 'cosine'.")
    return metric


def _prepare(x: torch.Tensor, metric: str) -> torch.Tensor:
    if metric == "cosine":
        return torch.nn.functional.normalize(x, dim=1, eps=1e-12)
    return x


def knn(emb, k: int, *, metric: str = "euclidean", exclude_self: bool = True,
        chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """Exact kNN of every row: ``(idx (N,k) int64, dist (N,k) float32)``, nearest first.

    ``metric="cosine"`` gives distance ``1 - cosine similarity`` (what UMAP calls cosine).
    ``exclude_self`` drops each point from its own list even when duplicates tie with it.
    """
    _check_metric(metric)
    x = as_float_tensor(emb)
    n = x.size(0)
    k = int(k)
    limit = n - 1 if exclude_self else n
    if k < 1:
        raise ConfigError(f"The number of neighbours must be at least 1 (got {k}).")
    if k > limit:
        raise ConfigError(f"Cannot find {k} neighbours among {n} nodes; use at most {max(limit, 0)}.")
    z = _prepare(x, metric)
    sq = (z * z).sum(1) if metric == "euclidean" else None
    rows = max(1, min(int(chunk), _MAX_BLOCK // max(n, 1), _MAX_BLOCK // max(k * z.size(1), 1)))
    out_idx = torch.empty((n, k), dtype=torch.long, device=z.device)
    out_dist = torch.empty((n, k), dtype=torch.float32, device=z.device)
    for s in range(0, n, rows):
        e = min(n, s + rows)
        q = z[s:e]
        if metric == "cosine":
            d = 1.0 - q @ z.T
        else:
            d = (sq[s:e, None] + sq[None, :] - 2.0 * (q @ z.T)).clamp_min_(0.0)
        if exclude_self:
            ar = torch.arange(e - s, device=z.device)
            d[ar, ar + s] = float("inf")
        dv, di = torch.topk(d, k, dim=1, largest=False, sorted=True)
        if metric == "euclidean":
            # Recompute exactly for the chosen few: the expansion above loses precision for close points.
            dv = (q[:, None, :] - z[di]).norm(dim=2)
            dv, order = dv.sort(dim=1)
            di = di.gather(1, order)
        else:
            dv = dv.clamp_min(0.0)
        out_idx[s:e] = di
        out_dist[s:e] = dv
    return out_idx.cpu().numpy().astype(np.int64), out_dist.cpu().numpy().astype(np.float32)


def nearest_neighbours(emb, node: int, k: int = 10, metric: str = "cosine") -> list[tuple[int, float]]:
    """The ``k`` nodes closest to ``node`` as ``[(node_id, distance), ...]``, nearest first, itself excluded.

    Only one row of distances is computed, so it is instant even on large graphs.
    For ``cosine`` the distance is ``1 - cosine similarity`` (0 = same direction, 2 = opposite).
    """
    _check_metric(metric)
    x = as_float_tensor(emb)
    n = x.size(0)
    node = int(node)
    if not 0 <= node < n:
        raise GraphCLError(f"Node {node} does not exist: the graph has nodes 0 to {n - 1}.")
    k = min(int(k), n - 1)
    if k < 1:
        return []
    z = _prepare(x, metric)
    q = z[node:node + 1]
    if metric == "cosine":
        d = (1.0 - q @ z.T)[0].clamp_min(0.0)
    else:
        d = (z - q).norm(dim=1)
    d[node] = float("inf")
    dv, di = torch.topk(d, k, largest=False, sorted=True)
    return [(int(i), float(v)) for i, v in zip(di.cpu().tolist(), dv.cpu().tolist())]
