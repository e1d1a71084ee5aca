"""One exception family for everything a user can get wrong.

The app shows ``str(err)`` verbatim, so every message is written for a person who does not
program: what is wrong, where (file, line) and, when possible, what to do about it.
"""


class GraphCLError(Exception):
    """Base class: any problem caused by input, settings or resources, explained in plain words."""


class GraphLoadError(GraphCLError):
    """A graph file or dataset could not be read (bad format, bad row, unsafe content...)."""


class GraphTooLargeError(GraphLoadError):
    """The graph is over the configured size limit."""


class ConfigError(GraphCLError):
    """A hyperparameter or setting is out of range or inconsistent."""


class TrainingError(GraphCLError):
    """Training had to stop: the loss became NaN/inf or the device ran out of memory."""


class RunStoreError(GraphCLError):
    """A saved run is missing or unreadable."""
