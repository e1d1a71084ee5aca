"""Hyperparameter sweeps: many runs of one graph, compared by one metric, saved like any run.

``config`` (what to try), ``space`` (lists and ranges of values), ``metrics`` (what to rank by),
``halving`` (early stopping), ``backend`` (who trains: one after another), ``batched_backend``
(many trials at once on one device, scored by the torch probe), ``ray_backend`` (Ray actors),
``runner`` (events, pause/stop, run store), ``record`` (sweep.json, results.csv), ``estimate`` (time
before start). ``graphcl_core.sweep`` re-exports the public names.
"""

from .backend import Backend, SequentialBackend, Trial, TrialEvent, TrialPlan
from .config import MAX_TRIALS, SweepConfig
from .control import SweepControl
from .estimate import Estimate, estimate_seconds
from .halving import EarlyStop
from .metrics import METRICS, graph_communities, resolve_metric
from .record import list_sweeps, load_sweep, sweeps_root_for
from .results import TrialResult, best, rank
from .runner import SweepEvent, SweepRunner
from .space import ValueList, ValueRange, parse_spec

__all__ = ["SweepConfig", "EarlyStop", "ValueList", "ValueRange", "parse_spec", "trials", "estimate_seconds",
           "Estimate", "SweepRunner", "SweepEvent", "SweepControl", "Backend", "SequentialBackend", "Trial",
           "TrialEvent", "TrialPlan", "TrialResult", "best", "rank", "METRICS", "resolve_metric",
           "graph_communities", "list_sweeps", "load_sweep", "sweeps_root_for", "MAX_TRIALS"]


def trials(sweep: SweepConfig) -> list:
    """One validated ``TrainConfig`` per trial (``sweep.trials()``)."""
    return sweep.trials()
