"""``graphcl_core.batched``: many trials in one model learn what each would learn alone."""

from __future__ import annotations

import pytest
import torch

from graphcl_core.batched import BatchedTrainer, StackedAdam, batch_key, group_trials, unsupported
from graphcl_core.config import TrainConfig
from graphcl_core.errors import ConfigError
from graphcl_core.loaders import load_graph
from graphcl_core.trainer import Trainer

pytestmark = pytest.mark.timeout(300)
BASE = TrainConfig(epochs=12, device="cpu", eval_every=0, hidden=16, embedding_dim=8)


def _alone(bundle, cfg):
    t = Trainer(bundle, cfg)
    t.run()
    return [r["loss"] for r in t.history], t.embeddings(), t.model.state_dict()


def _each_learns_as_alone(bundle, bt, configs, epochs, rel=None):
    """Train ``bt`` ``epochs`` epochs; every trial's losses and embeddings are those of its own run."""
    bt.run(epochs)
    emb = bt.embeddings()
    for t, cfg in enumerate(configs):
        losses, alone, _ = _alone(bundle, cfg)
        assert [r["loss"] for r in bt.history[t]] == pytest.approx(losses, abs=1e-5, rel=rel)
        assert torch.allclose(emb[t], alone, atol=1e-4)


@pytest.mark.parametrize("graph", ["karate", "communities"])
def test_one_trial_follows_the_trainer_loss_by_loss(graph):
    bundle = load_graph(graph)
    losses, emb, state = _alone(bundle, BASE)
    bt = BatchedTrainer(bundle, [BASE])
    bt.run(BASE.epochs)
    assert [r["epoch"] for r in bt.history[0]] == list(range(1, BASE.epochs + 1))
    assert [r["loss"] for r in bt.history[0]] == pytest.approx(losses, abs=1e-5)
    assert torch.allclose(bt.embeddings()[0], emb, atol=1e-4)
    ours = bt.model.state_dict(0)
    assert sorted(ours) == sorted(state)  # saved weights load into the single model
    assert all(torch.allclose(ours[k], state[k], atol=1e-4) for k in state)


def test_several_trials_each_behave_like_their_own_run():
    bundle = load_graph("karate")
    configs = [BASE.replace(lr=1e-3, margin=1.0, seed=0),
               BASE.replace(lr=1e-2, margin=2.5, seed=3, drop_edge_p=0.0, weight_decay=1e-3),
               BASE.replace(lr=5e-3, margin=0.5, seed=7, mask_feature_p=0.0)]
    bt = BatchedTrainer(bundle, configs)
    _each_learns_as_alone(bundle, bt, configs, BASE.epochs)
    assert len(bt.snapshots[0]) >= 2 and bt.snapshots[0][0].epoch == 0
    assert bt.snapshots[0][-1].epoch == BASE.epochs


@pytest.mark.parametrize("masks", ["some trials", "none"])
def test_sparse_features_give_every_trial_and_view_its_own_first_layer(masks):
    """The block-sparse first layer (``batched.block_features``): each view's feature mask in the matrix's
    values, each trial's weights in its own columns; without masks the views share one product."""
    import dataclasses

    from graphcl_core import options

    bundle = load_graph("karate")  # 15 feature columns: wider than the first layer's 8
    p, base = (0.3 if masks == "some trials" else 0.0), BASE.replace(hidden=8, embedding_dim=4)
    configs = [base.replace(lr=1e-2, seed=0, mask_feature_p=p), base.replace(lr=3e-3, seed=5, mask_feature_p=0.0),
               base.replace(lr=5e-3, seed=2, mask_feature_p=p / 2, margin=0.5)]
    bt = BatchedTrainer(bundle, configs, options=dataclasses.replace(options.current(), sparse_features="on"))
    assert bt.inputs.sparse is not None
    _each_learns_as_alone(bundle, bt, configs, base.epochs)


@pytest.mark.parametrize("pairs", ["views", "edges"])
def test_a_step_that_takes_a_subset_of_the_positives_still_matches(monkeypatch, pairs):
    """Above MAX_POSITIVES a step draws a random subset of the positives (generate_pairs' cap)."""
    import graphcl_core.batched.draws as draws
    import graphcl_core.batched.trainer as batched_trainer
    import graphcl_core.engine.base as base

    for module in (draws, batched_trainer, base):
        monkeypatch.setattr(module, "MAX_POSITIVES", 20)
    bundle = load_graph("karate")
    configs = [BASE.replace(pairs=pairs, seed=s, lr=lr) for s, lr in ((0, 1e-2), (4, 3e-3))]
    bt = BatchedTrainer(bundle, configs)
    assert bt.draws.capped
    bt.run(BASE.epochs)
    for t, cfg in enumerate(configs):
        losses, _, _ = _alone(bundle, cfg)
        assert [r["loss"] for r in bt.history[t]] == pytest.approx(losses, abs=1e-5)


def test_hadsell_edges_adamw_and_gcn_batch_too():
    bundle = load_graph("karate")
    base = BASE.replace(loss="hadsell", pairs="edges", optimizer="adamw", encoder="gcn", layers=3,
                        activation="prelu", projection_head=True)
    configs = [base.replace(margin=1.0, seed=1), base.replace(margin=2.0, lr=1e-3, seed=2)]
    bt = BatchedTrainer(bundle, configs)
    bt.run(base.epochs)
    for t, cfg in enumerate(configs):
        losses, _, _ = _alone(bundle, cfg)
        assert [r["loss"] for r in bt.history[t]] == pytest.approx(losses, abs=1e-5)


@pytest.mark.parametrize("fused", [False, True])
def test_stacked_adam_is_torch_adam_per_trial(fused):
    torch.manual_seed(0)
    p0 = torch.randn(3, 4, 5)
    grads = [torch.randn(3, 4, 5) for _ in range(4)]
    lrs, wds = [1e-3, 1e-2, 1e-3], [0.0, 1e-2, 0.0]  # trials 0 and 2 share one fused call
    for decoupled, cls in ((False, torch.optim.Adam), (True, torch.optim.AdamW)):
        stacked = p0.clone().requires_grad_()
        opt = StackedAdam([stacked], torch.tensor(lrs), torch.tensor(wds), decoupled=decoupled, fused=fused)
        assert opt.fused == fused and (not fused or len(opt.groups) == 2)
        singles = [p0[t].clone().requires_grad_() for t in range(3)]
        refs = [cls([singles[t]], lr=lrs[t], weight_decay=wds[t]) for t in range(3)]
        for g in grads:
            stacked.grad = g.clone()
            opt.step()
            for t in range(3):
                singles[t].grad = g[t].clone()
                refs[t].step()
        assert torch.allclose(stacked.detach(), torch.stack([s.detach() for s in singles]), atol=1e-6)


def test_grouping_says_who_batches_and_why_not():
    base = TrainConfig()
    configs = [base.replace(hidden=64, lr=1e-3), base.replace(hidden=128), base.replace(hidden=64, margin=1.0),
               base.replace(encoder="sage"), base.replace(loss="infonce"), base.replace(hidden=64, seed=5)]
    groups, alone = group_trials(configs)
    assert groups == [[0, 2, 5], [1]]
    assert set(alone) == {3, 4} and "sage" in alone[3] and "infonce" in alone[4]
    assert group_trials(configs, max_batch=2)[0] == [[0, 2], [5], [1]]
    assert batch_key(base.replace(lr=0.1, seed=3)) == batch_key(base)
    assert unsupported(base.replace(dropout=0.2)) and unsupported(base) is None
    with pytest.raises(ConfigError, match="cannot train in one batch"):
        BatchedTrainer(load_graph("karate"), [base.replace(device="cpu"), base.replace(device="cpu", hidden=8)])


def test_a_diverging_trial_fails_alone(monkeypatch):
    bundle = load_graph("karate")
    configs = [BASE.replace(seed=s) for s in range(3)]
    bt = BatchedTrainer(bundle, configs)
    real = BatchedTrainer.losses

    def poisoned(self):
        out = real(self)
        return out + (torch.tensor([0.0, float("nan"), 0.0]) if self.epoch >= 4 else 0.0)

    monkeypatch.setattr(BatchedTrainer, "losses", poisoned)
    bt.run(BASE.epochs)
    assert set(bt.failed) == {1} and "epoch 5" in bt.failed[1] and "learning rate" in bt.failed[1]
    assert len(bt.history[0]) == BASE.epochs and bt.history[1][-1]["epoch"] == 5
    assert torch.isfinite(bt.embeddings()[[0, 2]]).all()


def test_reads_that_do_not_wait_lose_and_reorder_nothing():
    """``flush(wait=False)`` (a sweep's progress reports) takes in what has arrived; the closing ``flush()``
    the rest: the same history and snapshots as reading back with waits."""
    bundle = load_graph("karate")
    configs = [BASE.replace(lr=1e-3, snapshot_every=3), BASE.replace(lr=1e-2, margin=2.5, snapshot_every=3)]
    waited, queued = BatchedTrainer(bundle, configs), BatchedTrainer(bundle, configs)
    waited.run(BASE.epochs)
    queued.take_snapshot()
    while queued.epoch < BASE.epochs:
        queued.step()
        if queued.epoch % 3 == 0:
            queued.take_snapshot()
        queued.flush(wait=False)
        assert [r["epoch"] for r in queued.history[0]] == list(range(1, len(queued.history[0]) + 1))
    queued.flush()
    for t in range(2):
        assert [r["epoch"] for r in queued.history[t]] == list(range(1, BASE.epochs + 1))
        assert [r["loss"] for r in queued.history[t]] == pytest.approx([r["loss"] for r in waited.history[t]])
        assert [s.epoch for s in queued.snapshots[t]] == [s.epoch for s in waited.snapshots[t]]


@pytest.mark.parametrize("arch", [
    dict(),  # GraphConv, ELU… the default recipe's shape
    dict(encoder="gcn", layers=3, activation="prelu", projection_head=True, loss="hadsell", optimizer="adamw"),
])
@pytest.mark.parametrize("features", ["sparse", "dense"])
@pytest.mark.parametrize("propagation", ["auto", "csr"])  # csr: the layers accumulate into their products
def test_trials_of_one_seed_share_their_draws_and_still_learn_as_alone(arch, features, propagation):
    """A sweep over margin / learning rate / weight decay: every trial would draw the same views and negatives,
    so the batch draws them once and runs the trials side by side in each node's row (``embed_shared``).
    Each trial still learns exactly what it learns alone."""
    import dataclasses

    from graphcl_core import options
    from graphcl_core.batched.trainer import shares_draws

    bundle = load_graph("karate")
    base = BASE.replace(hidden=8, embedding_dim=4, mask_feature_p=0.3, drop_edge_p=0.2, **arch)
    configs = [base.replace(lr=1e-2, margin=1.0), base.replace(lr=3e-3, margin=2.5, weight_decay=1e-3),
               base.replace(lr=5e-3, margin=0.5)]
    assert shares_draws(configs, bundle.num_nodes)
    assert not shares_draws(configs[:2] + [configs[2].replace(seed=9)], bundle.num_nodes)
    assert not shares_draws(configs[:2] + [configs[2].replace(drop_edge_p=0.1)], bundle.num_nodes)
    opts = dataclasses.replace(options.current(), sparse_features="on" if features == "sparse" else "off",
                               propagation=propagation)
    shared = BatchedTrainer(bundle, configs, options=opts)
    assert shared.shared and (shared.inputs.sparse is not None) == (features == "sparse")
    with pytest.raises(ConfigError, match="same seed"):  # another seed would draw other views
        BatchedTrainer(bundle, configs[:2] + [configs[2].replace(seed=9)], options=opts, share_draws=True)
    assert BatchedTrainer(bundle, configs[:1], options=opts, share_draws=True).shared  # one trial may
    apart = BatchedTrainer(bundle, configs, options=opts, share_draws=False)
    assert not apart.shared
    apart.run(base.epochs)
    _each_learns_as_alone(bundle, shared, configs, base.epochs, rel=1e-5)  # (other sums: other roundings)
    assert torch.allclose(shared.embeddings(), apart.embeddings(), atol=1e-4)
    assert [len(s) for s in shared.snapshots] == [len(s) for s in apart.snapshots]
    assert all(torch.allclose(torch.as_tensor(a.embeddings).float(), torch.as_tensor(b.embeddings).float(), atol=2e-3)
               for sa, sb in zip(shared.snapshots, apart.snapshots) for a, b in zip(sa, sb))
