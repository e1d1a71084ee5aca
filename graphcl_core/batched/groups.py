"""Which trials can train together in one batched model, and why the others cannot.

Trials batch when everything that shapes a step is the same: the encoder and its sizes, the loss and
its pairs, the number of epochs and the bookkeeping. What may differ per trial is what the batched
step carries per trial (``PER_TRIAL``): the learning rate, the weight decay, the margin, the seed
(weights and random draws), the two view probabilities.
"""

from __future__ import annotations

import json

from ..config import TrainConfig
from ..fast.propagation import FAST_CONVS

PER_TRIAL = ("lr", "weight_decay", "margin", "seed", "drop_edge_p", "mask_feature_p")
LOSSES = ("margin", "hadsell")
PAIRS = ("views", "edges")
OPTIMIZERS = ("adam", "adamw")


def unsupported(cfg: TrainConfig) -> str | None:
    """Why ``cfg`` cannot train in the batched model (a sentence), or None."""
    if cfg.encoder not in FAST_CONVS:
        return f"the {cfg.encoder} encoder has no batched form (only {' and '.join(FAST_CONVS)})"
    if cfg.loss not in LOSSES:
        return f"the {cfg.loss} loss has no batched form (only {' and '.join(LOSSES)})"
    if cfg.pairs not in PAIRS:
        return f"'{cfg.pairs}' pairs have no batched form (only {' and '.join(PAIRS)})"
    if cfg.optimizer not in OPTIMIZERS:
        return f"the {cfg.optimizer} optimiser has no batched form (only Adam and AdamW)"
    if cfg.negative_sampling != "uniform":
        return "degree-weighted negatives have no batched form"
    if cfg.dropout > 0:
        return "dropout has no batched form"
    return None


def batch_key(cfg: TrainConfig) -> str:
    """Equal for two configurations that can share one batched model."""
    shared = {k: v for k, v in cfg.to_dict().items() if k not in PER_TRIAL}
    return json.dumps(shared, sort_keys=True)


def group_trials(configs: list[TrainConfig], max_batch: int | None = None) -> tuple[list[list[int]], dict[int, str]]:
    """``(groups of trial indices, in first-appearance order; {index: why it cannot batch})``.

    ``max_batch`` splits a large group into batches of at most that many trials.
    """
    groups: dict[str, list[int]] = {}
    alone: dict[int, str] = {}
    for i, cfg in enumerate(configs):
        why = unsupported(cfg)
        if why:
            alone[i] = why
        else:
            groups.setdefault(batch_key(cfg), []).append(i)
    out = []
    for members in groups.values():
        step = max_batch or len(members)
        out += [members[s: s + step] for s in range(0, len(members), step)]
    return out, alone
