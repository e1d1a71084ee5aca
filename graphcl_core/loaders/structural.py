"""Features computed from the graph alone, for graphs whose file has no node features.

A GNN needs *some* input per node; identical inputs would make every node look the same before
message passing. These descriptors are cheap (vectorised with SciPy) and skipped when a graph is
too large for them, and ``feature_source`` says exactly which were used.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .build import standardise

_CLUSTERING_BUDGET = 100_000_000  # sum of squared degrees ~ cost of A @ A
_CORE_MAX_EDGES = 500_000         # networkx core_number is pure Python
_RANDOM_WALK_BUDGET = 60_000_000  # nnz * N for the dense return-probability products
_RANDOM_WALK_MAX_NODES = 3_000     # the N x N dense matrix must stay small
_EIGEN_MAX_NODES = 20_000          # sparse eigensolver stays well under a second below this
_EIGEN_DIMS = 8


def _laplacian_positions(a: sp.csr_matrix, deg: np.ndarray, k: int) -> np.ndarray | None:
    """The ``k`` smoothest non-trivial eigenvectors of the normalised Laplacian (spectral positions).

    Degree-like descriptors are identical for symmetric positions (every clique of a ring of cliques
    looks the same), so message passing alone could never tell such nodes apart; positions in the
    graph's spectral layout can. Signs are fixed (largest entry positive) so loads are repeatable.
    """
    from scipy.sparse.linalg import ArpackError, eigsh

    n = a.shape[0]
    k = min(k, n - 2)
    if k < 1:
        return None
    inv = sp.diags(np.where(deg > 0, 1.0 / np.sqrt(np.maximum(deg, 1)), 0.0))
    # eigenvectors of the largest eigenvalues of I + D^-1/2 A D^-1/2 = smallest of the Laplacian
    m = sp.identity(n) + inv @ a @ inv
    try:
        if n <= 2_000:
            vals, vecs = np.linalg.eigh(m.toarray())
        else:
            vals, vecs = eigsh(m.tocsc(), k=k + 1, which="LA", v0=np.ones(n), tol=1e-6, maxiter=5000)
    except (ArpackError, np.linalg.LinAlgError):
        return None
    order = np.argsort(-vals)[1: k + 1]  # drop the trivial top eigenvector
    vecs = vecs[:, order]
    signs = np.sign(vecs[np.abs(vecs).argmax(0), np.arange(vecs.shape[1])])
    return vecs * np.where(signs == 0, 1, signs)


def _pagerank(a: sp.csr_matrix, deg: np.ndarray, alpha: float = 0.85, iters: int = 60) -> np.ndarray:
    n = a.shape[0]
    inv = np.where(deg > 0, 1.0 / np.maximum(deg, 1), 0.0)
    pr = np.full(n, 1.0 / n)
    for _ in range(iters):
        dangling = pr[deg == 0].sum()
        pr = alpha * (a @ (pr * inv)) + (alpha * dangling + 1 - alpha) / n
    return pr


def _core_number(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(u.tolist(), v.tolist()))
    core = nx.core_number(g)
    return np.array([core[i] for i in range(n)], dtype=np.float64)


def structural_features(u: np.ndarray, v: np.ndarray, n: int) -> tuple[np.ndarray, str]:
    """Standardised structural features and a human description of them (for ``feature_source``)."""
    a = sp.coo_matrix((np.ones(2 * len(u)), (np.concatenate([u, v]), np.concatenate([v, u]))), shape=(n, n)).tocsr()
    deg = np.asarray(a.sum(axis=1)).ravel()
    cols, used = [np.log1p(deg)], ["log degree"]
    if float((deg ** 2).sum()) <= _CLUSTERING_BUDGET:
        tri = np.asarray((a @ a).multiply(a).sum(axis=1)).ravel() / 2
        pairs = deg * (deg - 1) / 2
        cols.append(np.where(pairs > 0, tri / np.maximum(pairs, 1), 0.0))
        used.append("clustering coefficient")
    cols.append(np.log(_pagerank(a, deg) * n))
    used.append("PageRank")
    if len(u) <= _CORE_MAX_EDGES:
        cols.append(_core_number(u, v, n))
        used.append("core number")
    if n <= _RANDOM_WALK_MAX_NODES and a.nnz * n <= _RANDOM_WALK_BUDGET:
        p = sp.diags(np.where(deg > 0, 1.0 / np.maximum(deg, 1), 0.0)) @ a
        m = np.eye(n)
        for k in range(1, 5):
            m = p @ m
            if k >= 2:
                cols.append(np.diag(m).copy())
        used.append("random-walk return probabilities (2–4 steps)")
    if n <= _EIGEN_MAX_NODES:
        pos = _laplacian_positions(a, deg, _EIGEN_DIMS)
        if pos is not None:
            cols.extend(pos.T)
            used.append(f"{pos.shape[1]} Laplacian eigenvectors (position in the graph)")
    x = standardise(np.stack(cols, axis=1))
    return x, f"structural: {', '.join(used)} (the graph has no node features)"
