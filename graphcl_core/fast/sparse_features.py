"""Sparse input features: the first layer's product, feature masking and input dropout on the nonzeros only.

Bag-of-words features (Cora: 1.3 % nonzero, CiteSeer: 0.9 %) make the first layer's dense
``X Wᵀ`` (and its weight gradient ``Gᵀ X``) the largest kernels of a step, although almost every
product is with a zero. Kept as CSR, a view's masking and dropout only touch the nonzero values
(dropping a zero changes nothing, so the result has the same distribution as dense dropout), and
both products are sparse × dense (cuSPARSE on CUDA). Features are inputs, never learned: no
gradient flows into the values.
"""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F

from .propagation import csr_row_pointers

warnings.filterwarnings("ignore", message="Sparse invariant checks are implicitly disabled")
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")

# Auto mode uses sparse features below this density and at least this many feature columns.
MAX_DENSITY = 0.1
MIN_COLUMNS = 64


def sparse_features_wanted(x: torch.Tensor, first_out: int, mode: str | None = None) -> tuple[bool, str]:
    """Whether to keep ``x`` sparse, and why. ``mode`` is ``RuntimeOptions.sparse_features`` (default:
    the process's options): on, off, or auto (wide, sparse features and a first layer that transforms first)."""
    if mode is None:
        from ..options import current

        mode = current().sparse_features
    if mode == "off":
        return False, "off: disabled by GRAPHCL_SPARSE_FEATURES=0"
    if x.dim() != 2 or x.size(1) <= first_out:
        return False, "off: the first layer is not wider than its output"
    if mode != "on":
        if x.size(1) < MIN_COLUMNS:
            return False, f"off: fewer than {MIN_COLUMNS} feature columns"
        density = float((x != 0).sum()) / max(1, x.numel())
        if density > MAX_DENSITY:
            return False, f"off: features {density:.0%} nonzero"
    return True, "on"


class SparseFeatures:
    """Node features as CSR, plus the transposed CSR for the weight gradient.

    ``blocks`` > 1 stacks the matrix that many times (the batched views' disjoint copies); a view
    then takes one column mask per block.
    """

    def __init__(self, x: torch.Tensor, blocks: int = 1):
        x = x.detach()
        if blocks > 1:
            x = torch.cat([x] * blocks)
        self.n, self.d = x.shape
        rows_per_block = self.n // blocks
        coo = x.to_sparse_coo().coalesce()
        row, col = coo.indices()
        self.values = coo.values().to(torch.float32).contiguous()
        self.block_col = (row // rows_per_block) * self.d + col  # index into a (blocks, d) column mask
        self.crow = csr_row_pointers(row, self.n, torch.int32)
        self.ccol = col.to(torch.int32)
        self.perm_t = torch.argsort(col * self.n + row)
        self.crow_t = csr_row_pointers(col, self.d, torch.int32)
        self.ccol_t = row[self.perm_t].to(torch.int32)

    def view(self, keep: torch.Tensor | None = None, dropout: float = 0.0, training: bool = False) -> "SparseView":
        """Values with feature columns masked (``keep``: (d,) or (blocks, d) of 0/1) and dropout applied."""
        v = self.values
        if keep is not None:
            v = v * keep.reshape(-1).to(v.dtype)[self.block_col]
        if training and dropout > 0:
            v = F.dropout(v, dropout, True)
        return SparseView(self, v)


class SparseView:
    """One view's feature matrix; ``linear(w)`` is ``X' wᵀ`` (no bias)."""

    def __init__(self, feats: SparseFeatures, values: torch.Tensor):
        self.feats = feats
        self.values = values

    def linear(self, w: torch.Tensor) -> torch.Tensor:
        f = self.feats
        x = torch.sparse_csr_tensor(f.crow, f.ccol, self.values, (f.n, f.d), check_invariants=False)
        xt = torch.sparse_csr_tensor(f.crow_t, f.ccol_t, self.values[f.perm_t], (f.d, f.n), check_invariants=False)
        return _SparseLinear.apply(w, x, xt)

    def to_dense(self) -> torch.Tensor:
        f = self.feats
        return torch.sparse_csr_tensor(f.crow, f.ccol, self.values, (f.n, f.d), check_invariants=False).to_dense()


class _SparseLinear(torch.autograd.Function):
    """``out = X wᵀ`` for sparse ``X``; ``grad_w = (Xᵀ g)ᵀ`` with the prebuilt transpose."""

    @staticmethod
    def forward(ctx, w, x, xt):
        ctx.xt = xt
        return torch.sparse.mm(x, w.t().contiguous())

    @staticmethod
    def backward(ctx, g):
        return torch.sparse.mm(ctx.xt, g.contiguous()).t().contiguous(), None, None
