"""``TrainConfig``: the one typed object that carries hyperparameters from widget to trainer to saved run."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, fields
from typing import Any

from .errors import ConfigError

LOSSES = ("margin", "hadsell", "infonce", "triplet")
PAIR_STRATEGIES = ("views", "edges", "labels")
ENCODERS = ("graphconv", "gcn", "sage", "gat", "gin")
ACTIVATIONS = ("prelu", "relu", "elu", "tanh", "leaky_relu")
NEGATIVE_SAMPLING = ("uniform", "degree")
DEVICES = ("auto", "cpu", "cuda")
OPTIMIZERS = ("adam", "adamw", "sgd")
FEATURE_NORMS = ("auto", "row", "standard", "none")


@dataclass
class TrainConfig:
    """Every hyperparameter of a run, with defaults tuned so the margin loss gives good embeddings.

    The defaults (two GraphConv layers over symmetrically normalised edges, PReLU, dropout 0.2,
    L2-normalised outputs, two augmented views per step with a node similar to itself in the other
    view and 5 random nodes dissimilar, margin 2.5 on the squared distance, i.e. negatives pushed
    past a cosine of -0.25) were picked by a sweep on Cora/CiteSeer; ``bench/quality.py`` checks them.
    """

    # the three knobs shown first in the app
    margin: float = 2.5
    hidden: int = 256
    lr: float = 0.0005

    # objective and pairs
    loss: str = "margin"
    pairs: str = "views"
    negatives: int = 5
    negative_sampling: str = "uniform"
    exclude_true_edges: bool = True
    tau: float = 0.5

    # views (augmentations)
    drop_edge_p: float = 0.3
    mask_feature_p: float = 0.3

    # encoder
    encoder: str = "graphconv"
    layers: int = 2
    embedding_dim: int = 128
    activation: str = "prelu"
    dropout: float = 0.2
    projection_head: bool = False
    normalize: bool = True
    feature_norm: str = "auto"

    # optimisation
    epochs: int = 400
    optimizer: str = "adam"
    weight_decay: float = 1e-5
    seed: int = 0
    device: str = "auto"

    # live view / bookkeeping
    snapshot_every: int = 5
    max_snapshots: int = 60
    eval_every: int = 10
    loss_sync_every: int = 1

    def validate(self) -> "TrainConfig":
        """Raise ``ConfigError`` with a plain message for any out-of-range value; return self."""

        def need(cond: bool, msg: str) -> None:
            if not cond:
                raise ConfigError(msg)

        need(self.loss in LOSSES, f"Unknown loss '{self.loss}'. Choose one of: {', '.join(LOSSES)}.")
        need(self.pairs in PAIR_STRATEGIES,
             f"Unknown pair strategy '{self.pairs}'. Choose one of: {', '.join(PAIR_STRATEGIES)}.")
        need(self.encoder in ENCODERS, f"Unknown encoder '{self.encoder}'. Choose one of: {', '.join(ENCODERS)}.")
        need(self.activation in ACTIVATIONS,
             f"Unknown activation '{self.activation}'. Choose one of: {', '.join(ACTIVATIONS)}.")
        need(self.negative_sampling in NEGATIVE_SAMPLING,
             f"Unknown negative sampling '{self.negative_sampling}'. Choose uniform or degree.")
        need(self.device in DEVICES or str(self.device).startswith("cuda:"),
             f"Unknown device '{self.device}'. Choose auto, cpu or cuda.")
        need(self.optimizer in OPTIMIZERS, f"Unknown optimizer '{self.optimizer}'. Choose one of: {', '.join(OPTIMIZERS)}.")
        need(self.feature_norm in FEATURE_NORMS,
             f"Unknown feature normalisation '{self.feature_norm}'. Choose one of: {', '.join(FEATURE_NORMS)}.")
        need(self.margin > 0, f"The margin must be above 0 (got {self.margin}).")
        need(0 < self.lr <= 1, f"The learning rate must be between 0 and 1 (got {self.lr}).")
        need(1 <= self.hidden <= 8192, f"The hidden size must be between 1 and 8192 (got {self.hidden}).")
        need(1 <= self.embedding_dim <= 8192,
             f"The embedding size must be between 1 and 8192 (got {self.embedding_dim}).")
        need(1 <= self.layers <= 8, f"The number of layers must be between 1 and 8 (got {self.layers}).")
        need(1 <= self.epochs <= 100_000, f"Epochs must be between 1 and 100000 (got {self.epochs}).")
        need(1 <= self.negatives <= 100, f"Negatives per positive must be between 1 and 100 (got {self.negatives}).")
        need(0 <= self.dropout < 1, f"Dropout must be in [0, 1) (got {self.dropout}).")
        need(0 <= self.drop_edge_p < 1, f"Edge-drop probability must be in [0, 1) (got {self.drop_edge_p}).")
        need(0 <= self.mask_feature_p < 1,
             f"Feature-mask probability must be in [0, 1) (got {self.mask_feature_p}).")
        need(self.weight_decay >= 0, f"Weight decay cannot be negative (got {self.weight_decay}).")
        need(self.tau > 0, f"The temperature τ must be above 0 (got {self.tau}).")
        need(self.snapshot_every >= 1, "Snapshot interval must be at least 1 epoch.")
        need(self.max_snapshots >= 2, "Keep at least 2 snapshots.")
        need(self.eval_every >= 0, "Evaluation interval cannot be negative (0 turns it off).")
        need(self.loss_sync_every >= 1, "Loss read interval must be at least 1 epoch.")
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TrainConfig":
        """Build from a dict, ignoring unknown keys and coercing types (for URLs, JSON, CLI)."""
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in d or d[f.name] is None:
                continue
            v = d[f.name]
            default = f.default
            try:
                if isinstance(default, bool):
                    v = v if isinstance(v, bool) else str(v).lower() in ("1", "true", "yes", "on")
                elif isinstance(default, int):
                    v = int(float(v))
                elif isinstance(default, float):
                    v = float(v)
                else:
                    v = str(v)
            except (TypeError, ValueError):
                raise ConfigError(f"Setting '{f.name}' must be a number (got {v!r}).") from None
            kwargs[f.name] = v
        return cls(**kwargs)

    def replace(self, **changes: Any) -> "TrainConfig":
        return dataclasses.replace(self, **changes)
