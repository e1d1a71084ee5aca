"""The torch probe (``graphcl_core.probe_torch``) against scikit-learn's (``graphcl_core.evaluation``)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from graphcl_core import evaluation as E
from graphcl_core import probe_torch as P
from graphcl_core.config import TrainConfig
from graphcl_core.loaders import load_graph
from graphcl_core.probe_torch import logreg
from graphcl_core.trainer import Trainer

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def karate_embs():
    """Two karate embeddings after a few epochs (different seeds), stacked (2, 34, D)."""
    bundle = load_graph("karate")
    embs = []
    for seed in (0, 1):
        t = Trainer(bundle, TrainConfig(epochs=15, device="cpu", eval_every=0, hidden=16, embedding_dim=8, seed=seed))
        t.run()
        embs.append(t.embeddings())
    return bundle, torch.stack(embs)


@pytest.mark.parametrize("classes", [2, 4])
def test_batched_lbfgs_finds_scikit_learns_weights(classes):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 60, 6))
    x /= np.linalg.norm(x, axis=-1, keepdims=True)
    y = (x @ rng.normal(size=(6, classes)) * 3 + rng.normal(size=(2, 60, classes))).argmax(-1)
    Cs = [0.5, 8.0]
    probs = logreg.Problems(torch.tensor(x), torch.tensor(y), torch.ones(2, 60, dtype=torch.float64),
                            torch.tensor([Cs, Cs], dtype=torch.float64), classes)
    theta = logreg.fit(probs, max_iter=2000, tol=1e-8)  # tight, to compare the optimum itself
    W, b = probs.split(theta)
    for s in range(2):
        for g, C in enumerate(Cs):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                clf = LogisticRegression(C=C, max_iter=1000, tol=1e-6).fit(x[s], y[s])
            ref = clf.decision_function(x[s])
            ours = (torch.tensor(x[s]) @ W[s, g] + b[s, g]).numpy()
            if classes == 2:  # scikit-learn's binomial score is the difference of the two softmax scores
                ours = ours[:, 1] - ours[:, 0]
            else:  # softmax scores are defined up to a constant per row
                ours, ref = ours - ours.mean(1, keepdims=True), ref - ref.mean(1, keepdims=True)
            assert np.abs(ours - ref).max() < 2e-3


def _two_loop(g, pairs):
    """The textbook L-BFGS two-loop recursion (Nocedal & Wright, Algorithm 7.4), pairs oldest first; a pair
    with sᵀy ≤ 1e-10 is skipped; γ from the newest pair (1 when it was skipped)."""
    q, alphas = g.clone(), []
    for s, y in reversed(pairs):
        sy = float(s @ y)
        a = (s @ q) / sy if sy > 1e-10 else 0.0
        q = q - a * y
        alphas.append((a, s, y, sy))
    s, y = pairs[-1]
    gamma = float(s @ y) / float(y @ y) if float(s @ y) > 1e-10 else 1.0
    r = gamma * q
    for a, s, y, sy in reversed(alphas):
        b = (y @ r) / sy if sy > 1e-10 else 0.0
        r = r + (a - b) * s
    return r


@pytest.mark.parametrize("made", [1, 4, 10, 13])
def test_the_compact_inverse_hessian_product_is_the_two_loop_recursions(made):
    """``_Solver`` keeps pairs in a ring, their inner products updated pair by pair, and uses the compact
    form; it must give the recursion's direction whichever slot holds the newest pair, with unused slots
    and flat pairs (sᵀy ≤ 1e-10) left out."""
    gen = torch.Generator().manual_seed(made)
    x = torch.randn(3, 20, 4, dtype=torch.float64, generator=gen)
    probs = logreg.Problems(x, torch.randint(0, 3, (3, 20), generator=gen), torch.ones(3, 20, dtype=torch.float64),
                            torch.ones(3, 2, dtype=torch.float64), 3)
    solver = logreg._Solver(probs, 1e-4)
    P_ = solver.g.size(-1)
    made_pairs = []
    for k in range(made):
        s = torch.randn(6, P_, dtype=torch.float64, generator=gen)
        y = s * (0.5 + torch.rand(6, P_, dtype=torch.float64, generator=gen))  # sᵀy > 0
        if k % 5 == 2:
            y[1] = -y[1]  # a flat pair for one problem: left out there
        solver._store_pair(s.view(3, 2, P_), y.view(3, 2, P_))
        solver._inverse_hessian_times(torch.randn(3, 2, P_, dtype=torch.float64, generator=gen))  # as propose does
        made_pairs.append((s, y))
    g = torch.randn(3, 2, P_, dtype=torch.float64, generator=gen)
    got = solver._inverse_hessian_times(g).reshape(6, P_)
    kept = made_pairs[-logreg.HISTORY:]
    for b in range(6):
        want = _two_loop(g.reshape(6, P_)[b], [(s[b], y[b]) for s, y in kept])
        assert torch.allclose(got[b], want, rtol=1e-9, atol=1e-9)


def _spread_problems(seed: int = 0) -> "logreg.Problems":
    """Slots whose problems need very different iteration counts (a grid of C from 0.01 to 1e4)."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.nn.functional.normalize(torch.randn(12, 40, 5, dtype=torch.float64, generator=gen), dim=-1)
    y = (x @ torch.randn(5, 3, dtype=torch.float64, generator=gen) * 4).argmax(-1)
    Cs = torch.tensor([0.01, 1.0, 100.0, 1e4], dtype=torch.float64).expand(12, -1)
    return logreg.Problems(x, y, torch.ones(12, 40, dtype=torch.float64), Cs, 3)


def test_dropping_solved_problems_leaves_every_solution_as_it_was(monkeypatch):
    """Compaction (``_Solver.subset``) only stops computing problems that are done: the remaining ones take
    the same iterations, so every theta equals the uncompacted solve's, and the batch did shrink."""
    probs = _spread_problems()
    monkeypatch.setattr(logreg, "COMPACT_EVERY", 10**9)
    whole = logreg.fit(probs, graphs=False)
    sizes = []
    subset = logreg._Solver.subset

    def recorded(self, rows, cols):
        sizes.append((rows.numel(), cols.numel()))
        return subset(self, rows, cols)

    monkeypatch.setattr(logreg._Solver, "subset", recorded)
    monkeypatch.setattr(logreg, "COMPACT_EVERY", 4)
    compacted = logreg.fit(probs, graphs=False)
    assert sizes and sizes[-1][0] * sizes[-1][1] < 12 * 4 * logreg.COMPACT_BELOW  # it did drop problems
    assert any(c < 4 for _, c in sizes)  # whole columns of C (the small ones finish first)
    assert torch.allclose(compacted, whole, rtol=0, atol=1e-12)


def test_a_step_that_overshoots_is_cut_to_the_quadratics_minimiser():
    """Backtracking: where ``f(t)`` is far above the line ``f(0) + slope·t``, the next step is the minimiser of
    the quadratic through them (when within [t/10, t/2]), else the nearer end of that range."""
    solver = logreg._Solver(_spread_problems(), 1e-4)
    t = torch.tensor([1.0, 1.0, 1.0], dtype=torch.float64)
    solver.t, solver.f, solver.slope = t, torch.zeros(3, dtype=torch.float64), torch.full((3,), -1.0, dtype=torch.float64)
    # f(t) = -t + a t² for a = 2 (minimiser 0.25), a = 0.6 (0.83: cut to 0.5), a = 100 (0.005: raised to 0.1)
    solver.new_f = torch.tensor([-1.0 + 2.0, -1.0 + 0.6, -1.0 + 100.0], dtype=torch.float64)
    assert solver._backtracked().tolist() == pytest.approx([0.25, 0.5, 0.1])
    solver.new_f = torch.tensor([float("inf"), float("nan"), 5.0], dtype=torch.float64)
    assert solver._backtracked().tolist()[:2] == [0.1, 0.5]  # an overflow: the largest cut; no quadratic: half


def test_linear_probe_equals_scikit_learn_split_by_split(karate_embs):
    """A fixed C: the same accuracy on every split. C by CV: karate's folds validate on 3-4 nodes, so a fold
    fit's borderline node (where the two solvers' tolerances differ) can tip the choice; at most one test
    node per split then differs."""
    bundle, embs = karate_embs
    y = E._labels(bundle.data.y, bundle.num_nodes)
    frac = E.probe_train_fraction(int((y >= 0).sum()), bundle.num_classes)
    test_nodes = int((y >= 0).sum()) - round(frac * int((y >= 0).sum()))
    for C in (0.25, 4.0, 64.0, None):
        ours = P.linear_probe(embs, y, train_frac=frac, split_seeds=(0, 1, 2), C=C)
        for emb, got in zip(embs, ours):
            want = E.linear_probe(emb, y, train_frac=frac, split_seeds=(0, 1, 2), C=C)
            tol = 1e-9 if C is not None else 1.0 / test_nodes + 1e-9
            assert got["accs"] == pytest.approx(want["accs"], abs=tol), C


def test_evaluate_matches_keys_and_values(karate_embs):
    bundle, embs = karate_embs
    for quick in (True, False):
        ours, extra = P.evaluate(embs, bundle, quick=quick, seed=0)
        assert extra is None
        for emb, got in zip(embs, ours):
            want = E.evaluate(emb, bundle, quick=quick, seed=0)
            assert set(got) == set(want)
            for k in ("knn_acc", "silhouette", "linear_probe_train_frac"):
                assert got[k] == pytest.approx(want[k], abs=1e-4), k
            tol = 1e-9 if quick else 0.05  # full: C by CV on karate's tiny folds (see above)
            assert got["linear_probe_acc"] == pytest.approx(want["linear_probe_acc"], abs=tol)


def test_probe_scores_validation_protocol_and_bad_input(planetoid_dir):
    from graphcl_core.loaders import load_planetoid

    bundle = load_planetoid("Cora", data_dir=planetoid_dir)
    g = torch.Generator().manual_seed(0)
    emb = bundle.data.x @ torch.randn(bundle.data.x.size(1), 32, generator=g)  # a random projection: ~60 %
    [ours] = P.probe_scores(emb, bundle.data, "validation")
    want = E.probe_scores(emb, bundle.data, "validation")
    assert ours["split_seeds"] == want["split_seeds"]
    assert abs(ours["random_mean"] - want["random_mean"]) < 0.01
    assert abs(ours["public"] - want["public"]) < 0.01
    with pytest.raises(E.ConfigError, match="NaN"):
        P.linear_probe(torch.full((1, 34, 4), float("nan")), load_graph("karate").data.y)


def test_a_gpu_runs_final_scores_come_from_the_torch_probe(monkeypatch):
    """``Trainer.evaluate`` on a CUDA run uses ``probe_torch`` (here on the CPU, the trainer told it is a GPU
    run); with ``torch_probe`` off, scikit-learn's. Both agree within the probe's tolerance."""
    from graphcl_core import options

    bundle = load_graph("karate")
    t = Trainer(bundle, TrainConfig(epochs=15, device="cpu", eval_every=0, hidden=16, embedding_dim=8))
    t.run()
    want = E.evaluate(t.embeddings(), bundle, quick=False, seed=0)
    calls = []
    real = P.evaluate
    monkeypatch.setattr(P, "evaluate", lambda *a, **k: calls.append(1) or real(*a, **k))
    t.device = torch.device("cuda")
    got = t.evaluate(quick=False)
    assert calls == [1] and sorted(got) == sorted(want)
    assert got["knn_acc"] == pytest.approx(want["knn_acc"]) and got["silhouette"] == pytest.approx(want["silhouette"])
    assert abs(got["linear_probe_acc"] - want["linear_probe_acc"]) <= 0.05  # karate: 3-4 node CV folds
    t.options = options.current().with_(torch_probe=False)
    assert t.evaluate(quick=False) == want and calls == [1]

    def full(*a, **k):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory")

    monkeypatch.setattr(P, "evaluate", full)  # a full GPU: scikit-learn's scores instead, not a failed run
    t.options = options.current()
    assert t.evaluate(quick=False) == want
