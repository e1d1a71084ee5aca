"""graphcl_core: the UI-free engine of GraphCL Studio (graphs, models, losses, pairs, training, projection, evaluation, runs)."""

from .config import TrainConfig
from .errors import ConfigError, GraphCLError, GraphLoadError, GraphTooLargeError, RunStoreError, TrainingError
from .graph import GraphBundle

__all__ = ["TrainConfig", "GraphBundle", "GraphCLError", "GraphLoadError", "GraphTooLargeError", "ConfigError",
           "TrainingError", "RunStoreError"]
__version__ = "0.1.0"
