"""How a projection is framed: axis ranges that hug the point cloud, and marker sizes by node count.

The cloud should fill its panel (a presenter's audience sees structure, not white space), keep equal
aspect (distances in a UMAP or PCA picture mean the same across and down), and hold still between
frames so points glide instead of the view jumping. Coordinates arrive normalised
(``graphcl_core.projection`` scales ~99 % of them into [-1, 1]), so ranges rounded outwards to
``STEP`` move only when the cloud's extent really changes.
"""

from __future__ import annotations

import math

import numpy as np

PAD = 0.02  # share of the cloud's extent left free on each side
STEP = 0.05  # ranges are rounded outwards to multiples of this (normalised units)
TAIL = 0.0025  # quantile cut on each side when a few far outliers would squash everything else
OUTLIER_SLACK = 1.5  # outliers are cut only when keeping them would grow the extent by more than this


def _extent(v: np.ndarray) -> tuple[float, float]:
    """Low and high end of one coordinate: all points, unless a few far outliers stretch it a lot."""
    lo, hi = float(v.min()), float(v.max())
    qlo, qhi = (float(q) for q in np.quantile(v, [TAIL, 1 - TAIL]))
    if (hi - lo) > OUTLIER_SLACK * max(qhi - qlo, 1e-9):
        return qlo, qhi
    return lo, hi


def axis_ranges(coords: np.ndarray) -> list[list[float]]:
    """One ``[lo, hi]`` per column of ``coords``: the cloud plus ``PAD``, rounded outwards to ``STEP``.

    Each axis is fitted on its own; equal aspect is the plot's job (``scaleanchor``), which widens the
    shorter side to the panel's shape."""
    if coords.size == 0 or not np.isfinite(coords).all():
        return [[-1.1, 1.1] for _ in range(coords.shape[1])]
    out = []
    for d in range(coords.shape[1]):
        lo, hi = _extent(coords[:, d])
        span = max(hi - lo, 0.2)
        mid = (lo + hi) / 2
        lo, hi = mid - span * (0.5 + PAD), mid + span * (0.5 + PAD)
        out.append([math.floor(lo / STEP) * STEP, math.ceil(hi / STEP) * STEP])
    return [[round(a, 6), round(b, 6)] for a, b in out]


def marker_size(n: int, *, three_d: bool = False) -> float:
    """Marker diameter in px: ~12 for the karate club's 34 nodes, ~6 for Cora's 2.7k, 2.5 from ~100k."""
    size = float(np.clip(16.5 - 3.0 * math.log10(max(n, 1)), 2.5, 13.0))
    return size * 0.6 if three_d else size


def marker_outline(n: int) -> float:
    """A thin white ring separates overlapping points in small graphs; in dense clouds it only adds grey."""
    return 0.8 if n <= 500 else 0.4 if n <= 3000 else 0.0
