"""Hyperparameter sweeps (the library side of the Sweep page and ``python -m graphcl_core sweep``).

The pieces live in :mod:`graphcl_core.sweeps`; this module is the short import::

    from graphcl_core.sweep import SweepConfig, SweepRunner, trials, estimate_seconds, best

    sweep = SweepConfig("karate", vary={"margin": [0.5, 1, 2.5], "lr": {"from": 1e-4, "to": 1e-3, "count": 3,
                                                                     "scale": "log"}})
    for ev in SweepRunner(sweep, RunStore("runs")).events():
        ...
"""

from .sweeps import *  # noqa: F401,F403
from .sweeps import __all__  # noqa: F401
