"""Fast training paths: cached normalised adjacency (no PyG scatter on the hot path), sparse input
features and CUDA-graph steps.

Switch them off for a before/after comparison with ``GRAPHCL_FAST=0`` (or ``Trainer(..., fast=False)``).
"""

from __future__ import annotations

import os


def fast_enabled(flag: bool | None = None) -> bool:
    """``flag`` when given, else the ``GRAPHCL_FAST`` environment variable (default on)."""
    if flag is not None:
        return bool(flag)
    return os.environ.get("GRAPHCL_FAST", "1").strip().lower() not in ("0", "false", "no", "off")
