"""``TrainConfig``: the one typed object that carries hyperparameters from widget to trainer to saved run."""

from __future__ import annotations

import dataclasses
import json
import math
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


@dataclass(frozen=True)
class Limit:
    """The allowed range of one numeric setting, said in words; ``None`` leaves that end open-ended and
    ``lo_open``/``hi_open`` exclude the bound itself. The app's widgets take their bounds from here too."""

    what: str
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False

    def __contains__(self, v: float) -> bool:
        """Written as positive comparisons so that NaN is never inside."""
        above = self.lo is None or (v > self.lo if self.lo_open else v >= self.lo)
        below = self.hi is None or (v < self.hi if self.hi_open else v <= self.hi)
        return bool(above and below)

    def describe(self) -> str:
        lo = None if self.lo is None else ("above " if self.lo_open else "at least ") + _num(self.lo)
        hi = None if self.hi is None else ("below " if self.hi_open else "at most ") + _num(self.hi)
        if lo and hi and not (self.lo_open or self.hi_open):
            return f"between {_num(self.lo)} and {_num(self.hi)}"
        return " and ".join(p for p in (lo, hi) if p)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


# Every numeric setting's range: one table for ``validate`` and for the app's widgets.
FIELD_LIMITS: dict[str, Limit] = {
    "margin": Limit("The margin", 0, lo_open=True),
    "hidden": Limit("The hidden size", 1, 8192),
    "lr": Limit("The learning rate", 0, 1, lo_open=True),
    "negatives": Limit("Negatives per positive", 1, 100),
    "tau": Limit("The temperature τ", 0, lo_open=True),
    "drop_edge_p": Limit("The edge-drop probability", 0, 1, hi_open=True),
    "mask_feature_p": Limit("The feature-mask probability", 0, 1, hi_open=True),
    "layers": Limit("The number of layers", 1, 8),
    "embedding_dim": Limit("The embedding size", 1, 8192),
    "dropout": Limit("Dropout", 0, 1, hi_open=True),
    "epochs": Limit("Epochs", 1, 100_000),
    "weight_decay": Limit("Weight decay", 0),
    "seed": Limit("The seed", 0, 2**31 - 1),
    "snapshot_every": Limit("The snapshot interval (epochs)", 1),
    "max_snapshots": Limit("The number of kept snapshots", 2),
    "eval_every": Limit("The evaluation interval (epochs, 0 turns it off)", 0),
    "loss_sync_every": Limit("The loss read interval (epochs)", 1),
}


@dataclass
class TrainConfig:
    """Every hyperparameter of a run, with defaults tuned so the margin loss gives good embeddings.

    The defaults (two GraphConv layers over symmetrically normalised edges, ELU, no dropout,
    L2-normalised outputs, two augmented views per step with 20 % of edges dropped and 40 % of feature
    columns masked, a node similar to itself in the other view and 5 random nodes dissimilar, margin
    2.5 on the squared distance, i.e. negatives pushed past a cosine of -0.25, lr 2.5e-4 for 800
    epochs) were chosen by ``bench/tune.py`` on validation splits of Cora and CiteSeer only;
    ``bench/quality.py`` reports them on held-back splits.
    """

    # the three knobs shown first in the app
    margin: float = 2.5
    hidden: int = 256
    lr: float = 0.00025

    # objective and pairs
    loss: str = "margin"
    pairs: str = "views"
    negatives: int = 5
    negative_sampling: str = "uniform"
    exclude_true_edges: bool = True
    tau: float = 0.5

    # views (augmentations)
    drop_edge_p: float = 0.2
    mask_feature_p: float = 0.4

    # encoder
    encoder: str = "graphconv"
    layers: int = 2
    embedding_dim: int = 128
    activation: str = "elu"
    dropout: float = 0.0
    projection_head: bool = False
    normalize: bool = True
    feature_norm: str = "auto"

    # optimisation
    epochs: int = 800
    optimizer: str = "adam"
    weight_decay: float = 1e-5
    seed: int = 0
    device: str = "auto"

    # live view / bookkeeping (snapshots: every epoch when they fit, see ``snapshot_interval``)
    snapshot_every: int = 1
    max_snapshots: int = 1000
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
        for name, limit in FIELD_LIMITS.items():
            v = getattr(self, name)
            need(v in limit, f"{limit.what} must be {limit.describe()} (got {v}).")
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
                    number = float(v)
                    if not number.is_integer():  # 7.5 is no width: said, never truncated to 7 unseen
                        raise ConfigError(f"Setting '{f.name}' must be a whole number (got {v!r}).")
                    v = int(number)
                elif isinstance(default, float):
                    v = float(v)
                else:
                    v = str(v)
            except (TypeError, ValueError, OverflowError):
                raise ConfigError(f"Setting '{f.name}' must be a number (got {v!r}).") from None
            kwargs[f.name] = v
        return cls(**kwargs)

    def replace(self, **changes: Any) -> "TrainConfig":
        return dataclasses.replace(self, **changes)


# ---- how densely a run keeps snapshots --------------------------------------------------------------
# Snapshots are float16 N×D embeddings, kept in memory and written to the run's folder, so a run's
# playback is as smooth as its snapshots are dense. A run may spend up to PLAYBACK_BUDGET_BYTES on
# them (every epoch of a small graph's run fits: karate's 800 epochs take 7 MB), never fewer than
# MIN_SNAPSHOTS where the hard cap SNAPSHOT_BUDGET_BYTES allows (a large graph keeps a few frames).
SNAPSHOT_BUDGET_BYTES = 256 * 2**20
PLAYBACK_BUDGET_BYTES = 64 * 2**20
MIN_SNAPSHOTS = 60


def snapshot_capacity(num_nodes: int, embedding_dim: int, max_snapshots: int) -> int:
    """How many snapshots of an ``num_nodes``×``embedding_dim`` embedding one run may keep (at least 2)."""
    per = max(1, num_nodes * embedding_dim * 2)
    wanted = max(MIN_SNAPSHOTS, PLAYBACK_BUDGET_BYTES // per)
    return max(2, min(max_snapshots, wanted, SNAPSHOT_BUDGET_BYTES // per))


def snapshot_interval(cfg: TrainConfig, num_nodes: int) -> int:
    """Epochs between snapshots: ``cfg.snapshot_every`` (every epoch by default) unless the run's
    ``cfg.epochs + 1`` snapshots would not fit ``snapshot_capacity``; then the wider even spacing that
    fits, so the kept frames span the whole run instead of being thinned unevenly later."""
    frames = snapshot_capacity(num_nodes, cfg.embedding_dim, cfg.max_snapshots)
    return max(cfg.snapshot_every, math.ceil(cfg.epochs / (frames - 1)))

