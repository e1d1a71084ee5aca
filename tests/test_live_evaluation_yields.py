"""A run's live evaluations wait while a frame of the live view is laid out (they share the interpreter)."""

from graphcl_core import projection
from graphcl_core.config import TrainConfig
from graphcl_core.loaders import load_graph
from graphcl_core.trainer import Trainer

CFG = TrainConfig(epochs=6, hidden=16, embedding_dim=8, eval_every=2, device="cpu", seed=0)


def _evaluated_epochs(trainer: Trainer) -> list[int]:
    return [r["epoch"] for r in trainer.history if "linear_probe_acc" in r]


def test_no_live_evaluation_starts_during_a_layout():
    bundle = load_graph("karate")
    with projection._UMAP_LOCK:  # a layout is running
        assert projection.layout_in_progress()
        busy = Trainer(bundle, CFG)
        busy.run()
    assert not projection.layout_in_progress()
    assert _evaluated_epochs(busy) == []
    free = Trainer(bundle, CFG)
    free.run()
    assert _evaluated_epochs(free)  # the same run evaluates when nothing is laid out
