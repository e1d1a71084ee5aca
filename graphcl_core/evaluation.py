"""How good are the node embeddings? Linear probe, the two probe protocols, kNN accuracy, silhouette, clusters.

The probe: embeddings are L2-normalised row-wise, a multinomial logistic regression (sklearn, lbfgs)
learns from the training nodes of a split, and accuracy is measured on its test nodes. Nodes with
``y < 0`` (unlabelled) are ignored everywhere. The regularisation strength ``C`` is picked per split by
3-fold stratified cross-validation on the *training nodes only* among ``_C_GRID``; ``quick`` evaluation
during live training uses the fixed ``QUICK_C`` instead so it stays well under 0.3 s on Cora.

Two protocols, so that numbers are never selected on the splits they report (``probe_scores``):

    protocol     random 10/90 splits (stratified)                       public Planetoid split
    validation   split seeds 100-104, over labelled nodes NOT in the    train_mask -> val_mask
                 public test set (all labelled nodes when no masks)
    report       split seeds 0-4, over all labelled nodes               train_mask -> test_mask

Hyperparameters (defaults, recipes, ``bench/tune.py``) are chosen on ``validation`` scores only;
``report`` scores are computed for reporting. The public test nodes never enter a validation score;
the random report splits reuse the graph's nodes (every node is tested by some split) but with split
seeds that selection never sees.

Every function accepts embeddings as a torch tensor (any device, float16/32) or an array, and returns
plain Python floats / numpy arrays so results go straight into JSON/CSV.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import torch

from .errors import ConfigError
from .knn import as_float_tensor, knn

# Candidate regularisation strengths for the probe. Embeddings are unit-norm, so features are small
# (~1/sqrt(D)) and useful C values are >= ~1; 16 is weak regularisation.
_C_GRID = (0.25, 1.0, 4.0, 16.0, 64.0)
QUICK_C = 4.0
PROTOCOLS = ("validation", "report")
VALIDATION_SPLIT_SEEDS = (100, 101, 102, 103, 104)  # selection reads only these (and public val nodes)
REPORT_SPLIT_SEEDS = (0, 1, 2, 3, 4)  # reported, never used to choose anything
_MIN_LABELLED = 10
_MAX_ITER = 1000


# ----------------------------------------------------------------------------------------------- helpers
def _features(emb) -> np.ndarray:
    """Row-wise L2-normalised float64 numpy copy (float64: lbfgs converges more reliably)."""
    x = as_float_tensor(emb)
    x = torch.nn.functional.normalize(x, dim=1, eps=1e-12)
    return x.cpu().numpy().astype(np.float64)


def _labels(y, n: int) -> np.ndarray:
    """Labels as a 1-D int64 numpy array of length ``n`` (``-1`` = unlabelled)."""
    if y is None:
        raise ConfigError("This graph has no node labels, so the embeddings cannot be scored against them.")
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ConfigError(f"Labels must be one number per node; got shape {tuple(y.shape)}.")
    if len(y) != n:
        raise ConfigError(f"There are {len(y)} labels but {n} embeddings; they must match one-to-one.")
    if y.dtype.kind == "f":
        if not np.isfinite(y).all() or (y != np.round(y)).any():
            raise ConfigError("Labels must be whole class numbers (0, 1, 2, ...); -1 marks an unlabelled node.")
    return y.astype(np.int64)


def _labelled(emb, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features of labelled nodes, their labels, their node ids); checks there is something to learn."""
    x = _features(emb)
    y = _labels(y, x.shape[0])
    ids = np.flatnonzero(y >= 0)
    classes = np.unique(y[ids])
    if len(classes) < 2:
        raise ConfigError(f"Scoring needs labels from at least 2 classes; this graph has {len(classes)}.")
    if len(ids) < _MIN_LABELLED:
        raise ConfigError(f"Only {len(ids)} nodes have labels; scoring needs at least {_MIN_LABELLED}.")
    return x[ids], y[ids], ids


def _split(y: np.ndarray, train_frac: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random train/test positions. Stratified when every class can appear on both sides (steadier
    accuracy for small train fractions); otherwise plain random, retried so training sees >= 2 classes."""
    n = len(y)
    classes, counts = np.unique(y, return_counts=True)
    n_train = int(round(train_frac * n))
    n_train = min(max(n_train, 2), n - 1)
    rng = np.random.default_rng(seed)
    if counts.min() >= 2 and len(classes) <= n_train <= n - len(classes):
        from sklearn.model_selection import train_test_split

        tr, te = train_test_split(np.arange(n), train_size=n_train, stratify=y,
                                  random_state=int(rng.integers(2**31 - 1)))
        return np.sort(tr), np.sort(te)
    for _ in range(20):
        perm = rng.permutation(n)
        tr, te = perm[:n_train], perm[n_train:]
        if len(np.unique(y[tr])) >= 2:
            return np.sort(tr), np.sort(te)
    raise ConfigError("Too few labelled nodes per class to train the probe; label more nodes or raise train_frac.")


def _fit(x: np.ndarray, y: np.ndarray, C: float):
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=float(C), solver="lbfgs", max_iter=_MAX_ITER, tol=1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning after max_iter / FutureWarning on multi_class
        clf.fit(x, y)
    return clf


def _pick_C(x: np.ndarray, y: np.ndarray, seed: int) -> float:
    """Best C from ``_C_GRID`` by 3-fold CV on the training part (falls back to QUICK_C when too small)."""
    _, counts = np.unique(y, return_counts=True)
    folds = min(3, int(counts.min()))
    if folds < 2:
        return QUICK_C
    from sklearn.model_selection import StratifiedKFold

    skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = np.zeros(len(_C_GRID))
    for tr, va in skf.split(x, y):
        if len(np.unique(y[tr])) < 2:
            continue
        for j, C in enumerate(_C_GRID):
            scores[j] += float((_fit(x[tr], y[tr], C).predict(x[va]) == y[va]).mean())
    return float(_C_GRID[int(np.argmax(scores))])  # ties -> the smaller (more regularised) C


def _check_frac(train_frac: float) -> float:
    f = float(train_frac)
    if not 0.0 < f < 1.0:
        raise ConfigError(f"The training fraction must be between 0 and 1 (got {train_frac}).")
    return f


# ------------------------------------------------------------------------------------------------ public
def linear_probe(emb, y, *, train_frac: float = 0.1, splits: int = 5, seed: int = 0,
                 C: float | None = None, split_seeds: Sequence[int] | None = None) -> dict:
    """Mean/std/min test accuracy of a logistic-regression probe over random splits.

    The splits are seeded ``seed, seed+1, ..., seed+splits-1``, or exactly ``split_seeds`` when given.
    ``C=None`` picks C per split by CV on the training part (the full protocol); a number fixes it
    (what ``evaluate(quick=True)`` does to stay fast). Returns ``{"mean", "std", "min", "accs"}``.
    """
    train_frac = _check_frac(train_frac)
    seeds = [int(s) for s in split_seeds] if split_seeds is not None else [seed + i for i in range(int(splits))]
    if len(seeds) < 1:
        raise ConfigError(f"Use at least 1 split (got {splits}).")
    if C is not None and not float(C) > 0:
        raise ConfigError(f"The probe's C must be positive (got {C}).")
    x, yl, _ = _labelled(emb, y)
    accs = []
    for s in seeds:
        tr, te = _split(yl, train_frac, s)
        c = float(C) if C is not None else _pick_C(x[tr], yl[tr], s)
        clf = _fit(x[tr], yl[tr], c)
        accs.append(float((clf.predict(x[te]) == yl[te]).mean()))
    return {"mean": float(np.mean(accs)), "std": float(np.std(accs)), "min": float(np.min(accs)), "accs": accs}


def _mask(data, name: str, y: np.ndarray) -> np.ndarray | None:
    """Boolean mask ``data.<name>`` restricted to labelled nodes, or None when the graph has none."""
    m = getattr(data, name, None)
    if m is None:
        return None
    m = m.detach().cpu().numpy() if isinstance(m, torch.Tensor) else np.asarray(m)
    return np.asarray(m, dtype=bool).reshape(-1)[: len(y)] & (y >= 0)


def public_split_probe(emb, data, *, C: float | None = None, score_on: str = "test") -> float | None:
    """Accuracy on the Planetoid public split: train on ``train_mask``, score on ``test_mask``
    (``score_on="val"``: on ``val_mask``, the validation protocol).

    ``C=None`` chooses C by 3-fold CV on the train nodes only, so neither val nor test labels touch
    the probe. ``None`` when the graph has no such masks (or no labelled nodes in them).
    """
    if score_on not in ("test", "val"):
        raise ConfigError(f"score_on must be 'test' or 'val' (got {score_on!r}).")
    y = getattr(data, "y", None)
    if y is None:
        return None
    x = _features(emb)
    y = _labels(y, x.shape[0])
    tr, te = _mask(data, "train_mask", y), _mask(data, f"{score_on}_mask", y)
    if tr is None or te is None or tr.sum() == 0 or te.sum() == 0 or len(np.unique(y[tr])) < 2:
        return None
    c = float(C) if C is not None else _pick_C(x[tr], y[tr], 0)
    return float((_fit(x[tr], y[tr], c).predict(x[te]) == y[te]).mean())


def probe_scores(emb, data, protocol: str = "report", *, train_frac: float = 0.1) -> dict:
    """Probe accuracies under one of the two protocols of the module docstring.

    ``data`` is a PyG ``Data`` with ``y`` (and the public masks when it has them). Returns
    ``{"protocol", "split_seeds", "random_mean", "random_std", "random_min", "random_accs", "public"}``;
    ``public`` is the public split's val (validation) or test (report) accuracy, None without masks.
    """
    if protocol not in PROTOCOLS:
        raise ConfigError(f"Unknown probe protocol '{protocol}'. Choose one of: {', '.join(PROTOCOLS)}.")
    x = _features(emb)
    y = _labels(getattr(data, "y", None), x.shape[0]).copy()
    if protocol == "validation":
        seeds, score_on = VALIDATION_SPLIT_SEEDS, "val"
        test = _mask(data, "test_mask", y)
        if test is not None:
            y[test] = -1  # public test nodes never enter a validation score
    else:
        seeds, score_on = REPORT_SPLIT_SEEDS, "test"
    r = linear_probe(x, y, train_frac=train_frac, split_seeds=seeds)
    return {"protocol": protocol, "split_seeds": list(seeds), "random_mean": r["mean"], "random_std": r["std"],
            "random_min": r["min"], "random_accs": r["accs"],
            "public": public_split_probe(x, data, score_on=score_on)}


def knn_accuracy(emb, y, k: int = 10, *, max_points: int | None = None, seed: int = 0) -> float:
    """Leave-one-out kNN accuracy (cosine, majority vote among the k nearest labelled nodes).

    A probe-free check of local structure: high when same-class nodes sit next to each other.
    Ties are broken towards the nearer neighbours. ``max_points`` scores a random subset of labelled
    nodes (neighbours searched within that subset) to bound the O(N^2) cost on big graphs.
    """
    x, yl, _ = _labelled(emb, y)
    if int(k) < 1:
        raise ConfigError(f"kNN accuracy needs k of at least 1 (got {k}).")
    if max_points is not None and len(yl) > int(max_points):
        sel = np.sort(np.random.default_rng(seed).choice(len(yl), int(max_points), replace=False))
        x, yl = x[sel], yl[sel]
    n = len(yl)
    k = min(int(k), n - 1)
    idx, _ = knn(torch.from_numpy(x.astype(np.float32)), k, metric="cosine", exclude_self=True)
    classes, yc = np.unique(yl, return_inverse=True)
    votes = np.zeros((n, len(classes)))
    w = 1.0 + 1e-6 * (k - np.arange(k))  # nearer neighbours win ties
    np.add.at(votes, (np.repeat(np.arange(n), k), yc[idx].ravel()), np.tile(w, n))
    return float((votes.argmax(1) == yc).mean())


def silhouette(emb, y, *, max_points: int = 5000, seed: int = 0) -> float:
    """Cosine silhouette of the label classes (-1..1; higher = classes form tighter, separate groups).

    Computed on a random subsample of at most ``max_points`` labelled nodes (it is O(N^2)).
    ``nan`` when fewer than 2 classes are labelled.
    """
    from sklearn.metrics import silhouette_score

    x = _features(emb)
    y = _labels(y, x.shape[0])
    ids = np.flatnonzero(y >= 0)
    if len(ids) > int(max_points):
        ids = np.sort(np.random.default_rng(seed).choice(ids, int(max_points), replace=False))
    n_cls = len(np.unique(y[ids]))
    if n_cls < 2 or n_cls > len(ids) - 1:
        return float("nan")
    return float(silhouette_score(x[ids].astype(np.float32), y[ids], metric="cosine"))


def cluster(emb, k: int, seed: int = 0) -> np.ndarray:
    """KMeans cluster id per node (int64) on L2-normalised embeddings: colours for unlabelled graphs."""
    from sklearn.cluster import KMeans

    x = _features(emb)
    k = int(k)
    if not 1 <= k <= x.shape[0]:
        raise ConfigError(f"The number of clusters must be between 1 and the number of nodes ({x.shape[0]}); got {k}.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fewer distinct points than clusters, etc.
        labels = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(x)
    return labels.astype(np.int64)


def probe_predictions(emb, y, *, train_frac: float | None = None, seed: int = REPORT_SPLIT_SEEDS[0],
                      C: float | None = None) -> np.ndarray:
    """The probe's predicted class for every node (int64, length N), labelled or not.

    The same probe as the reported accuracy (``evaluate(quick=False)``): trained on the first report
    split (split seed ``REPORT_SPLIT_SEEDS[0]``) with the train fraction ``probe_train_fraction`` gives
    this graph and C chosen by CV on the training nodes, so the colours match the reported metric.
    """
    x_all = _features(emb)
    x, yl, _ = _labelled(x_all, y)
    if train_frac is None:
        train_frac = probe_train_fraction(len(yl), int(len(np.unique(yl))))
    tr, _ = _split(yl, _check_frac(train_frac), seed)
    c = float(C) if C is not None else _pick_C(x[tr], yl[tr], seed)
    return _fit(x[tr], yl[tr], c).predict(x_all).astype(np.int64)


def probe_train_fraction(num_labelled: int, num_classes: int) -> float:
    """10 % of the labelled nodes (the standard protocol), raised on tiny graphs to ~5 nodes per class.

    With 10 % of Zachary's 34 members the probe would learn from 3 nodes and say little; small graphs
    get up to 50 % instead (the fraction is reported with the accuracy).
    """
    if num_labelled <= 0 or num_labelled * 0.1 >= 5 * num_classes:
        return 0.1
    return round(min(0.5, 5 * num_classes / num_labelled), 3)


def evaluate(emb, bundle, quick: bool = True, seed: int = 0) -> dict:
    """All metrics for a labelled graph as plain floats; ``{}`` when it has no (usable) labels.

    ``quick=True`` is cheap enough to run every few epochs during training (~0.1 s on Cora, 2 CPU
    cores): the first 2 report splits with fixed C, kNN on at most 2,000 and silhouette on 1,000
    labelled nodes. ``quick=False`` is the report protocol: the 5 report splits (``REPORT_SPLIT_SEEDS``,
    whatever the training seed) with C chosen by CV, kNN on up to 20,000 nodes, silhouette on 5,000;
    ``seed`` only draws the kNN and silhouette subsamples.
    Keys: linear_probe_acc, linear_probe_std, knn_acc, silhouette, and public_split_acc when the graph
    has train/test masks.
    """
    if bundle is None or not bundle.has_labels:
        return {}
    data = bundle.data
    y = _labels(data.y, as_float_tensor(emb).size(0))
    lab = y[y >= 0]
    if len(np.unique(lab)) < 2 or len(lab) < _MIN_LABELLED:
        return {}
    out: dict = {}
    frac = probe_train_fraction(len(lab), int(len(np.unique(lab))))
    if quick:
        probe = linear_probe(emb, y, train_frac=frac, split_seeds=REPORT_SPLIT_SEEDS[:2], C=QUICK_C)
        knn_pts, sil_pts = 2000, 1000
    else:
        probe = linear_probe(emb, y, train_frac=frac, split_seeds=REPORT_SPLIT_SEEDS)
        knn_pts, sil_pts = 20_000, 5000
    out["linear_probe_acc"] = float(probe["mean"])
    out["linear_probe_std"] = float(probe["std"])
    out["linear_probe_train_frac"] = frac
    out["knn_acc"] = knn_accuracy(emb, y, k=10, max_points=knn_pts, seed=seed)
    out["silhouette"] = silhouette(emb, y, max_points=sil_pts, seed=seed)
    pub = public_split_probe(emb, data, C=QUICK_C if quick else None)
    if pub is not None:
        out["public_split_acc"] = float(pub)
    return out
