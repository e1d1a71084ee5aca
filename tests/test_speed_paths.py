"""Fast paths: cached-adjacency propagation equals the PyG layers; the fast trainer equals the reference one."""

import pytest
import torch

from graphcl_core.config import TrainConfig
from graphcl_core.fast import fast_enabled, graphed_step
from graphcl_core.fast.losses import infonce_fast
from graphcl_core.fast.propagation import CachedAdjacency, conv_forward
from graphcl_core.fast.sparse_features import SparseFeatures, sparse_features_wanted
from graphcl_core.graph import GraphBundle
from graphcl_core.losses import infonce_loss
from graphcl_core.models.convs import make_conv
from graphcl_core.options import RuntimeOptions
from graphcl_core.trainer import Trainer

SMALL = dict(hidden=16, embedding_dim=8, epochs=4, eval_every=0, device="cpu")
CUDA = torch.cuda.is_available()


def _reference_weights(kind, ei, n, w):
    """What the reference trainer hands the PyG layer (GraphConv: pre-normalised weights)."""
    if kind == "graphconv":
        deg = torch.zeros(n).index_add_(0, ei[0], w)
        inv = deg.clamp(min=1e-12).rsqrt()
        return w * inv[ei[0]] * inv[ei[1]]
    return w


def _shuffled_edges(tiny_graph):
    ei = tiny_graph.data.edge_index
    perm = torch.randperm(ei.size(1), generator=torch.Generator().manual_seed(1))
    return ei[:, perm]  # the fast path must not rely on sorted edges


@pytest.mark.parametrize("kind", ["graphconv", "gcn"])
@pytest.mark.parametrize("kernel", ["gather", "csr"])
@pytest.mark.parametrize("dropped", [False, True])
@pytest.mark.parametrize("dims", [(8, 16), (16, 4)])  # propagate input first / transform first
def test_fast_propagation_matches_pyg_forward_and_grad(tiny_graph, kind, kernel, dropped, dims):
    torch.manual_seed(0)
    ei = _shuffled_edges(tiny_graph)
    n = tiny_graph.num_nodes
    w = torch.ones(ei.size(1))
    if dropped:
        from graphcl_core.augment.views import drop_edge_mask, undirected_pair_ids

        pid, npairs = undirected_pair_ids(ei, n)
        w = w * drop_edge_mask(pid, npairs, 0.4, torch.Generator().manual_seed(2))
        assert (w == 0).any()
    conv = make_conv(kind, *dims)
    with torch.no_grad():
        for p in conv.parameters():
            p.add_(torch.randn_like(p) * 0.1)  # non-zero biases too
    x = torch.randn(n, dims[0], requires_grad=True)

    ref = conv(x, ei, _reference_weights(kind, ei, n, w))
    g = torch.randn_like(ref)
    gx_ref, *gp_ref = torch.autograd.grad((ref * g).sum(), [x, *conv.parameters()])

    adj = CachedAdjacency(ei, n, kind, kernel=kernel)
    out = conv_forward(kind, conv, x, adj.view(w))
    gx, *gp = torch.autograd.grad((out * g).sum(), [x, *conv.parameters()])

    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(gx, gx_ref, rtol=1e-5, atol=1e-5)
    for a, b in zip(gp, gp_ref):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_infonce_fast_matches_reference():
    torch.manual_seed(0)
    z1 = torch.randn(50, 8, requires_grad=True)
    z2 = torch.randn(50, 8, requires_grad=True)
    a = infonce_loss(z1, z2, 0.5)
    b = infonce_fast(z1, z2, 0.5)
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    ga = torch.autograd.grad(a, [z1, z2])
    gb = torch.autograd.grad(b, [z1, z2])
    for u, v in zip(ga, gb):
        torch.testing.assert_close(u, v, rtol=1e-4, atol=1e-6)
    # subsampled: same draw with the same generator
    a = infonce_loss(z1, z2, 0.5, max_nodes=20, generator=torch.Generator().manual_seed(3))
    b = infonce_fast(z1, z2, 0.5, max_nodes=20, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def _losses(bundle, cfg, fast, steps=6):
    t = Trainer(bundle, cfg, fast=fast)
    for _ in range(steps):
        t.step()
    t.flush_losses()
    return t, [r["loss"] for r in t.history]


@pytest.mark.parametrize("cfg", [
    dict(),
    dict(encoder="gcn"),
    dict(loss="infonce", encoder="gcn", tau=0.5),
    dict(pairs="edges", layers=3, projection_head=True),
    dict(loss="triplet", dropout=0.0),
    dict(encoder="sage"),  # no fast propagation: PyG path, must be identical
])
def test_fast_trainer_matches_reference_on_cpu(tiny_graph, cfg, monkeypatch):
    monkeypatch.setenv("GRAPHCL_PROPAGATION", "gather")
    c = TrainConfig(**{**SMALL, **cfg})
    t_fast, fast = _losses(tiny_graph, c, True)
    t_ref, ref = _losses(tiny_graph, c, False)
    assert t_ref.fast_info["propagation"] == "pyg"
    if c.encoder in ("graphconv", "gcn"):
        assert t_fast.fast_info["propagation"] == "gather"
    assert fast == pytest.approx(ref, rel=1e-4, abs=1e-5)
    torch.testing.assert_close(t_fast.embeddings(), t_ref.embeddings(), rtol=1e-4, atol=1e-5)
    assert list(t_fast.model.state_dict()) == list(t_ref.model.state_dict())
    for k, v in t_fast.model.state_dict().items():
        torch.testing.assert_close(v, t_ref.model.state_dict()[k], rtol=1e-4, atol=1e-5)


def test_csr_kernel_trainer_matches_reference(tiny_graph, monkeypatch):
    monkeypatch.setenv("GRAPHCL_PROPAGATION", "csr")
    c = TrainConfig(**SMALL)
    t_fast, fast = _losses(tiny_graph, c, True)
    assert t_fast.fast_info["propagation"] == "csr"
    _, ref = _losses(tiny_graph, c, False)
    assert fast == pytest.approx(ref, rel=1e-4, abs=1e-5)


def test_gcn_with_self_loops_falls_back_to_pyg(tiny_graph):
    ei = tiny_graph.data.edge_index
    loops = torch.arange(3).repeat(2, 1)
    tiny_graph.data.edge_index = torch.cat([ei, loops], 1)
    t = Trainer(tiny_graph, TrainConfig(encoder="gcn", **SMALL))
    assert t.fast_info["propagation"].startswith("pyg")
    t.step()


def test_fast_flag_and_environment(monkeypatch):
    monkeypatch.setenv("GRAPHCL_FAST", "0")
    assert not fast_enabled()
    assert fast_enabled(True)
    monkeypatch.setenv("GRAPHCL_FAST", "1")
    assert fast_enabled() and not fast_enabled(False)


def test_cuda_graph_is_off_on_cpu_with_a_reason(tiny_graph):
    t = Trainer(tiny_graph, TrainConfig(**SMALL))
    assert t.fast_info["cuda_graph"].startswith("off") and "CUDA" in t.fast_info["cuda_graph"]
    t.run()
    assert t.engine.name == "fast" and t.epoch == 4


def test_capture_failure_falls_back_to_eager(tiny_graph, monkeypatch):
    """Pretend capture is possible (CPU): warm-up steps, a failing capture, then eager — same losses."""
    calls = []

    def broken_capture(*a, **k):
        calls.append(1)
        raise RuntimeError("operation not permitted when stream is capturing")

    c = TrainConfig(**{**SMALL, "epochs": 8})
    _, ref = _losses(tiny_graph, c, True, steps=8)
    monkeypatch.setattr("graphcl_core.engine.graphed.capture_step", broken_capture)
    monkeypatch.setattr("graphcl_core.engine.select.graph_blocker", lambda *a: None)
    t = Trainer(tiny_graph, c, options=RuntimeOptions(batch_views="off"))
    assert t.engine.name == "graphed" and t.fast_info["cuda_graph"].startswith("pending")
    t.run()
    assert calls == [1] and t.epoch == 8
    assert t.fast_info["cuda_graph"].startswith("off: capture failed (RuntimeError")
    assert [r["loss"] for r in t.history] == pytest.approx(ref, rel=1e-6)


def test_ring_buffer_losses_are_views_of_their_slots_until_overwritten():
    ring = torch.zeros(3)

    class FakeGraph:  # each replay writes the next number into the next slot, as the captured step does
        count = 0

        def replay(self):
            ring[self.count % 3] = self.count
            self.count += 1

    gs = graphed_step.GraphedStep(FakeGraph(), None, ring, torch.zeros(1, dtype=torch.long))
    losses = [gs.replay() for _ in range(4)]
    assert [float(v) for v in losses[1:]] == [1.0, 2.0, 3.0]  # a ring of 3 keeps the last 3
    assert float(losses[0]) == 3.0  # overwritten: the trainer reads every loss_sync_every = ring size


@pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU")
@pytest.mark.parametrize("cfg", [dict(), dict(loss="infonce", encoder="gcn", embedding_dim=16)])
def test_cuda_graph_trains_and_reads_losses_in_batches(tiny_graph, cfg):
    c = TrainConfig(**{**SMALL, "device": "cuda", "epochs": 40, "loss_sync_every": 3, "lr": 0.01, **cfg})
    t = Trainer(tiny_graph, c)
    t.run()
    assert t.fast_info["cuda_graph"] == "on", t.fast_info
    assert len(t.history) == 40
    losses = [r["loss"] for r in t.history]
    assert all(torch.isfinite(torch.tensor(losses)))
    assert sum(losses[-5:]) < sum(losses[:5])
    assert len({round(v, 6) for v in losses[10:]}) > 20  # randomness keeps changing between replays


@pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU")
def test_eager_fast_step_has_no_host_sync(tiny_graph, monkeypatch):
    monkeypatch.setenv("GRAPHCL_CUDA_GRAPH", "0")
    t = Trainer(tiny_graph, TrainConfig(**{**SMALL, "device": "cuda", "loss_sync_every": 100}))
    t.step()  # lazy initialisation outside the check
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        for _ in range(3):
            t.step()
    finally:
        torch.cuda.set_sync_debug_mode("default")
    t.flush_losses()
    assert len(t.history) == 4


@pytest.mark.parametrize("cfg", [dict(), dict(loss="infonce", encoder="gcn")])
def test_batched_views_equal_two_passes_without_randomness(tiny_graph, cfg, monkeypatch):
    """Both views in one pass over two disjoint copies of the graph = two passes (no random draws to differ)."""
    c = TrainConfig(**{**SMALL, "dropout": 0.0, "drop_edge_p": 0.0, "mask_feature_p": 0.0, **cfg})
    monkeypatch.setenv("GRAPHCL_BATCH_VIEWS", "1")
    t_b, batched = _losses(tiny_graph, c, True)
    assert t_b.fast_info["batched_views"]
    _, ref = _losses(tiny_graph, c, False)
    assert batched == pytest.approx(ref, rel=1e-4, abs=1e-5)


def test_batched_views_train_with_randomness(tiny_graph, monkeypatch):
    monkeypatch.setenv("GRAPHCL_BATCH_VIEWS", "1")
    t, losses = _losses(tiny_graph, TrainConfig(**{**SMALL, "lr": 0.01}), True, steps=30)
    assert t.engine.stack_views and all(v == v for v in losses)
    assert sum(losses[-5:]) < sum(losses[:5])


def _bag_of_words_graph(tiny_graph, d=120, density=0.04):
    """The tiny graph with wide 0/1 features, like Cora's bag of words."""
    g = torch.Generator().manual_seed(3)
    n = tiny_graph.num_nodes
    x = (torch.rand(n, d, generator=g) < density).float()
    data = tiny_graph.data.clone()
    data.x = x
    return GraphBundle(data, "bow", tiny_graph.node_names, "test")


def test_sparse_linear_matches_dense_forward_and_grad():
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(20, 50, generator=g) < 0.1).float() * torch.rand(20, 50, generator=g)
    keep = torch.rand(50, generator=g) >= 0.3
    w1 = torch.randn(8, 50, generator=g, requires_grad=True)
    w2 = w1.detach().clone().requires_grad_(True)
    out = SparseFeatures(x).view(keep).linear(w1)
    ref = torch.nn.functional.linear(x * keep.float(), w2)
    torch.testing.assert_close(out, ref)
    out.square().sum().backward()
    ref.square().sum().backward()
    torch.testing.assert_close(w1.grad, w2.grad)
    stacked = SparseFeatures(x, blocks=2).view(torch.stack([keep, ~keep]))
    torch.testing.assert_close(stacked.to_dense(), torch.cat([x * keep.float(), x * (~keep).float()]))


@pytest.mark.parametrize("cfg", [dict(), dict(encoder="gcn"), dict(pairs="edges")])
def test_sparse_features_train_like_dense_features(tiny_graph, cfg, monkeypatch):
    """Without dropout (whose draws differ by design) sparse and dense features give the same run."""
    bow = _bag_of_words_graph(tiny_graph)
    c = TrainConfig(**{**SMALL, "dropout": 0.0, **cfg})
    monkeypatch.setenv("GRAPHCL_SPARSE_FEATURES", "1")
    t_s, sparse = _losses(bow, c, True)
    assert t_s.fast_info["sparse_features"] == "on"
    monkeypatch.setenv("GRAPHCL_SPARSE_FEATURES", "0")
    t_d, dense = _losses(bow, c, True)
    assert dense == pytest.approx(sparse, rel=1e-4, abs=1e-5)
    torch.testing.assert_close(t_s.embeddings(), t_d.embeddings(), rtol=1e-4, atol=1e-5)


def test_sparse_features_with_batched_views_and_dropout_train(tiny_graph, monkeypatch):
    bow = _bag_of_words_graph(tiny_graph)
    monkeypatch.setenv("GRAPHCL_SPARSE_FEATURES", "1")
    monkeypatch.setenv("GRAPHCL_BATCH_VIEWS", "1")
    t, losses = _losses(bow, TrainConfig(**{**SMALL, "lr": 0.01}), True, steps=30)
    assert t.engine.fast_inputs.sparse_stack is not None and all(v == v for v in losses)
    assert sum(losses[-5:]) < sum(losses[:5])


def test_sparse_features_are_chosen_automatically_only_where_they_pay(tiny_graph, monkeypatch):
    monkeypatch.delenv("GRAPHCL_SPARSE_FEATURES", raising=False)
    bow = _bag_of_words_graph(tiny_graph).data.x
    assert sparse_features_wanted(bow, 16)[0]
    dense = torch.rand(10, 120)
    assert sparse_features_wanted(dense, 16) == (False, "off: features 100% nonzero")
    assert not sparse_features_wanted(bow, 256)[0]  # first layer not wider than its output
    monkeypatch.setenv("GRAPHCL_SPARSE_FEATURES", "0")
    assert not sparse_features_wanted(bow, 16)[0]
