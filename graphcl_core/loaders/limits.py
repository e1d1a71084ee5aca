"""Size limits, checked as early as possible so a huge upload is refused before it eats memory."""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import ConfigError, GraphTooLargeError


def _env_int(var: str, default: int) -> int:
    raw = os.environ.get(var, "").strip().replace("_", "").replace(",", "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"The setting {var}={os.environ[var]!r} is not a whole number.") from None
    if value <= 0:
        raise ConfigError(f"The setting {var} must be a positive number, got {value}.")
    return value


@dataclass(frozen=True)
class SizeLimits:
    """Largest graph the app accepts (undirected edges). Overridable with GRAPHCL_MAX_NODES/EDGES."""

    max_nodes: int = 200_000
    max_edges: int = 2_000_000

    @classmethod
    def from_env(cls) -> "SizeLimits":
        return cls(max_nodes=_env_int("GRAPHCL_MAX_NODES", cls.max_nodes),
                   max_edges=_env_int("GRAPHCL_MAX_EDGES", cls.max_edges))

    def check_nodes(self, n: int) -> None:
        if n > self.max_nodes:
            raise GraphTooLargeError(
                f"This graph has {n:,} nodes; the limit is {self.max_nodes:,}. Use a smaller graph, "
                "or raise the limit with the GRAPHCL_MAX_NODES setting if this computer has the memory.")

    def check_edges(self, e: int, what: str = "This graph has") -> None:
        if e > self.max_edges:
            raise GraphTooLargeError(
                f"{what} {e:,} edges; the limit is {self.max_edges:,}. Use a smaller graph, "
                "or raise the limit with the GRAPHCL_MAX_EDGES setting if this computer has the memory.")


def resolve(limits: SizeLimits | None) -> SizeLimits:
    """``None`` means: whatever the environment says (defaults otherwise)."""
    return limits if limits is not None else SizeLimits.from_env()
