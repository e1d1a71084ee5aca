"""Evaluation metrics on synthetic embeddings whose answer we know (separated clusters vs pure noise)."""

import math

import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from graphcl_core.errors import ConfigError, GraphCLError
from graphcl_core.evaluation import (REPORT_SPLIT_SEEDS, VALIDATION_SPLIT_SEEDS, cluster, evaluate, knn_accuracy,
                                     linear_probe, probe_predictions, probe_scores, probe_train_fraction,
                                     public_split_probe, silhouette)
from graphcl_core.graph import GraphBundle


def blobs(n=600, d=32, k=4, spread=0.1, seed=0):
    """k well-separated Gaussian clusters (unit-ish centres far apart in angle)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((k, d)) * 3
    y = rng.integers(0, k, n)
    x = centres[y] + rng.standard_normal((n, d)) * spread
    return x.astype(np.float32), y.astype(np.int64)


def noise(n=1000, d=32, k=5, seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)).astype(np.float32), rng.integers(0, k, n).astype(np.int64)


def bundle(x, y, masks=False):
    n = len(y)
    data = Data(x=torch.as_tensor(x), edge_index=torch.empty((2, 0), dtype=torch.long), y=torch.as_tensor(y))
    if masks:
        g = torch.Generator().manual_seed(0)
        perm = torch.randperm(n, generator=g)
        for name, sl in (("train_mask", slice(0, n // 5)), ("val_mask", slice(n // 5, n // 3)),
                         ("test_mask", slice(n // 3, n))):
            m = torch.zeros(n, dtype=torch.bool)
            m[perm[sl]] = True
            setattr(data, name, m)
    return GraphBundle(data=data, name="synthetic", node_names=[str(i) for i in range(n)], source="test")


def test_probe_separated_clusters_near_perfect():
    x, y = blobs()
    r = linear_probe(x, y, splits=3)
    assert r["mean"] > 0.98
    assert len(r["accs"]) == 3 and all(isinstance(a, float) for a in r["accs"])
    assert 0.0 <= r["std"] < 0.02


def test_probe_noise_near_chance():
    x, y = noise(k=5)
    r = linear_probe(x, y, splits=3)
    # chance is 0.2; 900 test nodes -> sd of one split ~0.013, so 0.3 is a generous but real bound
    assert 0.1 < r["mean"] < 0.3


def test_probe_accepts_torch_half_and_ignores_unlabelled():
    x, y = blobs(n=400)
    y = y.copy()
    y[::3] = -1  # unlabelled nodes must be ignored, not treated as a class
    r = linear_probe(torch.as_tensor(x).half(), torch.as_tensor(y), splits=2, C=4.0)
    assert r["mean"] > 0.98
    preds = probe_predictions(x, y)
    assert preds.shape == (400,) and preds.dtype == np.int64
    assert set(np.unique(preds)) <= set(np.unique(y[y >= 0]))
    lab = y >= 0
    assert (preds[lab] == y[lab]).mean() > 0.98


def test_probe_is_seeded():
    x, y = noise(n=300)
    assert linear_probe(x, y, splits=2, seed=3) == linear_probe(x, y, splits=2, seed=3)


def test_probe_errors():
    x, y = blobs(n=100)
    with pytest.raises(ConfigError):
        linear_probe(x, np.zeros(100, dtype=np.int64))  # one class
    with pytest.raises(ConfigError):
        linear_probe(x, np.full(100, -1))  # no labels
    few = np.full(100, -1)
    few[:4] = [0, 1, 0, 1]
    with pytest.raises(ConfigError):
        linear_probe(x, few)  # too few labelled
    with pytest.raises(ConfigError):
        linear_probe(x, y[:50])  # length mismatch
    with pytest.raises(ConfigError):
        linear_probe(x, y, train_frac=1.5)
    with pytest.raises(ConfigError):
        linear_probe(x, y, splits=0)
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(GraphCLError):
        linear_probe(bad, y)
    assert issubclass(ConfigError, GraphCLError)


def test_knn_accuracy():
    x, y = blobs()
    assert knn_accuracy(x, y, k=10) > 0.99
    xn, yn = noise(k=5)
    assert knn_accuracy(xn, yn, k=10) < 0.32
    assert knn_accuracy(x, y, k=5, max_points=200) > 0.99
    with pytest.raises(ConfigError):
        knn_accuracy(x, y, k=0)


def test_silhouette():
    x, y = blobs()
    assert silhouette(x, y) > 0.8
    xn, yn = noise()
    assert abs(silhouette(xn, yn)) < 0.05
    assert math.isnan(silhouette(x, np.zeros(len(y), dtype=np.int64)))
    # subsampling keeps it close to the full value
    assert abs(silhouette(x, y, max_points=200) - silhouette(x, y)) < 0.05


def test_cluster_recovers_blobs():
    from sklearn.metrics import adjusted_rand_score

    x, y = blobs(k=4)
    labels = cluster(torch.as_tensor(x), 4)
    assert labels.shape == (len(y),) and labels.dtype == np.int64
    assert adjusted_rand_score(y, labels) > 0.95
    assert np.array_equal(labels, cluster(x, 4))  # seeded
    with pytest.raises(ConfigError):
        cluster(x, 0)


def test_public_split():
    x, y = blobs()
    b = bundle(x, y, masks=True)
    acc = public_split_probe(x, b.data)
    assert isinstance(acc, float) and acc > 0.98
    assert public_split_probe(x, bundle(x, y).data) is None
    xn, yn = noise(k=5)
    assert public_split_probe(xn, bundle(xn, yn, masks=True).data) < 0.3


def noisy_blobs(n=600, seed=0):
    """Overlapping clusters: accuracy well below 1, so a change of split or labels shows."""
    return blobs(n=n, spread=8.0, seed=seed)


def test_protocols_use_their_own_split_seeds():
    x, y = noisy_blobs()
    b = bundle(x, y)  # no public masks: both protocols split all labelled nodes
    rep, val = probe_scores(x, b.data, "report"), probe_scores(x, b.data, "validation")
    assert rep["split_seeds"] == [0, 1, 2, 3, 4] == list(REPORT_SPLIT_SEEDS)
    assert val["split_seeds"] == [100, 101, 102, 103, 104] == list(VALIDATION_SPLIT_SEEDS)
    assert rep["random_accs"] == linear_probe(x, y, seed=0, splits=5)["accs"]
    assert val["random_accs"] == linear_probe(x, y, split_seeds=VALIDATION_SPLIT_SEEDS)["accs"]
    assert rep["random_accs"] != val["random_accs"]
    assert rep["random_min"] == min(rep["random_accs"]) and rep["public"] is None and val["public"] is None
    with pytest.raises(ConfigError):
        probe_scores(x, b.data, "test")


def test_validation_never_reads_public_test_labels():
    x, y = noisy_blobs()
    b = bundle(x, y, masks=True)
    val = probe_scores(x, b.data, "validation")
    rep = probe_scores(x, b.data, "report")
    assert val["public"] is not None and rep["public"] is not None
    scrambled = bundle(x, y, masks=True)
    test = scrambled.data.test_mask
    scrambled.data.y[test] = torch.randint(0, 4, (int(test.sum()),), generator=torch.Generator().manual_seed(1))
    assert probe_scores(x, scrambled.data, "validation") == val  # test labels changed, validation identical
    assert probe_scores(x, scrambled.data, "report")["public"] != rep["public"]


def test_public_split_chooses_C_on_train_nodes_only():
    x, y = noisy_blobs()
    b = bundle(x, y, masks=True)
    acc = public_split_probe(x, b.data)
    b.data.y[b.data.val_mask] = (b.data.y[b.data.val_mask] + 1) % 4  # val labels wrong: test score unchanged
    assert public_split_probe(x, b.data) == acc
    assert public_split_probe(x, b.data, score_on="val") < 0.2


def test_probe_predictions_are_the_reported_probe():
    from graphcl_core.evaluation import _split

    x, y = noisy_blobs()
    frac = probe_train_fraction(len(y), 4)
    preds = probe_predictions(x, y)
    _, test = _split(y, frac, REPORT_SPLIT_SEEDS[0])
    first = linear_probe(x, y, train_frac=frac, split_seeds=REPORT_SPLIT_SEEDS[:1])["accs"][0]
    assert float((preds[test] == y[test]).mean()) == pytest.approx(first)
    # the reported accuracy does not depend on the training seed (only kNN/silhouette subsamples do)
    b = bundle(x, y)
    assert evaluate(x, b, quick=False, seed=0)["linear_probe_acc"] == evaluate(x, b, quick=False, seed=7)["linear_probe_acc"]


def test_evaluate_keys_and_types():
    x, y = blobs()
    out = evaluate(torch.as_tensor(x), bundle(x, y, masks=True), quick=True)
    assert set(out) == {"linear_probe_acc", "linear_probe_std", "linear_probe_train_frac", "knn_acc", "silhouette", "public_split_acc"}
    assert all(type(v) is float for v in out.values())
    assert out["linear_probe_acc"] > 0.98 and out["knn_acc"] > 0.98
    full = evaluate(x, bundle(x, y), quick=False)
    assert set(full) == {"linear_probe_acc", "linear_probe_std", "linear_probe_train_frac", "knn_acc", "silhouette"}
    assert full["linear_probe_acc"] > 0.98


def test_evaluate_unlabelled_is_empty():
    x, _ = blobs(n=100)
    assert evaluate(x, bundle(x, np.full(100, -1))) == {}
    b = bundle(x, np.zeros(100, dtype=np.int64))
    b.data.y = None
    assert evaluate(x, b) == {}
    assert evaluate(x, bundle(x, np.zeros(100, dtype=np.int64))) == {}  # one class: nothing to score


def test_quick_evaluate_on_cora_size_reports_every_metric():
    """What the live view gets every few epochs (its speed is measured in bench/, not asserted here)."""
    torch.manual_seed(0)
    x = torch.randn(2708, 128)
    y = torch.randint(0, 7, (2708,))
    m = evaluate(x, bundle(x, y, masks=True), quick=True)
    assert {"linear_probe_acc", "linear_probe_std", "knn_acc", "silhouette", "public_split_acc"} <= set(m)
    assert m["linear_probe_acc"] < 0.3 and m["knn_acc"] < 0.3  # random embeddings: near chance (1/7)
