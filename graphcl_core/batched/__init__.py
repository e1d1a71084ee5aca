"""Many sweep trials trained at once on one device: one model over stacked parameters.

``groups`` says which trials can share a batch (same shapes; per-trial learning rate, weight decay,
margin, seed and view probabilities), ``BatchedTrainer`` trains one batch, ``StackedAdam`` is its
optimiser. The sweep backend that uses them is ``sweeps.batched_backend``.
"""

from .adam import StackedAdam
from .groups import PER_TRIAL, batch_key, group_trials, unsupported
from .trainer import BatchedTrainer

__all__ = ["BatchedTrainer", "StackedAdam", "PER_TRIAL", "batch_key", "group_trials", "unsupported"]
