"""Sparse features for a batch: the first layer of every trial and view as one sparse product.

Copy ``c = t·V + v`` (trial ``t``, view ``v``) of the node features sits in rows ``c·n … c·n+n-1`` and
in trial ``t``'s columns ``t·F … t·F+F-1`` of one ``(C·n) × (T·F)`` CSR matrix, so that

    X_big @ stack(W_tᵀ)  =  every view's  (X ⊙ keep_v) W_tᵀ, stacked copy-major

(``stack(W_tᵀ)`` is the ``(T·F) × O`` column of the trials' weights). A view's feature mask goes into
the matrix's values (C·nnz of them) instead of T·V masked copies of the weights, and each product
comes out contiguous in the layout the propagation reads (``(T, V, n, O)``): no transposed weights,
no permuted output. The weight gradient is the prebuilt transpose times the output gradient.
"""

from __future__ import annotations

import torch

from ..fast.propagation import csr_row_pointers


class BlockFeatures:
    """``x`` (n, F) repeated for ``trials`` × ``views`` copies; ``product(w, keep)`` for weights (T, O, F)."""

    def __init__(self, x: torch.Tensor, trials: int, views: int):
        coo = x.detach().to_sparse_coo().coalesce()
        row, col = coo.indices()
        n, F = x.shape
        C, nnz = trials * views, row.numel()
        copy = torch.arange(C, device=x.device).repeat_interleave(nnz)
        rows = copy * n + row.repeat(C)
        cols = (copy // views) * F + col.repeat(C)
        self.trials, self.views, self.n, self.F = trials, views, n, F
        self.shape = (C * n, trials * F)
        self.values = coo.values().to(torch.float32).repeat(C)
        self.mask_index = copy * F + col.repeat(C)  # into a (C, F) column mask
        self.crow = csr_row_pointers(rows, C * n, torch.int32)  # rows come sorted (copy-major, coalesced)
        self.ccol = cols.to(torch.int32)
        self.perm_t = torch.argsort(cols * (C * n) + rows)
        self.crow_t = csr_row_pointers(cols, trials * F, torch.int32)
        self.ccol_t = rows[self.perm_t].to(torch.int32)

    def products(self, weights: list[torch.Tensor], keep: torch.Tensor | None) -> list[torch.Tensor]:
        """``(X ⊙ keep_v) W_tᵀ`` (T, V, n, O) for each of ``weights`` (T, O, F); ``keep`` (T, V, F) or None."""
        v = self.values if keep is None else self.values * keep.reshape(-1).to(self.values.dtype)[self.mask_index]
        x = torch.sparse_csr_tensor(self.crow, self.ccol, v, self.shape, check_invariants=False)
        xt = torch.sparse_csr_tensor(self.crow_t, self.ccol_t, v[self.perm_t], self.shape[::-1], check_invariants=False)
        out = []
        for w in weights:
            T, O, _ = w.shape
            # (T·F, O): trial t's Wᵀ in rows t·F …, row-major (for one trial the reshape alone would be a
            # column-major view, which cuSPARSE multiplies ~8× slower: H200, 2 Cora views × 2304 columns)
            stacked = w.transpose(1, 2).reshape(T * self.F, O).contiguous()
            out.append(_BlockProduct.apply(stacked, x, xt).view(T, self.views, self.n, O))
        return out


class _BlockProduct(torch.autograd.Function):
    """``X_big @ w``; the gradient of ``w`` is ``X_bigᵀ @ g`` (the values are inputs, never learned)."""

    @staticmethod
    def forward(ctx, w, x, xt):
        ctx.xt = xt
        return torch.sparse.mm(x, w)

    @staticmethod
    def backward(ctx, g):
        return torch.sparse.mm(ctx.xt, g.contiguous()), None, None
