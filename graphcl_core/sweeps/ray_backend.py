"""``RayBackend``: a sweep's trials on long-lived Ray actors, on this machine's GPUs or a Ray cluster.

::

    driver: this process (SweepRunner, run store, sweep record)
       │ the graph, put once in Ray's object store    ▲ every ``poll_s``: pause/stop go down,
       ▼                                              │ the actor's TrialEvents come up
    TrialWorker actors (ray_worker.py), each with the graph loaded once

Two modes (``batched``):

* **batched** (``ray_batches.py``): one actor per GPU (``num_gpus=1``). Every batch group
  (``batched.group_trials``: trials that share shapes) is split evenly over the actors, so each gets
  the same mix of hidden sizes, and each actor trains its share with ``BatchedBackend`` (stacked
  models, one CUDA graph per batch, the batched torch probe). Early stopping cuts within each
  actor's share. Trials that cannot batch then run in the per-trial mode on the same actors.
* **per trial** (``ray_dispatch.py``): one actor per GPU slot (``num_gpus = 1/slots_per_gpu``) or per
  CPU worker; an actor trains one trial at a time with ``SequentialBackend``'s trial handle and
  scores it itself; with early stopping the driver cuts across all actors' trials at each rung.

``batched="auto"`` picks batched when the actors get GPUs and at least two trials can share a batch.

Why actors: on an H200, 27 Cora trials as plain Ray tasks (``num_gpus=0.25``) took 101 s, 8× one
after another, because every task imported torch, loaded the graph and initialised CUDA. An actor
pays that once per sweep (and starts CUDA in its constructor, while the driver sets up), and the
backend keeps its actors for the next sweep until ``close()``.

Ray places the actors (which node, which GPU; an actor waits while the cluster has no free slot).
Pause: the actors pause at their next snapshot boundary and the sweep reports ``paused`` once all
busy actors have; nothing new starts while paused. Stop reaches the trainers at once.

Ray: ``address`` (default: ``RAY_ADDRESS``) connects to a running cluster and ships this package
to it (``runtime_env`` ``py_modules``; the cluster needs torch and torch_geometric installed);
otherwise a local Ray is started with this machine's CPUs and GPUs; a Ray already initialised is
used as it is. Unlike SequentialBackend, a Ray sweep takes no slot of this process's admission
queue: Ray's own resources decide what runs where.
"""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path
from typing import Any, Callable, Sequence

from ..batched import group_trials
from ..config import TrainConfig
from ..errors import ConfigError
from ..graph import GraphBundle
from .backend import Backend, OnEvent, Trial, TrialEvent, TrialPlan
from .control import SweepControl
from .metrics import Scorer
from .ray_batches import BatchDispatch, split_groups
from .ray_dispatch import StageDispatch
from .ray_relay import new_stats
from .ray_shared import BUSY, SWEEP_LOCK, close_others, graph_key
from .ray_support import RAY_MISSING, STOPPED, import_ray
from .ray_worker import TrialWorker

PREPARING = "Starting Ray and its workers (begun when Ray was chosen); the sweep starts as soon as they are ready."

__all__ = ["RayBackend", "TrialWorker", "import_ray", "RAY_MISSING", "STOPPED"]  # importable from here as before

class RayBackend(Backend):
    """Trains a sweep's trials on Ray actors; see the module docstring."""

    name = "ray"
    spools_snapshots = True  # the runner opens a snapshot folder for the actors that see its disk (ray_spool)

    def __init__(self, bundle: GraphBundle, *, address: str | None = None, workers: int | None = None,
                 slots_per_gpu: int | None = None, cpus_per_worker: float | None = None, num_cpus: int | None = None,
                 num_gpus: int | None = None, trainer_factory: Callable[[GraphBundle, TrainConfig], Any] | None = None,
                 options=None, ship_code: bool | None = None, startup_timeout_s: float = 180.0,
                 poll_s: float = 0.1, batched: str | bool = "auto"):
        """``address``: a Ray cluster (``ray://host:10001``, ``auto``); default ``RAY_ADDRESS``, else a
        local Ray with ``num_cpus``/``num_gpus`` (default: all of this machine's).
        ``workers``: how many actors (default: one per GPU when batched, else GPU slots of the cluster,
        or its CPUs / ``cpus_per_worker``; never more than the trials). ``slots_per_gpu``: actors
        sharing one GPU in the per-trial mode (default ``gpu_slots`` of the runtime options, 2).
        ``cpus_per_worker``: CPUs (and torch/BLAS threads) of an actor, for its probe (default: 1 on
        CPUs; with GPUs, a GPU node's CPUs shared by its actors, so the actors of the smallest GPU node
        fit). ``trainer_factory``: what builds a trial's trainer in an actor in the per-trial mode
        (default ``Trainer`` with this process's ``RuntimeOptions``). ``ship_code``: send this package
        to the cluster (default: when connecting by address). ``startup_timeout_s``: how long the
        sweep waits for the first actor before it fails. ``batched``: ``auto`` (on GPUs when trials
        can share a batch), True (also on CPUs) or False (one trial per actor at a time)."""
        import_ray()
        from .. import options as runtime_options
        from ..trainer import Trainer

        if not (batched == "auto" or isinstance(batched, bool)):
            raise ConfigError(f"batched: {batched!r} is not a choice. Choose 'auto', True or False.")
        self.bundle = bundle
        self.options = options if options is not None else runtime_options.current()
        self.address = address if address is not None else (os.environ.get("RAY_ADDRESS", "").strip() or None)
        self.workers = workers
        self.slots_per_gpu = max(1, int(slots_per_gpu or self.options.gpu_slots))
        self.cpus_per_worker = cpus_per_worker
        self.num_cpus, self.num_gpus = num_cpus, num_gpus
        self.trainer_factory = trainer_factory or functools.partial(Trainer, options=self.options)
        self.ship_code = bool(self.address) if ship_code is None else ship_code
        self.startup_timeout_s = startup_timeout_s
        self.poll_s = poll_s
        self.batched = batched
        self.last_mode: str | None = None  # "batched" or "per trial": how the last sweep ran
        self.last_stats: dict = new_stats()  # where the last sweep's driver time went (ray_relay.new_stats)
        self.shared = False  # ray_shared's backend: kept between sweeps, not closed by the runner
        self._started_ray = False
        self._actors: list = []
        self._actor_res: dict | None = None
        self._bundle_ref = None
        self._preparing = False  # prepare() holds the sweep lock, starting Ray and the actors

    # ---- Ray and the actors -----------------------------------------------------------------------------
    def connect(self) -> list[dict]:
        """Start or join Ray (once); returns the cluster's nodes (``ray.nodes()``)."""
        ray = import_ray()
        if not ray.is_initialized():
            import logging

            env = {"py_modules": [str(Path(__file__).resolve().parents[1])]} if self.ship_code else None
            if self.address:
                on_lasting_thread(lambda: ray.init(address=self.address, runtime_env=env, logging_level=logging.WARNING))
            else:
                on_lasting_thread(lambda: ray.init(
                    num_cpus=self.num_cpus, num_gpus=self.num_gpus, runtime_env=env, include_dashboard=False,
                    logging_level=logging.ERROR))  # not its notes on token files and signal handlers
            self._started_ray = True
        return ray.nodes()

    def use_batched(self, device: str, configs: Sequence[TrainConfig], nodes: list[dict]) -> bool:
        """Whether a sweep of ``configs`` runs in batched mode on the cluster's live ``nodes``."""
        if self.batched is False:
            return False
        groups, _ = group_trials(list(configs))
        if self.batched is True:
            return bool(groups)
        return device != "cpu" and _gpus(nodes) > 0 and any(len(g) > 1 for g in groups)

    def worker_layout(self, device: str, trials: int, nodes: list[dict], slots_per_gpu: int | None = None
                      ) -> tuple[int, dict]:
        """``(number of actors, their Ray resources)`` for trials on ``device`` (auto, cpu or cuda) on the
        cluster's live ``nodes`` (as ``ray.nodes()`` lists them); ``slots_per_gpu``: actors a GPU (default
        the backend's; batched mode asks for 1)."""
        live = [n.get("Resources", {}) for n in nodes if n.get("Alive", True)]
        gpus = _gpus(nodes)
        slots = slots_per_gpu or self.slots_per_gpu
        if device.startswith("cuda") and gpus <= 0:
            raise ConfigError("You asked for the GPU (cuda), but the Ray cluster has no GPUs. Choose 'auto' or 'cpu'.")
        if device != "cpu" and gpus > 0:
            share = min(float(r.get("CPU", 0)) / (float(r["GPU"]) * slots) for r in live if r.get("GPU"))
            cpus = self.cpus_per_worker or max(1, int(share))
            n = self.workers or int(gpus * slots)
            res = {"num_gpus": 1.0 / slots, "num_cpus": cpus}
        else:
            cpus = self.cpus_per_worker or 1
            n = self.workers or int(sum(float(r.get("CPU", 0)) for r in live) // cpus)
            res = {"num_gpus": 0, "num_cpus": cpus}
        return max(1, min(n, trials)), res

    def layout_for(self, device: str, configs: Sequence[TrainConfig], nodes: list[dict]) -> tuple[bool, int, dict]:
        """``(batched?, number of actors, their resources)`` for a sweep of ``configs`` on ``nodes``."""
        if self.use_batched(device, configs, nodes):
            groups, _ = group_trials(list(configs))
            return (True, *self.worker_layout(device, sum(len(g) for g in groups), nodes, slots_per_gpu=1))
        return (False, *self.worker_layout(device, len(configs), nodes))

    def prepare(self, configs: Sequence[TrainConfig]) -> bool:
        """Start Ray and the actors a sweep of ``configs`` would get, now, and wait until they are ready
        (the graph loaded, CUDA started and warmed up): the page does this in the background as soon as Ray is chosen,
        so the first sweep does not wait for them (on 2 H200s a first sweep's first trial started 12.3 s
        after the sweep, 0.13 s on started actors). False, doing nothing, while a sweep holds the actors."""
        if not configs:
            return False
        self._preparing = True  # before the lock: a sweep that finds it taken says what it waits for
        if not SWEEP_LOCK.acquire(blocking=False):
            self._preparing = False
            return False
        try:
            if self.shared:
                close_others(self)
            nodes = self.connect()
            _, n, res = self.layout_for(configs[0].device, configs, nodes)
            ray = import_ray()
            actors = self._ensure_actors(n, res)
            ray.get([a.begin.remote(None, None) for a in actors], timeout=self.startup_timeout_s)
            ray.get([a.ready.remote() for a in actors], timeout=self.startup_timeout_s)  # CUDA warmed up too
            return True
        finally:
            self._preparing = False
            SWEEP_LOCK.release()

    def _ensure_actors(self, n: int, res: dict) -> list:
        """Keep the actors of an earlier sweep when they have the same resources, start the missing ones."""
        ray = import_ray()
        if self._actor_res is not None and self._actor_res != res:
            self._kill_actors()
        if self._bundle_ref is None:
            self._bundle_ref = ray.put(self.bundle)
        cls = ray.remote(max_concurrency=3)(TrialWorker)
        threads = max(1, int(res["num_cpus"]))
        while len(self._actors) < n:
            self._actors.append(cls.options(**res).remote(self._bundle_ref, self.trainer_factory, threads,
                                                          res["num_gpus"] > 0))
        self._actor_res = dict(res)
        return self._actors[:n]

    def _kill_actors(self) -> None:
        ray = import_ray()
        for a in self._actors:
            try:
                ray.kill(a)
            except Exception:  # noqa: BLE001 - already gone
                pass
        self._actors, self._actor_res = [], None

    def close(self) -> None:
        """Stop the actors, and the local Ray if this backend started it."""
        try:
            import ray
        except ImportError:
            return
        if not ray.is_initialized():
            return
        self._kill_actors()
        self._bundle_ref = None
        if self._started_ray:
            ray.shutdown()
            self._started_ray = False

    # ---- the sweep -------------------------------------------------------------------------------------------
    def run_trials(self, trials: Sequence[Trial], plan: TrialPlan, on_event: OnEvent,
                   control: SweepControl) -> None:
        if not trials or control.stopped:
            return
        if not SWEEP_LOCK.acquire(blocking=False):  # another sweep of this process runs on Ray
            on_event(TrialEvent("waiting", trials[0].index, message=PREPARING if self._preparing else BUSY))
            while not SWEEP_LOCK.acquire(timeout=0.5):
                if control.stopped:
                    return
        try:
            if self.shared:  # other graphs' shared backends: free their GPUs first (none is in use now)
                close_others(self)
            self._run_trials(trials, plan, on_event, control)
        finally:
            SWEEP_LOCK.release()

    def _run_trials(self, trials: Sequence[Trial], plan: TrialPlan, on_event: OnEvent,
                    control: SweepControl) -> None:
        self.last_stats = new_stats()
        nodes = self.connect()
        device = trials[0].config.device
        scorer = plan.scorer
        same_graph = scorer.bundle is self.bundle or (self.shared and graph_key(scorer.bundle) == graph_key(self.bundle))
        spec = (scorer.metric, scorer.full) if type(scorer) is Scorer and same_graph else None
        rest = list(trials)
        batched, n, res = self.layout_for(device, [t.config for t in trials], nodes)
        if batched:
            self.last_mode = "batched"
            groups, alone = group_trials([t.config for t in trials])
            actors = self._actors_for(n, res, trials[0].index, on_event)
            shares = [[trials[i] for i in share] for share in split_groups(groups, len(actors))]
            BatchDispatch(self, actors, plan, spec, on_event, control).run(shares)
            rest = [trials[i] for i in sorted(alone)]
            if not rest or control.stopped:
                return
        else:
            self.last_mode = "per trial"
        actors = self._actors_for(min(n, len(rest)), res, rest[0].index, on_event)
        StageDispatch(self, actors, plan, spec, on_event, control).run(rest)

    def _actors_for(self, n: int, res: dict, first: int, on_event: OnEvent) -> list:
        """``n`` actors with ``res``: the earlier sweep's when they match, the missing ones started now
        (told as ``waiting``, since their start takes seconds)."""
        fresh = n - len(self._actors) if self._actor_res == res else n
        actors = self._ensure_actors(n, res)
        if fresh > 0:
            where = f"{res['num_gpus']:g} GPU each" if res["num_gpus"] else f"{res['num_cpus']:g} CPU each"
            on_event(TrialEvent("waiting", first,
                                message=f"Starting {fresh} Ray worker(s) ({where}); each loads the graph once."))
        return actors


def on_lasting_thread(start: Callable[[], Any]) -> Any:
    """``start()`` (``ray.init``) on a thread that lives as long as the process, and its result.

    A local Ray's processes (GCS, raylet) are started with Linux's parent-death signal, which fires
    when the *thread* that started them ends, not the process: started from the page's head start or
    a sweep's thread, they were killed as that thread ended, and a minute later Ray's client ended the
    whole server ("Failed to connect to GCS within 60 seconds"). The main thread lives on already."""
    if threading.current_thread() is threading.main_thread():
        return start()
    out: dict = {}
    done = threading.Event()

    def run() -> None:
        try:
            out["value"] = start()
        except BaseException as e:  # noqa: BLE001 - raised again in the caller's thread
            out["error"] = e
        done.set()
        threading.Event().wait()  # parked for good: Ray's processes live while this thread does

    threading.Thread(target=run, name="graphcl-ray-owner", daemon=True).start()
    done.wait()
    if "error" in out:
        raise out["error"]
    return out.get("value")


def _gpus(nodes: list[dict]) -> float:
    return sum(float(n.get("Resources", {}).get("GPU", 0)) for n in nodes if n.get("Alive", True))
