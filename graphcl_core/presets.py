"""Named recipes: settings that a sweep on Cora/CiteSeer found good, for users who want a starting point.

``default`` equals ``TrainConfig()`` (the margin loss the project grew from, tuned); the others
trade the project's default method for the best embeddings measured (``bench/quality.py``). Each
recipe lists every field of ``RECIPE_FIELDS``, so the app, the CLI and the benchmarks run the same
thing from it whatever widget state or defaults it is applied on top of.
"""

from __future__ import annotations

from .config import TrainConfig

# The fields a recipe fixes: every TrainConfig field except where it runs and how it is watched.
_RUN_FIELDS = ("seed", "device", "snapshot_every", "max_snapshots", "eval_every", "loss_sync_every")
RECIPE_FIELDS = tuple(f for f in TrainConfig.__dataclass_fields__ if f not in _RUN_FIELDS)

# Every value spelled out, so a recipe means the same run whatever TrainConfig's defaults become.
# The base of the recipes measured before the validation-protocol tuning (infonce, grace, small-graph).
_MARGIN_VIEWS = {
    "loss": "margin", "pairs": "views", "margin": 2.5, "negatives": 5, "negative_sampling": "uniform",
    "exclude_true_edges": True, "tau": 0.5, "drop_edge_p": 0.3, "mask_feature_p": 0.3,
    "encoder": "graphconv", "layers": 2, "hidden": 256, "embedding_dim": 128, "activation": "prelu",
    "dropout": 0.2, "projection_head": False, "normalize": True, "feature_norm": "auto",
    "epochs": 400, "optimizer": "adam", "lr": 0.0005, "weight_decay": 1e-5,
}

PRESETS: dict[str, dict] = {
    # chosen by bench/tune.py on the validation protocol only (split seeds 100-104; see bench/README.md)
    "default": {**_MARGIN_VIEWS, "activation": "elu", "lr": 0.00025, "dropout": 0.0, "drop_edge_p": 0.2,
                "mask_feature_p": 0.4, "epochs": 800},
    "margin-gcn": {**_MARGIN_VIEWS, "encoder": "gcn", "activation": "elu", "hidden": 512, "embedding_dim": 128,
                   "lr": 0.000125, "dropout": 0.0, "mask_feature_p": 0.5, "epochs": 1200},
    "small-graph": {**_MARGIN_VIEWS, "pairs": "edges", "margin": 1.0, "lr": 0.005, "epochs": 200},
    "infonce": {**_MARGIN_VIEWS, "loss": "infonce", "tau": 0.5, "embedding_dim": 256, "epochs": 200},
    "infonce-gcn": {**_MARGIN_VIEWS, "loss": "infonce", "tau": 0.5, "encoder": "gcn", "embedding_dim": 256,
                    "epochs": 200},
    "grace": {**_MARGIN_VIEWS, "loss": "infonce", "tau": 0.9, "encoder": "gcn", "embedding_dim": 256, "lr": 0.001,
              "drop_edge_p": 0.2, "epochs": 200},
}

# The recipe of the app's one-click demos: Home's "Try it" and a presentation opened fresh on an example graph
# (``ui.present.restore``). Both read it here, so a speaker's demo is the one a first visitor sees.
DEMO_RECIPE = "small-graph"

PRESET_HELP = {
    "default": "Margin contrastive loss on two augmented views with GraphConv (the method this project grew from, tuned).",
    "margin-gcn": "The same margin loss with wider GCN layers, a slower learning rate and 1200 epochs: "
                  "the best margin recipe on the validation splits.",
    "small-graph": "Neighbours similar, random nodes dissimilar, a faster learning rate: clear pictures on small "
                   "graphs such as the karate club within seconds (the app's Try it).",
    "infonce": "GRACE-style InfoNCE: every other node in both views is a negative (N×N, subsampled on big graphs).",
    "infonce-gcn": "GRACE-style InfoNCE with GCN layers: the best linear-probe accuracy measured on Cora.",
    "grace": "InfoNCE with GRACE's CiteSeer settings (τ 0.9, fewer dropped edges, lr 1e-3).",
}


def preset(name: str, **overrides) -> TrainConfig:
    """``TrainConfig`` of a named recipe, with ``overrides`` applied on top."""
    from .errors import ConfigError

    if name not in PRESETS:
        raise ConfigError(f"Unknown recipe '{name}'. Choose one of: {', '.join(PRESETS)}.")
    return TrainConfig.from_dict({**PRESETS[name], **overrides}).validate()


def demo_config() -> TrainConfig:
    """``TrainConfig`` of the app's demo (``DEMO_RECIPE``): the two karate factions apart within seconds."""
    return preset(DEMO_RECIPE)
