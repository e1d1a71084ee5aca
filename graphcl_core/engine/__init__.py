"""How one training step runs: one interface (``StepEngine``), one engine per path, chosen once.

See ``base.py`` for the interface and the three engines, ``views.py`` for the random views every
engine shares, ``select.py`` for the choice and its reasons (``fast_info``). A new path (for
example a batched sweep of many runs) is one more ``StepEngine`` subclass and one more branch in
``select_engine``.
"""

from .base import INFONCE_MAX_NODES, StepEngine
from .inputs import SEED_LOCK, RunInputs
from .select import select_engine

__all__ = ["INFONCE_MAX_NODES", "SEED_LOCK", "RunInputs", "StepEngine", "select_engine"]
