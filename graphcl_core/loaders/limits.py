"""Size limits, checked as early as possible so a huge upload is refused before it eats memory.

On a CPU the limits are fixed: 200,000 nodes and 2,000,000 edges (undirected). On a CUDA GPU they
follow its free memory, with a linear model of a training run's peak memory:

    peak bytes ≈ 11,000 × nodes + 250 × edges

It was fitted to lie above two measurements of the default recipe (GraphConv, hidden 256, 64
features) on synthetic graphs: 1M nodes / 10M edges peaked at 13.3 GB (the model says 13.5 GB) and
4M nodes / 40M edges at 48 GB on a 140 GB GPU (the model says 54 GB). Both graphs have ten edges per
node, so the measurements fix the cost of a node with its ten edges (12-13.3 kB) better than the
split between the two; the split (a node's activations across layers, views and gradients vs. an
edge's indices and per-view values) errs on the node side. The limit spends 80 % of the free
memory on a graph with ten edges per node:

    max_nodes = 0.8 × free / (11,000 + 10 × 250),   max_edges = 10 × max_nodes

rounded down to two significant digits, and never below the CPU limits. Wider features, a larger
hidden size or more negatives need more: ``GRAPHCL_MAX_NODES`` / ``GRAPHCL_MAX_EDGES`` override
either limit (``RuntimeOptions.max_nodes`` / ``max_edges``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .. import device as _device
from ..errors import ConfigError, GraphTooLargeError
from ..options import RuntimeOptions, current

CPU_MAX_NODES = 200_000
CPU_MAX_EDGES = 2_000_000
BYTES_PER_NODE = 11_000
BYTES_PER_EDGE = 250
EDGES_PER_NODE = 10
GPU_MEMORY_FRACTION = 0.8
_SETTINGS = "set GRAPHCL_MAX_NODES / GRAPHCL_MAX_EDGES to change"


@dataclass(frozen=True)
class SizeLimits:
    """Largest graph the app accepts (undirected edges); ``basis`` says where the numbers come from."""

    max_nodes: int = CPU_MAX_NODES
    max_edges: int = CPU_MAX_EDGES
    basis: str = field(default="CPU default", compare=False)

    @classmethod
    def from_env(cls, options: RuntimeOptions | None = None) -> "SizeLimits":
        """The CPU limits with the settings' overrides (not the machine's GPU)."""
        return cls.for_machine(options, free_gpu_bytes=None)

    @classmethod
    def for_machine(cls, options: RuntimeOptions | None = None, *,
                    free_gpu_bytes: int | None | str = "detect") -> "SizeLimits":
        """Limits for this machine: from the free memory of the GPU training would use (``detect``),
        of ``free_gpu_bytes`` when given, or the CPU limits when None; the settings override either."""
        options = options or current()
        for var in ("GRAPHCL_MAX_NODES", "GRAPHCL_MAX_EDGES"):
            problem = options.problem_for(var)
            if problem is not None:  # the person asked for a limit; refusing to guess is clearer
                raise ConfigError(problem)
        free = _device.free_gpu_memory() if free_gpu_bytes == "detect" else free_gpu_bytes
        nodes, edges, basis = CPU_MAX_NODES, CPU_MAX_EDGES, "CPU default"
        if free is not None:
            budget = GPU_MEMORY_FRACTION * free
            derived = _round_down(budget / (BYTES_PER_NODE + EDGES_PER_NODE * BYTES_PER_EDGE))
            nodes = max(CPU_MAX_NODES, derived)
            edges = max(CPU_MAX_EDGES, EDGES_PER_NODE * derived)
            basis = f"from {free / 1e9:.1f} GB of free GPU memory"
        if options.max_nodes is not None or options.max_edges is not None:
            basis = "set by GRAPHCL_MAX_NODES / GRAPHCL_MAX_EDGES"
        return cls(options.max_nodes or nodes, options.max_edges or edges, basis)

    def describe(self) -> str:
        """One line for the Graph page."""
        how = self.basis if self.basis.startswith("set by") else f"{self.basis}; {_SETTINGS}"
        return f"Up to {self.max_nodes:,} nodes and {self.max_edges:,} edges ({how})."

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


def _round_down(value: float) -> int:
    """Down to two significant digits (4,712,345 -> 4,700,000), so the page shows a plain number."""
    if value < 1:
        return 0
    step = 10 ** max(0, int(math.floor(math.log10(value))) - 1)
    return int(value // step * step)


def resolve(limits: SizeLimits | None) -> SizeLimits:
    """``None`` means: this machine's limits (``SizeLimits.for_machine()``)."""
    return limits if limits is not None else SizeLimits.for_machine()
