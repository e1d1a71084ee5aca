"""``batched.draws``: a batch's views and pairs are, bit for bit, what each trial would draw alone."""

from __future__ import annotations

import pytest
import torch

from graphcl_core.augment import generate_pairs
from graphcl_core.batched.draws import BatchedDraws
from graphcl_core.config import TrainConfig
from graphcl_core.engine.base import MAX_POSITIVES
from graphcl_core.engine.inputs import RunInputs
from graphcl_core.engine.views import ViewSampler
from graphcl_core.loaders import load_graph

BASE = TrainConfig(device="cpu", hidden=16, embedding_dim=8)


def _alone(inputs, sampler, cfg, views):
    """One trial's draws the single-run way: its views, then its pairs, from a fresh generator."""
    g = torch.Generator().manual_seed(cfg.seed)
    drawn = [sampler.draw(cfg.drop_edge_p, cfg.mask_feature_p, g) for _ in range(views)]
    pairs = generate_pairs(cfg.pairs, inputs.num_nodes, edge_index=inputs.edge_index, y=inputs.y,
                           negatives=cfg.negatives, sampling=cfg.negative_sampling,
                           exclude_true_edges=cfg.exclude_true_edges, max_positives=MAX_POSITIVES,
                           generator=g, edge_keys=inputs.edge_keys, device=inputs.device)
    return drawn, pairs


@pytest.mark.parametrize("pairs, exclude, p_features", [("views", True, (0.3, 0.0, 0.5)),
                                                        ("views", False, (0.0, 0.0, 0.0)),
                                                        ("edges", True, (0.2, 0.2, 0.2)),
                                                        ("edges", False, (0.0, 0.4, 0.0))])
def test_every_trial_draws_what_it_would_alone(pairs, exclude, p_features):
    bundle = load_graph("karate")
    configs = [BASE.replace(pairs=pairs, exclude_true_edges=exclude, seed=s, drop_edge_p=pe, mask_feature_p=pf)
               for s, pe, pf in zip((0, 5, 9), (0.2, 0.0, 0.4), p_features)]
    inputs = RunInputs.from_bundle(bundle, configs[0], torch.device("cpu"))
    sampler = ViewSampler(inputs)
    views = 2
    gens = [torch.Generator().manual_seed(c.seed) for c in configs]
    batch = BatchedDraws(inputs, sampler, configs, views)
    weights, keep = batch.views_of(gens)
    src, dst, y = batch.pairs_of(gens)
    E = inputs.edge_index.size(1)
    for t, cfg in enumerate(configs):
        drawn, alone = _alone(inputs, sampler, cfg, views)
        for v, d in enumerate(drawn):
            row = (t * views + v) * E
            assert torch.equal(weights[row: row + E], d.weight)
            if d.keep is None:
                assert keep is None or bool(keep[t, v].all())
            else:
                assert torch.equal(keep[t, v], d.keep)
        assert torch.equal(src, alone.src) and torch.equal(dst[t], alone.dst) and torch.equal(y[0], alone.y)
    assert (keep is None) == all(p == 0 for p in p_features)
