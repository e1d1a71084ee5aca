"""Fast training paths: cached normalised adjacency (no PyG scatter on the hot path), sparse input
features and CUDA-graph steps.

Switch them off for a before/after comparison with ``RuntimeOptions(fast=False)`` (from the
environment: ``GRAPHCL_FAST=0``) or ``Trainer(..., fast=False)``. ``graphcl_core.engine`` decides
which of them a run uses.
"""

from __future__ import annotations

from .. import options


def fast_enabled(flag: bool | None = None) -> bool:
    """``flag`` when given, else the process's options (``GRAPHCL_FAST``, default on)."""
    if flag is not None:
        return bool(flag)
    return options.current().fast
