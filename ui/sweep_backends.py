"""Who trains a sweep started from the page: the choices offered, their words, and the backend itself.

- ``local``: one trial after another in this server (CPU or its GPU), scikit-learn's probe;
- ``batched``: many trials at once on this server's device (``graphcl_core.batched``), the probe in
  torch: on a GPU a whole sweep takes seconds; it works on the CPU too;
- ``ray``: Ray actors on this machine's GPUs or on the cluster at ``RAY_ADDRESS`` (docs/ray.md),
  offered only where ``ray`` is installed.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import weakref

from graphcl_core.graph import GraphBundle
from graphcl_core.sweep import SweepConfig
from graphcl_core.sweeps.backend import Backend, SequentialBackend, auto_backend

LABELS = {"local": "Local (one after another)", "batched": "GPU batched (many at once)",
          "ray": "Ray (more GPUs or a cluster)"}
HELP = ("Local trains one trial after another. GPU batched trains trials that share their sizes together in "
        "one model on this machine's GPU (on the CPU it works too, with less gain). Ray spreads the trials over "
        "this machine's GPUs or a Ray cluster (RAY_ADDRESS).")
NO_RAY = ("Ray is not installed on this server, so trials cannot be spread over more GPUs or a cluster "
          "(pip install -r requirements-ray.txt, then restart; see docs/ray.md).")


log = logging.getLogger(__name__)
_PRESTART_LOCK = threading.Lock()
_PRESTARTED: "weakref.WeakValueDictionary" = weakref.WeakValueDictionary()  # id → a graph given a head start


def ray_available() -> bool:
    return importlib.util.find_spec("ray") is not None


def gpu_available() -> bool:
    import torch

    return torch.cuda.is_available()


def offered() -> list[str]:
    """The choices this server can run, in the order shown."""
    return ["local", "batched"] + (["ray"] if ray_available() else [])


def default() -> str:
    """GPU batched where there is a GPU, else local."""
    return "batched" if gpu_available() else "local"


def usable(name: str) -> tuple[str, str | None]:
    """``(backend, None)``, or a backend this server can run and a sentence why the asked one is not
    (a link made where Ray is installed, opened where it is not)."""
    name = "local" if name == "auto" and not gpu_available() else ("batched" if name == "auto" else name)
    if name in offered():
        return name, None
    return default(), f"The link asked for {LABELS.get(name, name)}, which this server cannot run: {NO_RAY}"


def note(name: str) -> str | None:
    """A sentence under the choice (what it means here), or None."""
    if name == "batched" and not gpu_available():
        return "No GPU on this server: batched trials train together on the CPU (still faster than one by one)."
    if name == "ray":
        return "Trials run on Ray workers (RAY_ADDRESS, else a local Ray on this machine); results stream back here."
    return None


def make(name: str, bundle: GraphBundle, owner: str, sweep: SweepConfig) -> Backend:
    """The backend for a sweep started by ``owner`` (the visitor, for the admission queue)."""
    if name == "auto":
        name = auto_backend(sweep.trials())
    if name == "batched":
        from graphcl_core.sweeps.batched_backend import BatchedBackend

        return BatchedBackend(bundle, owner=owner)
    if name == "ray":  # this server's shared Ray backend: its actors stay started between sweeps
        from graphcl_core.sweeps.ray_backend import import_ray
        from graphcl_core.sweeps.ray_shared import shared_backend

        import_ray()
        return shared_backend(bundle)
    return SequentialBackend(bundle, owner=owner)


def prestart(name: str, bundle: GraphBundle | None, sweep: SweepConfig | None) -> threading.Thread | None:
    """Where the page's choice is Ray: start Ray and the actors this sweep would get, in a daemon thread,
    once per loaded graph (``RayBackend.prepare``), so that pressing Start does not wait for them (a
    first sweep on 2 GPUs waited 8 s for ``ray.init`` and 12 s more for its first trial). Everything,
    ``import ray`` included, happens in the thread: the page never waits and never fails for it. Another
    graph's started workers are left alone (``ray_shared.backend_to_prepare``). The thread, or None."""
    if name != "ray" or sweep is None or bundle is None or not ray_available():
        return None
    with _PRESTART_LOCK:
        if _PRESTARTED.get(id(bundle)) is bundle:
            return None
        _PRESTARTED[id(bundle)] = bundle
    thread = threading.Thread(target=_prepare, args=(bundle, sweep), name="graphcl-ray-prestart", daemon=True)
    thread.start()
    return thread


def _prepare(bundle: GraphBundle, sweep: SweepConfig) -> None:
    try:
        from graphcl_core.sweeps import ray_shared

        backend = ray_shared.backend_to_prepare(bundle)
        if backend is not None:
            backend.prepare(sweep.trials())
    except Exception as e:  # noqa: BLE001 - only a head start: the sweep starts Ray itself and reports errors
        log.warning("Ray workers could not be started ahead of the sweep: %s: %s", type(e).__name__, e)
