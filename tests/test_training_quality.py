"""Short trainings on the bundled graphs reach real linear-probe bounds (learning, not chance)."""

import pytest

from graphcl_core.config import TrainConfig
from graphcl_core.evaluation import linear_probe
from graphcl_core.loaders import load_graph
from graphcl_core.trainer import Trainer


def _probe_after(name, epochs, **kw):
    bundle = load_graph(name)
    cfg = TrainConfig(epochs=epochs, device="cpu", eval_every=0, hidden=64, embedding_dim=32, **kw)
    t = Trainer(bundle, cfg)
    before = linear_probe(t.embeddings(), bundle.data.y, train_frac=0.2, seed=0)["mean"]
    t.run()
    after = linear_probe(t.embeddings(), bundle.data.y, train_frac=0.2, seed=0)["mean"]
    return before, after, bundle.num_classes


def test_communities_default_recipe_learns_the_groups():
    # features alone are only weakly tied to the group: the graph structure must be learnt
    before, after, k = _probe_after("communities", 150, lr=0.005)
    assert after >= 0.85, (before, after)
    assert after > 1.0 / k + 0.4


@pytest.mark.parametrize("loss", ["infonce", "hadsell", "triplet"])
def test_other_losses_also_learn_communities(loss):
    _, after, _ = _probe_after("communities", 100, lr=0.005, loss=loss, margin=1.0)
    assert after >= 0.7


def test_ring_of_cliques_with_edge_pairs_separates_cliques():
    _, after, k = _probe_after("ring_of_cliques", 150, lr=0.01, pairs="edges")
    assert after >= 0.8


def test_karate_factions_are_learnt_from_structure_alone():
    _, after, _ = _probe_after("karate", 150, lr=0.01, pairs="edges")
    assert after >= 0.7
