"""How many snapshots each trial of a sweep keeps: the sweep's frames share one memory budget.

A single run may keep up to ``config.PLAYBACK_BUDGET_BYTES`` of snapshots (96 frames of Cora). A sweep
holds its trials' snapshots in memory side by side (a batch keeps all of its trials' until it ends)
and writes every one to disk, so 27 Cora trials at a run's density would hold 1.5 GB, and 108 trials
6 GB, in the server process. A sweep therefore caps ``max_snapshots`` so that all of its trials
together stay within ``SWEEP_SNAPSHOT_BUDGET_BYTES``, never below ``MIN_TRIAL_SNAPSHOTS`` (enough for
the grid's replay and for Explore to show a trial's course). The cap only lowers a trial's own
``max_snapshots``; ``config.snapshot_interval`` then spaces the kept frames evenly over the run.
"""

from __future__ import annotations

from ..config import TrainConfig

SWEEP_SNAPSHOT_BUDGET_BYTES = 512 * 2**20
MIN_TRIAL_SNAPSHOTS = 16


def trial_snapshot_cap(num_nodes: int, embedding_dim: int, trials: int) -> int:
    """Snapshots one of ``trials`` trials may keep (float16 ``num_nodes``×``embedding_dim`` each)."""
    per = max(1, num_nodes * embedding_dim * 2)
    return max(MIN_TRIAL_SNAPSHOTS, SWEEP_SNAPSHOT_BUDGET_BYTES // (max(1, trials) * per))


def within_sweep_budget(configs: list[TrainConfig], num_nodes: int) -> list[TrainConfig]:
    """``configs`` with ``max_snapshots`` lowered where the sweep's budget asks for it."""
    out = []
    for cfg in configs:
        cap = trial_snapshot_cap(num_nodes, cfg.embedding_dim, len(configs))
        out.append(cfg.replace(max_snapshots=cap).validate() if cfg.max_snapshots > cap else cfg)
    return out
