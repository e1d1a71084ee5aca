"""What the Ray sweep modules share: importing Ray with a message that says how to install it, and
the one-line reasons a trial lost to Ray is saved with."""

from __future__ import annotations

from ..errors import ConfigError

RAY_MISSING = "Ray is not installed: pip install -r requirements-ray.txt"
STOPPED = "The sweep was stopped."
LOST = "The Ray worker running this trial failed: "


def import_ray():
    """The ``ray`` module, or a ``ConfigError`` that says how to install it."""
    try:
        import ray
    except ImportError:
        raise ConfigError(RAY_MISSING) from None
    return ray


def first_line(err: Exception | None) -> str:
    """The first line of ``err`` (Ray's errors carry the remote traceback below it), else its type."""
    text = str(err or "").strip()
    return text.splitlines()[0] if text else type(err).__name__
