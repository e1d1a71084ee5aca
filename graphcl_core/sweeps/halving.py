"""Successive halving: stop clearly bad trials early and spend the epochs on the promising ones.

With ``EarlyStop(rungs=(0.25, 0.5), keep=0.5)`` every trial trains to 25 % of its epochs; the
better half by the rung score goes on to 50 %; the better half of those trains to the end; the
others are saved with status ``pruned``. This is the synchronous form of successive halving
(Jamieson & Talwalkar 2016; one bracket of Hyperband, Li et al. 2017): every trial of a rung is
scored before any is cut, so the outcome does not depend on the order the trials ran in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError


@dataclass(frozen=True)
class EarlyStop:
    """Rungs as fractions of each trial's epochs, strictly increasing in (0, 1); ``keep``: the share kept at each."""

    rungs: tuple[float, ...] = (0.25, 0.5)
    keep: float = 0.5

    @classmethod
    def from_dict(cls, raw: Any) -> "EarlyStop | None":
        """``None``/``False`` → off; ``True`` → the defaults; else a dict, checked with plain messages."""
        if raw is None or raw is False or raw == {}:
            return None
        if raw is True:
            return cls()
        if isinstance(raw, EarlyStop):
            return raw
        if not isinstance(raw, dict):
            raise ConfigError("early_stop: give rungs and keep, for example {\"rungs\": [0.25, 0.5], \"keep\": 0.5}.")
        unknown = sorted(set(raw) - {"rungs", "keep"})
        if unknown:
            raise ConfigError(f"early_stop: '{unknown[0]}' is not an option (rungs, keep).")
        rungs = raw.get("rungs", cls.rungs)
        if isinstance(rungs, str):
            rungs = [r for r in rungs.split(",") if r.strip()]
        if not isinstance(rungs, (list, tuple)) or not rungs:
            raise ConfigError("early_stop: rungs is a list of fractions of the epochs, like 0.25, 0.5.")
        values = tuple(_fraction("early_stop rung", r) for r in rungs)
        if any(b <= a for a, b in zip(values, values[1:])):
            raise ConfigError(f"early_stop: the rungs must increase ({', '.join(f'{r:g}' for r in values)}).")
        return cls(values, _fraction("early_stop keep", raw.get("keep", cls.keep)))

    def to_dict(self) -> dict:
        return {"rungs": list(self.rungs), "keep": self.keep}


def _fraction(what: str, raw: Any) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{what}: '{raw}' is not a number.") from None
    if not 0 < value < 1:
        raise ConfigError(f"{what}: {value:g} must be between 0 and 1 (a share, like 0.5).")
    return value


def stage_targets(epochs: int, rungs: tuple[float, ...]) -> list[int]:
    """Epoch at the end of each stage: one per rung (at least epoch 1, no repeats), then ``epochs``."""
    targets = []
    for r in rungs:
        t = max(1, int(round(r * epochs)))
        if t < epochs and (not targets or t > targets[-1]):
            targets.append(t)
    return targets + [epochs]


def survivors(scores: dict[int, float], keep: float, higher_is_better: bool) -> set[int]:
    """Trial indices kept at a rung: the best ``ceil(keep·n)`` (at least one) by score.

    A missing or NaN score counts as the worst; ties go to the lower trial index, so the cut is
    reproducible.
    """
    if not scores:
        return set()
    n_keep = max(1, math.ceil(keep * len(scores)))

    def key(i: int) -> tuple:
        s = scores[i]
        bad = s is None or not math.isfinite(s)
        return (bad, 0.0 if bad else (-s if higher_is_better else s), i)

    return set(sorted(scores, key=key)[:n_keep])


def planned_epochs(epochs: list[int], early: EarlyStop | None) -> int:
    """Total epochs a sweep trains when every cut keeps exactly its share (for the time estimate)."""
    if early is None:
        return sum(epochs)
    alive = list(range(len(epochs)))
    done = [0] * len(epochs)
    stages = [stage_targets(e, early.rungs) for e in epochs]
    for k in range(max(len(s) for s in stages)):
        for i in alive:
            done[i] = stages[i][min(k, len(stages[i]) - 1)]
        if k < max(len(s) for s in stages) - 1:
            alive = alive[: max(1, math.ceil(early.keep * len(alive)))]
    return sum(done)
