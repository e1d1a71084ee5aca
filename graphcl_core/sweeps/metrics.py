"""What a sweep ranks trials by, and how a trial is scored at a rung and at its end.

- ``linear_probe``: accuracy of the linear probe on the node labels under the validation protocol
  (needs labels; higher is better; see ``Scorer``).
- ``silhouette``: cosine silhouette of the graph's groups in embedding space: the label classes when
  the graph has labels, else the communities Louvain finds in its edges (seed 0, as the app colours
  unlabelled graphs). Higher is better.
- ``final_loss``: the training loss at the last epoch (lower is better). Only comparable between
  trials with the same loss function and margin, so it is the last resort of ``auto``.

``auto`` picks the first that applies: linear probe with labels, silhouette with at least two
communities, else final loss.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..graph import GraphBundle

METRICS = {"linear_probe": ("validation probe accuracy", True), "silhouette": ("silhouette", True),
           "final_loss": ("final loss", False)}
ALIASES = {"probe": "linear_probe", "linear_probe_acc": "linear_probe", "loss": "final_loss", "auto": "auto"}


def normalise_metric(name: str) -> str:
    """``auto`` or a name of ``METRICS`` (accepts the CLI's short forms probe / loss)."""
    key = str(name or "auto").strip().lower().replace("-", "_").replace(" ", "_")
    key = ALIASES.get(key, key)
    if key != "auto" and key not in METRICS:
        raise ConfigError(f"metric: '{name}' is not a metric. Choose auto, linear_probe, silhouette or final_loss.")
    return key


def higher_is_better(metric: str) -> bool:
    return METRICS[metric][1]


def graph_communities(bundle: GraphBundle) -> np.ndarray:
    """Louvain communities of the edges (seed 0), largest first: one int per node."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(range(bundle.num_nodes))
    g.add_edges_from(bundle.data.edge_index.t().tolist())
    out = np.zeros(bundle.num_nodes, dtype=np.int64)
    if g.number_of_edges():
        for i, c in enumerate(sorted(nx.community.louvain_communities(g, seed=0), key=len, reverse=True)):
            out[list(c)] = i
    return out


def resolve_metric(name: str, bundle: GraphBundle) -> str:
    """The metric a sweep on ``bundle`` ranks by; a plain error when the one asked for cannot apply."""
    key = normalise_metric(name)
    if key == "linear_probe" and not bundle.has_labels:
        raise ConfigError(f"metric: '{bundle.name}' has no node labels, so the linear probe cannot score it. "
                          "Choose silhouette or final_loss (or auto).")
    if key != "auto":
        return key
    if bundle.has_labels:
        return "linear_probe"
    return "silhouette" if len(np.unique(graph_communities(bundle))) >= 2 else "final_loss"


@dataclass
class Scorer:
    """Scores trainers of one sweep: the same groups, probe protocol and seed for every trial.

    Trials are ranked on the *validation* probe protocol (``evaluation.probe_scores``: split seeds
    100-104 over labelled nodes outside the public test set), never on the numbers the app reports,
    so choosing the best trial does not tune on the reported splits. The reported metrics
    (``Trainer.evaluate``: linear_probe_acc and friends) go into each run's meta as for any run.
    """

    bundle: GraphBundle
    metric: str
    full: bool = True

    def __post_init__(self) -> None:
        self._groups = None
        if self.metric == "silhouette":
            self._groups = self.bundle.data.y if self.bundle.has_labels else graph_communities(self.bundle)

    def rung_score(self, trainer) -> float:
        """A quick score at a rung: 2 validation splits, silhouette of ≤ 1,000 nodes, or the last loss."""
        from ..evaluation import silhouette

        if self.metric == "final_loss":
            return _last_loss(trainer)
        emb = trainer.embeddings()
        if self.metric == "silhouette":
            return silhouette(emb, self._groups, max_points=1000, seed=trainer.cfg.seed)
        return self._validation_probe(emb, quick=True)

    def final(self, trainer) -> tuple[float, dict]:
        """``(metric value, metrics for the run's meta)`` of a trained trainer."""
        return self.score(trainer.embeddings(), trainer.history, trainer.cfg.seed)

    def score(self, emb, history: list[dict], seed: int) -> tuple[float, dict]:
        """The same from final embeddings and the loss history alone: needs no trainer, so it can run
        in another thread (or process) while the next trial trains."""
        from ..evaluation import evaluate, silhouette

        metrics = evaluate(emb, self.bundle, quick=not self.full, seed=seed) if self.bundle.has_labels else {}
        if self.metric == "linear_probe":
            value = self._validation_probe(emb, quick=not self.full)
            metrics["validation_probe_acc"] = value
            return value, metrics
        if self.metric == "silhouette":
            if "silhouette" not in metrics:
                metrics["community_silhouette"] = silhouette(emb, self._groups, seed=seed)
            return metrics.get("silhouette", metrics.get("community_silhouette", math.nan)), metrics
        return (float(history[-1]["loss"]) if history else math.nan), metrics

    def _validation_probe(self, emb, quick: bool) -> float:
        """Mean accuracy of the validation protocol; ``quick``: its first 2 splits with a fixed C."""
        from ..evaluation import QUICK_C, VALIDATION_SPLIT_SEEDS, linear_probe, probe_scores, probe_train_fraction

        data = self.bundle.data
        y = data.y
        frac = probe_train_fraction(int((y >= 0).sum()), self.bundle.num_classes)
        if not quick:
            return float(probe_scores(emb, data, "validation", train_frac=frac)["random_mean"])
        test = getattr(data, "test_mask", None)
        if test is not None:
            y = y.clone()
            y[test] = -1  # as probe_scores does: public test nodes never enter a validation score
        return float(linear_probe(emb, y, train_frac=frac, split_seeds=VALIDATION_SPLIT_SEEDS[:2], C=QUICK_C)["mean"])


def _last_loss(trainer) -> float:
    return float(trainer.history[-1]["loss"]) if trainer.history else math.nan
