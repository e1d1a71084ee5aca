"""Projection (PCA/UMAP live frames) and exact kNN.

UMAP tests are marked ``umap``: the first one pays numba's one-off compile (~15-20 s, cached on disk
afterwards); the rest run in well under a second each, so the file stays < 60 s on 2 cores.
Frame times are measured by ``bench/projection.py``, never asserted here.
"""

import warnings

import numpy as np
import pytest
import torch

from graphcl_core.errors import ConfigError, GraphCLError
from graphcl_core.knn import knn, nearest_neighbours
from graphcl_core.projection import Projection, Projector, project_once

with warnings.catch_warnings():  # 'umap' is not registered in pytest.ini (not ours to edit); select with -m umap
    warnings.simplefilter("ignore")
    umap_mark = pytest.mark.umap


def two_blobs(n=200, d=16, gap=6.0, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    centres = rng.standard_normal((2, d))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    x = centres[y] * gap + rng.standard_normal((n, d)) * 0.3
    return x.astype(np.float32), y


def clustered(n=400, d=32, k=5, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    x = rng.standard_normal((k, d))[y] + rng.standard_normal((n, d)) * 0.8
    return x.astype(np.float32), y


def separation(coords, y):
    """Distance between class centroids over the mean within-class spread."""
    c0, c1 = coords[y == 0].mean(0), coords[y == 1].mean(0)
    spread = np.mean([np.linalg.norm(coords[y == c] - coords[y == c].mean(0), axis=1).mean() for c in (0, 1)])
    return np.linalg.norm(c0 - c1) / spread


# ---------------------------------------------------------------------------------------------- PCA
def test_pca_frame_shape_and_determinism():
    x, _ = clustered()
    a = Projector("pca").project(x)
    b = Projector("pca").project(torch.as_tensor(x))
    assert isinstance(a, Projection)
    assert a.coords.shape == (400, 2) and a.coords.dtype == np.float32
    assert np.array_equal(a.index, np.arange(400)) and not a.subsampled and a.method == "pca" and a.dim == 2
    np.testing.assert_allclose(a.coords, b.coords, atol=1e-5)
    assert np.abs(a.coords.mean(0)).max() < 1e-4  # centred
    assert np.quantile(np.abs(a.coords), 0.99) <= 1.0 + 1e-5
    assert a.seconds >= 0


def test_pca_3d_and_more_features_than_points():
    x = np.random.default_rng(0).standard_normal((20, 50)).astype(np.float32)
    p = project_once(x, "pca", 3)
    assert p.coords.shape == (20, 3) and p.dim == 3 and np.isfinite(p.coords).all()


def test_pca_separates_blobs():
    x, y = two_blobs()
    assert separation(Projector("pca").project(x).coords, y) > 5


def test_procrustes_stops_flips():
    """A frame whose input is a sign-flipped/rotated copy must come out aligned with the previous one."""
    x, _ = clustered()
    p = Projector("pca")
    a = p.project(x)
    # rotate the embedding space: PCA axes may flip sign; Procrustes must undo it
    q, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((32, 32)))
    b = p.project((x @ q.astype(np.float32)) * -1)
    assert np.abs(b.coords - a.coords).max() < 1e-3


def test_subsampling_sets_flag_and_note():
    x = np.random.default_rng(0).standard_normal((300, 8)).astype(np.float32)
    p = Projector("pca", max_points=100)
    a = p.project(x)
    assert a.subsampled and a.coords.shape == (100, 2) and len(a.index) == 100
    assert len(np.unique(a.index)) == 100 and a.index.max() < 300
    assert "subsample" in a.note and "300" in a.note
    b = p.project(x + 0.01)
    assert np.array_equal(a.index, b.index)  # same nodes in successive frames


def test_bad_arguments():
    for kw in ({"method": "tsne"}, {"dim": 4}, {"max_points": 5}, {"n_neighbors": 1}, {"min_dist": 2.0},
               {"metric": "manhattan"}, {"first_epochs": 0}):
        with pytest.raises(ConfigError):
            Projector(**kw)
    bad = np.ones((10, 3), dtype=np.float32)
    bad[2, 1] = np.inf
    with pytest.raises(GraphCLError):
        Projector("pca").project(bad)
    with pytest.raises(GraphCLError):
        Projector("pca").project(np.zeros((0, 3)))
    with pytest.raises(GraphCLError):
        Projector("pca").project(np.zeros((2, 3, 4)))


# --------------------------------------------------------------------------------------------- UMAP
@umap_mark
def test_umap_separates_two_blobs_2d_and_3d():
    x, y = two_blobs()
    a = Projector("umap", first_epochs=100).project(x)
    assert a.method == "umap" and a.coords.shape == (200, 2) and np.isfinite(a.coords).all()
    assert separation(a.coords, y) > 3
    b = project_once(x, "umap", 3, first_epochs=50)
    assert b.coords.shape == (200, 3) and b.dim == 3
    assert separation(b.coords, y) > 3


@umap_mark
def test_umap_warm_start_moves_points_little():
    x, _ = clustered()
    x2 = x + np.random.default_rng(5).standard_normal(x.shape).astype(np.float32) * 0.05
    p = Projector("umap", first_epochs=100, update_epochs=30)
    a = p.project(x)
    warm = p.project(x2)
    cold = Projector("umap", first_epochs=100, seed=1).project(x2)
    d_warm = np.linalg.norm(warm.coords - a.coords, axis=1).mean()
    d_cold = np.linalg.norm(cold.coords - a.coords, axis=1).mean()
    assert d_warm < 0.15
    assert d_warm < 0.6 * d_cold


@umap_mark
def test_umap_tiny_graph_falls_back_to_pca():
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    p = Projector("umap").project(x)
    assert p.method == "pca" and "PCA instead of UMAP" in p.note and p.coords.shape == (4, 2)


# ---------------------------------------------------------------------------------------------- kNN
def brute(x, k, metric):
    if metric == "cosine":
        z = x / np.linalg.norm(x, axis=1, keepdims=True)
        d = 1 - z @ z.T
    else:
        d = np.linalg.norm(x[:, None] - x[None], axis=2)
    np.fill_diagonal(d, np.inf)
    idx = np.argsort(d, axis=1, kind="stable")[:, :k]
    return idx, np.take_along_axis(d, idx, 1)


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_knn_exact_vs_bruteforce(metric):
    x = np.random.default_rng(0).standard_normal((150, 12)).astype(np.float64)
    idx, dist = knn(x.astype(np.float32), 7, metric=metric, chunk=32)  # several chunks
    bi, bd = brute(x, 7, metric)
    assert idx.shape == (150, 7) and idx.dtype == np.int64 and dist.dtype == np.float32
    np.testing.assert_allclose(dist, bd, atol=1e-5)
    assert (idx == bi).mean() > 0.999  # continuous data: ties essentially impossible
    assert not (idx == np.arange(150)[:, None]).any()  # self excluded
    assert (np.diff(dist, axis=1) >= -1e-6).all()  # nearest first


def test_knn_duplicates_and_errors():
    x = np.zeros((5, 3), dtype=np.float32)
    x[:, 0] = [0, 0, 1, 2, 3]  # rows 0 and 1 identical
    idx, dist = knn(x, 2)
    assert idx[0, 0] == 1 and idx[1, 0] == 0 and dist[0, 0] == 0
    assert not (idx == np.arange(5)[:, None]).any()
    idx2, _ = knn(x, 1, exclude_self=False)
    assert dist.shape == (5, 2) and idx2.shape == (5, 1)
    with pytest.raises(ConfigError):
        knn(x, 5)
    with pytest.raises(ConfigError):
        knn(x, 0)
    with pytest.raises(ConfigError):
        knn(x, 2, metric="manhattan")


def test_nearest_neighbours_matches_knn():
    x = np.random.default_rng(2).standard_normal((60, 8)).astype(np.float32)
    idx, dist = knn(x, 5, metric="cosine")
    nb = nearest_neighbours(x, 7, k=5, metric="cosine")
    assert [i for i, _ in nb] == idx[7].tolist()
    np.testing.assert_allclose([d for _, d in nb], dist[7], atol=1e-5)
    assert nearest_neighbours(x[:1], 0) == []
    with pytest.raises(GraphCLError):
        nearest_neighbours(x, 60)
