"""The probe protocols of ``graphcl_core.evaluation``, for many embedding matrices at once, solved in torch.

Everything that decides *which* nodes a probe learns from and is scored on depends on the labels
only, so it is computed once, on the CPU, with ``evaluation``'s own functions (``_split``, the
stratified 3-fold CV of ``_pick_C`` with its seed, the public masks); the same splits then serve every
trial. Only the regressions move: every (trial, split, fold, C) of a sweep is one problem of one
batched solve (``logreg.fit``) on the embeddings' device. C is chosen exactly as ``_pick_C`` does
(most correct validation predictions summed over the folds, ties to the smaller C).

``linear_probe``, ``probe_scores`` and ``public_split_probe`` take a stack of embeddings ``(T, N, D)``
and return one result per trial, shaped as ``evaluation``'s functions return them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from ..errors import ConfigError
from ..evaluation import (_C_GRID, _MIN_LABELLED, PROTOCOLS, QUICK_C, REPORT_SPLIT_SEEDS, VALIDATION_SPLIT_SEEDS,
                          _check_frac, _labels, _mask, _split)
from . import logreg

# Rows × width of the gathered training rows per solve (bounds memory; trials are solved in chunks).
_MAX_GATHERED = 2**26


@dataclass
class Task:
    """One probe: learn on node ids ``train``, score on ``test``; ``C`` fixed, or None: by CV with ``cv_seed``."""

    train: np.ndarray
    test: np.ndarray
    C: float | None
    cv_seed: int = 0


def unit_rows(embs: torch.Tensor) -> torch.Tensor:
    """Row-wise L2-normalised float64 (T, N, D), as ``evaluation._features`` prepares one matrix."""
    if embs.dim() == 2:
        embs = embs.unsqueeze(0)
    x = embs.detach().double()  # float64 as scikit-learn: nearly tied classes are common on small graphs
    if not bool(torch.isfinite(x).all()):
        raise ConfigError("The embeddings contain NaN or infinite values (training diverged), so they cannot "
                          "be scored. Try a lower learning rate.")
    return torch.nn.functional.normalize(x, dim=-1, eps=1e-12)


def _cv_folds(y: np.ndarray, train: np.ndarray, seed: int) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """``_pick_C``'s folds as node ids ((fit, validate) pairs), or None when it falls back to ``QUICK_C``."""
    yt = y[train]
    _, counts = np.unique(yt, return_counts=True)
    folds = min(3, int(counts.min()))
    if folds < 2:
        return None
    from sklearn.model_selection import StratifiedKFold

    skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return [(train[a], train[b]) for a, b in skf.split(np.zeros((len(yt), 1)), yt) if len(np.unique(yt[a])) >= 2]


def _padded(groups: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Node ids of each group padded to one width (pad id 0) and the mask of real entries."""
    width = max(1, max(len(g) for g in groups))
    ids = np.zeros((len(groups), width), dtype=np.int64)
    mask = np.zeros((len(groups), width), dtype=np.float32)
    for i, g in enumerate(groups):
        ids[i, : len(g)], mask[i, : len(g)] = g, 1.0
    return torch.from_numpy(ids), torch.from_numpy(mask)


def _accuracy(x: torch.Tensor, y: torch.Tensor, fits: list[tuple[np.ndarray, np.ndarray]],
              Cs: torch.Tensor, K: int) -> torch.Tensor:
    """Accuracy (T, F, G) of each fit ``(train ids, test ids)`` for each trial and each C of ``Cs`` (T, F, G)."""
    T, dev = x.size(0), x.device
    tr_ids, tr_mask = (t.to(dev) for t in _padded([f[0] for f in fits]))
    tr_mask = tr_mask.to(x.dtype)
    te_ids, te_mask = (t.to(dev) for t in _padded([f[1] for f in fits]))
    te_mask = te_mask.double()
    chunk = max(1, _MAX_GATHERED // max(1, len(fits) * tr_ids.size(1) * x.size(-1)))
    out = []
    for s in range(0, T, chunk):
        xs = x[s: s + chunk]
        t = xs.size(0)
        rows = xs[:, tr_ids].flatten(0, 1)  # (t·F, n, D)
        probs = logreg.Problems(rows, y[tr_ids].repeat(t, 1), tr_mask.repeat(t, 1),
                                Cs[s: s + chunk].flatten(0, 1), K)
        theta = logreg.fit(probs)
        pred = logreg.predict(probs, theta, xs[:, te_ids].flatten(0, 1))  # (t·F, G, m)
        hit = (pred == y[te_ids].repeat(t, 1).unsqueeze(1)).double() * te_mask.repeat(t, 1).unsqueeze(1)
        acc = hit.sum(-1) / te_mask.sum(-1).clamp(min=1).repeat(t).unsqueeze(1)
        out.append(acc.unflatten(0, (t, len(fits))))
    return torch.cat(out)


def run_tasks(x: torch.Tensor, y: np.ndarray, tasks: Sequence[Task]) -> np.ndarray:
    """Test accuracy (T, len(tasks)) of every task for every trial's unit-norm embeddings ``x`` (T, N, D)."""
    T, dev = x.size(0), x.device
    K = int(y.max()) + 1
    yt = torch.from_numpy(np.where(y >= 0, y, 0)).to(dev)
    chosen = np.zeros((T, len(tasks)))
    cv_fits, owner = [], []
    for j, task in enumerate(tasks):
        folds = _cv_folds(y, task.train, task.cv_seed) if task.C is None else None
        chosen[:, j] = task.C if task.C is not None else QUICK_C
        if folds is not None:
            chosen[:, j] = _C_GRID[0]  # every fold skipped: _pick_C's all-zero scores pick the first C
            cv_fits += folds
            owner += [j] * len(folds)
    if cv_fits:
        grid = torch.tensor(_C_GRID, dtype=x.dtype, device=dev).expand(T, len(cv_fits), -1)
        acc = _accuracy(x, yt, cv_fits, grid, K).cpu().numpy()  # (T, F, G)
        scores = np.zeros((T, len(tasks), len(_C_GRID)))
        np.add.at(scores, (slice(None), np.array(owner)), acc)
        for j in sorted(set(owner)):
            chosen[:, j] = np.asarray(_C_GRID)[scores[:, j].argmax(-1)]
    finals = [(t.train, t.test) for t in tasks]
    Cs = torch.tensor(chosen, dtype=x.dtype, device=dev).unsqueeze(-1)
    return _accuracy(x, yt, finals, Cs, K)[..., 0].cpu().numpy()


def _labelled_ids(y: np.ndarray) -> np.ndarray:
    ids = np.flatnonzero(y >= 0)
    if len(np.unique(y[ids])) < 2:
        raise ConfigError(f"Scoring needs labels from at least 2 classes; this graph has {len(np.unique(y[ids]))}.")
    if len(ids) < _MIN_LABELLED:
        raise ConfigError(f"Only {len(ids)} nodes have labels; scoring needs at least {_MIN_LABELLED}.")
    return ids


def split_tasks(y: np.ndarray, train_frac: float, split_seeds: Sequence[int], C: float | None) -> list[Task]:
    """``evaluation.linear_probe``'s splits over the labelled nodes of ``y``, as tasks."""
    frac = _check_frac(train_frac)
    ids = _labelled_ids(y)
    tasks = []
    for s in split_seeds:
        tr, te = _split(y[ids], frac, int(s))
        tasks.append(Task(ids[tr], ids[te], C, int(s)))
    return tasks


def public_task(data, y: np.ndarray, score_on: str = "test", C: float | None = None) -> Task | None:
    """``evaluation.public_split_probe``'s task (train_mask → test or val mask), None without masks."""
    tr, te = _mask(data, "train_mask", y), _mask(data, f"{score_on}_mask", y)
    if tr is None or te is None or tr.sum() == 0 or te.sum() == 0 or len(np.unique(y[tr])) < 2:
        return None
    return Task(np.flatnonzero(tr), np.flatnonzero(te), C, 0)


def linear_probe(embs: torch.Tensor, y, *, train_frac: float = 0.1, split_seeds: Sequence[int] = REPORT_SPLIT_SEEDS,
                 C: float | None = None) -> list[dict]:
    """``evaluation.linear_probe`` for each of ``embs`` (T, N, D): ``[{"mean", "std", "min", "accs"}, ...]``."""
    x = unit_rows(embs)
    yl = _labels(y, x.size(1))
    accs = run_tasks(x, yl, split_tasks(yl, train_frac, split_seeds, C))
    return [_summary(a) for a in accs]


def probe_scores(embs: torch.Tensor, data, protocol: str = "report", *, train_frac: float = 0.1) -> list[dict]:
    """``evaluation.probe_scores`` for each of ``embs`` (T, N, D)."""
    if protocol not in PROTOCOLS:
        raise ConfigError(f"Unknown probe protocol '{protocol}'. Choose one of: {', '.join(PROTOCOLS)}.")
    x = unit_rows(embs)
    y = _labels(getattr(data, "y", None), x.size(1))
    tasks, seeds, pub = protocol_tasks(y, data, protocol, train_frac, C=None)
    accs = run_tasks(x, y, tasks + ([pub] if pub else []))
    out = []
    for a in accs:
        r = _summary(a[: len(seeds)])
        out.append({"protocol": protocol, "split_seeds": list(seeds), "random_mean": r["mean"],
                    "random_std": r["std"], "random_min": r["min"], "random_accs": r["accs"],
                    "public": float(a[-1]) if pub else None})
    return out


def protocol_tasks(y: np.ndarray, data, protocol: str, train_frac: float, C: float | None,
                   seeds: Sequence[int] | None = None) -> tuple[list[Task], Sequence[int], Task | None]:
    """The random-split tasks and the public task of a protocol (validation hides the public test nodes)."""
    y = y.copy()
    if protocol == "validation":
        seeds, score_on = seeds or VALIDATION_SPLIT_SEEDS, "val"
        test = _mask(data, "test_mask", y)
        if test is not None:
            y[test] = -1
    else:
        seeds, score_on = seeds or REPORT_SPLIT_SEEDS, "test"
    return split_tasks(y, train_frac, seeds, C), seeds, public_task(data, _labels(data.y, len(y)), score_on, C)


def _summary(accs: np.ndarray) -> dict:
    a = [float(v) for v in accs]
    return {"mean": float(np.mean(a)), "std": float(np.std(a)), "min": float(np.min(a)), "accs": a}
