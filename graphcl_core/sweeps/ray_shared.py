"""One Ray backend per process, kept from sweep to sweep: its actors stay started with the graph loaded.

Starting Ray and its actors costs seconds (``ray.init`` ~7 s on a GPU machine, then each actor imports
torch and loads the graph), and on 2 H200s a first sweep on fresh actors took 76.6 s against 8.6 s for
the next one on the same actors (docs/ray.md). So ``backend_named("ray")`` (the page's and the CLI's
way to a Ray backend) hands out this process's shared backend instead of a new one, and the sweep
runner does not close it. A sweep on another graph (or another ``RAY_ADDRESS``) gets a new shared
backend; the previous one's actors are stopped before the new one starts its own, so they never
compete for the GPUs. One Ray sweep runs at a time in a process (they share the cluster's GPUs and
the actors hold one sweep's state); a second one waits and says so.
"""

from __future__ import annotations

import hashlib
import os
import threading

from ..graph import GraphBundle

_LOCK = threading.Lock()  # guards _CURRENT
_CURRENT: dict = {}  # "backend": the shared RayBackend, "key": its graph_key
SWEEP_LOCK = threading.Lock()  # one Ray sweep at a time in this process
BUSY = "Another sweep is using the Ray workers; this one starts when that one ends."


def graph_key(bundle: GraphBundle) -> tuple:
    """Equal for two loads of the same graph (its name, sizes and edges), whatever object holds it."""
    data = bundle.data
    edges = data.edge_index.detach().cpu().contiguous().numpy().tobytes()
    return (bundle.name, bundle.num_nodes, bundle.num_edges, tuple(data.x.shape) if data.x is not None else None,
            hashlib.blake2b(edges, digest_size=16).hexdigest())


def shared_backend(bundle: GraphBundle):
    """This process's Ray backend for ``bundle``'s graph (made now if the graph or the cluster changed)."""
    from .ray_backend import RayBackend

    key = (graph_key(bundle), os.environ.get("RAY_ADDRESS", "").strip())
    with _LOCK:
        current = _CURRENT.get("backend")
        if current is not None and _CURRENT.get("key") == key:
            return current
        backend = RayBackend(bundle)
        backend.shared = True
        backend.retired = current  # stopped by the new backend's first sweep, when no sweep runs on it
        _CURRENT.update(backend=backend, key=key)
        return backend


def close_shared() -> None:
    """Stop the shared backend's actors (and a Ray it started); the next Ray sweep starts afresh."""
    with _LOCK:
        backend = _CURRENT.pop("backend", None)
        _CURRENT.pop("key", None)
    if backend is not None:
        with SWEEP_LOCK:
            backend.close()
