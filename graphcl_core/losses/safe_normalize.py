"""``safe_normalize``: L2 normalisation whose gradient stays finite at (near-)zero vectors.

A node can come out of a view as an exact zero vector: all its words masked or dropped, all its
edges dropped, and biases still at their zero initialisation. ``F.normalize`` divides by
``max(‖z‖, 1e-12)`` there, so the gradient is ~1e12 per normalisation (the model normalises, then
InfoNCE again: ~1e19 on the biases). Adam then stores an infinite second moment and that parameter
never moves again (or, with the fused Adam kernel, turns NaN). A zero vector carries no direction,
so here it stays zero and passes no gradient; every other row is normalised exactly as before.
"""

from __future__ import annotations

import torch

EPS = 1e-6


def safe_normalize(z: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """``z / ‖z‖`` row-wise (last dimension); rows with ``‖z‖ ≤ eps`` become 0 with zero gradient."""
    norm = torch.linalg.vector_norm(z, dim=-1, keepdim=True)
    return z * (norm.clamp_min(eps).reciprocal() * (norm > eps))
