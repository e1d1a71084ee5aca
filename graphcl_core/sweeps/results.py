"""One trial's outcome, and the ranking of a sweep's trials by its metric."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from .metrics import higher_is_better

# What a trial can end as. Only finished trials are ranked: a pruned one trained for fewer epochs.
STATUSES = ("finished", "pruned", "failed", "stopped")
# A trial the sweep ended before (stopped or failed): it has no run and no result, only this status.
NOT_STARTED = "not_started"


@dataclass
class TrialResult:
    """``index`` counts from 0 (people see ``index + 1``); ``values`` are the varied settings."""

    index: int
    values: dict
    status: str
    metric_name: str
    metric: float | None = None
    metrics: dict = field(default_factory=dict)
    final_loss: float | None = None
    epochs: int = 0
    seconds: float = 0.0
    run_id: str | None = None
    message: str = ""
    rung_scores: list = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["rung_scores"] = [list(r) for r in self.rung_scores]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrialResult":
        d = dict(d)
        d["rung_scores"] = [tuple(r) for r in d.get("rung_scores", [])]
        return cls(**d)


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def rank_key(r: TrialResult) -> tuple:
    """Finished before everything else; then metric (best first; missing/NaN last); then lower final
    loss; then trial order: a total order, so the same results always rank the same."""
    up = higher_is_better(r.metric_name)
    m = r.metric if _finite(r.metric) else None
    loss = r.final_loss if _finite(r.final_loss) else math.inf
    return (r.status != "finished", m is None, 0.0 if m is None else (-m if up else m), loss, r.index)


def rank(results: list[TrialResult]) -> list[TrialResult]:
    return sorted(results, key=rank_key)


def best(results: list[TrialResult]) -> TrialResult | None:
    """The best finished trial by the sweep's metric (ties: lower final loss, then earlier trial)."""
    done = [r for r in results if r.status == "finished"]
    return rank(done)[0] if done else None
