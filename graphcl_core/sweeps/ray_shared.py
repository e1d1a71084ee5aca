"""One Ray backend per process, kept from sweep to sweep: its actors stay started with the graph loaded.

Starting Ray and its actors costs seconds (``ray.init`` ~7 s on a GPU machine, then each actor imports
torch and loads the graph: on 2 H200s the first trial started 12.3 s into a first sweep, 0.13 s into
the next one on the same actors; docs/ray.md). So ``backend_named("ray")`` (the page's and the CLI's
way to a Ray backend) hands out this process's shared backend instead of a new one, and the sweep
runner does not close it. A sweep on another graph (or another ``RAY_ADDRESS``) gets a new shared
backend; every other shared backend's actors are stopped before a sweep starts its own (under the
sweep lock, so none of them is in use), so they never compete for the GPUs. One Ray sweep runs at a time in a process (they share the cluster's GPUs and
the actors hold one sweep's state); a second one waits and says so.
"""

from __future__ import annotations

import hashlib
import os
import threading

from ..graph import GraphBundle

_LOCK = threading.Lock()  # guards _CURRENT and _MADE
_CURRENT: dict = {}  # "backend": the shared RayBackend, "key": its graph_key
_MADE: list = []  # every shared backend not yet closed (older ones may still hold actors)
SWEEP_LOCK = threading.Lock()  # one Ray sweep at a time in this process
BUSY = "Another sweep is using the Ray workers; this one starts when that one ends."


def graph_key(bundle: GraphBundle) -> tuple:
    """Equal for two loads of the same graph (its name, sizes and edges), whatever object holds it."""
    data = bundle.data
    edges = data.edge_index.detach().cpu().contiguous().numpy().tobytes()
    return (bundle.name, bundle.num_nodes, bundle.num_edges, tuple(data.x.shape) if data.x is not None else None,
            hashlib.blake2b(edges, digest_size=16).hexdigest())


def shared_backend(bundle: GraphBundle, *, spare_started: bool = False):
    """This process's Ray backend for ``bundle``'s graph (made now if the graph or the cluster changed).
    ``spare_started``: return None instead of replacing another graph's backend that has actors."""
    from .ray_backend import RayBackend

    key = (graph_key(bundle), os.environ.get("RAY_ADDRESS", "").strip())
    with _LOCK:
        current = _CURRENT.get("backend")
        if current is not None and _CURRENT.get("key") == key:
            return current
        if spare_started and current is not None and current._actors:
            return None
        backend = RayBackend(bundle)
        backend.shared = True
        _CURRENT.update(backend=backend, key=key)
        _MADE.append(backend)  # the older ones' actors stop when this one's first sweep starts
        return backend


def backend_to_prepare(bundle: GraphBundle):
    """The shared backend for ``bundle``'s graph when a head start (the page's, once Ray is chosen) may
    use it: it is already this graph's, or the current one holds no actors. None while another graph's
    backend has actors: only a sweep, not a page being looked at, takes started workers away."""
    return shared_backend(bundle, spare_started=True)


def close_others(keep) -> None:
    """Stop the actors of every shared backend but ``keep``. Called with ``SWEEP_LOCK`` held, so no sweep
    runs on them: a replaced backend's actors would otherwise keep their GPUs from ``keep``'s."""
    with _LOCK:
        others = [b for b in _MADE if b is not keep]
        _MADE[:] = [b for b in _MADE if b is keep]
    for b in others:
        b.close()


def close_shared() -> None:
    """Stop the shared backend's actors (and a Ray it started); the next Ray sweep starts afresh."""
    with _LOCK:
        _CURRENT.clear()
        made, _MADE[:] = list(_MADE), []
    with SWEEP_LOCK:
        for backend in made:
            backend.close()
