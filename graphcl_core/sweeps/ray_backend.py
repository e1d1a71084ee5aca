"""``RayBackend``: a sweep's trials on long-lived Ray actors, on this machine's GPUs or a Ray cluster.

::

    driver: this process (SweepRunner, run store, sweep record)
       │ the graph, put once in Ray's object store    ▲ every ``poll_s``: pause/stop go down,
       ▼                                              │ the actor's TrialEvents come up
    TrialWorker actors, one per GPU slot (num_gpus = 1/slots_per_gpu) or per CPU worker
       each loads the graph once, then trains trial after trial with SequentialBackend's own
       trial handle (same progress rate, pause points, failure handling) and scores its finished
       trials itself (plan.scorer), so the expensive probe runs in parallel too

Why actors: on an H200, 27 Cora trials as plain Ray tasks (``num_gpus=0.25``) took 101 s, 8× one
after another, because every task imported torch, loaded the graph and initialised CUDA. An actor
pays that once per sweep (and the backend keeps its actors for the next sweep until ``close()``).

Ray places the actors (which node, which GPU; an actor waits while the cluster has no free slot);
the driver only hands the next trial to an actor that is free. With early stopping the stages are
SequentialBackend's: every live trial trains to the rung on the actor that holds its trainer, the
driver cuts with the same ``_cut``, and the kept ones go on. Events reach the runner from the
thread that called ``run_trials``, in the order each actor produced them; a snapshot crosses the
wire once (an event carries only the new ones and the epochs the trainer still keeps).

Pause: the actors pause at their next snapshot boundary and the sweep reports ``paused`` once all
running trials have; no new trial starts while paused. Stop reaches the trainers at once.

Ray: ``address`` (default: ``RAY_ADDRESS``) connects to a running cluster and ships this package
to it (``runtime_env`` ``py_modules``; the cluster needs torch and torch_geometric installed);
otherwise a local Ray is started with this machine's CPUs and GPUs; a Ray already initialised is
used as it is. Unlike SequentialBackend, a Ray sweep takes no slot of this process's admission
queue: Ray's own resources decide what runs where.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..config import TrainConfig
from ..errors import ConfigError, TrainingError
from ..graph import GraphBundle
from .backend import Backend, OnEvent, SequentialBackend, Trial, TrialEvent, TrialPlan
from .control import SweepControl
from .halving import stage_targets
from .metrics import Scorer

RAY_MISSING = "Ray is not installed: pip install -r requirements-ray.txt"
STOPPED = "The sweep was stopped."
_SNAPSHOT_KINDS = ("progress", "paused", "finished")  # events that carry the trainer's snapshot list


def import_ray():
    """The ``ray`` module, or a ``ConfigError`` that says how to install it."""
    try:
        import ray
    except ImportError:
        raise ConfigError(RAY_MISSING) from None
    return ray


# ---------------------------------------------------------------------------------------------- actor side
class TrialWorker:
    """Lives in a Ray worker process (``ray.remote`` wraps it when a backend starts workers): holds the
    graph, trains the trials the driver hands it and buffers their events until the next ``poll``."""

    def __init__(self, bundle: GraphBundle, trainer_factory: Callable, cpu_threads: int, gpu: bool):
        if not gpu:  # before CUDA starts: a CPU worker must not wander onto a GPU Ray gave to another
            os.environ["CUDA_VISIBLE_DEVICES"] = ""
        import torch

        torch.set_num_threads(max(1, cpu_threads))
        self.bundle = bundle
        self.local = SequentialBackend(bundle, trainer_factory=trainer_factory)
        self._lock = threading.Lock()
        self.begin(None, None)

    def begin(self, plan: TrialPlan | None, scorer_spec: tuple | None) -> dict:
        """A new sweep: its plan, a fresh control; returns where this worker runs."""
        if plan is not None and scorer_spec is not None:  # the scorer's graph is this worker's graph
            plan = TrialPlan(Scorer(self.bundle, *scorer_spec), plan.early_stop, plan.progress_interval_s)
        self.plan, self.control = plan, SweepControl()
        self.handles: dict = {}
        self._sent: dict[int, set] = {}
        with self._lock:
            self._events: list = []
        import ray

        return {"pid": os.getpid(), "node": ray.util.get_node_ip_address()}

    def poll(self, state: str) -> list:
        """Take the driver's control state (running | paused | stopped); return the events since the last poll."""
        self._apply(state)
        with self._lock:
            events, self._events = self._events, []
        return events

    def run_stage(self, trial: Trial, target: int, last: bool, state: str) -> dict:
        """Train ``trial`` to epoch ``target`` (starting it here if new); finish it when ``last``, else
        score the rung. ``ended``: the trial ended (any status); ``skipped``: stopped before it started."""
        self._apply(state)
        i = trial.index
        if i not in self.handles:
            if not self.control.checkpoint(lambda: self._emit(TrialEvent("paused", i)),
                                           lambda: self._emit(TrialEvent("resumed", i))):
                return {"ended": False, "skipped": True, "epoch": 0}
            self.handles[i] = self.local.open_trial(trial, self.plan, self._emit, self.control)
        h = self.handles[i]
        if not h.advance(target):
            del self.handles[i]
            return {"ended": True, "epoch": h.epoch}
        if last:
            self._end(i, "finished")
            return {"ended": True, "epoch": h.epoch}
        return {"ended": False, "score": h.rung_score(), "epoch": h.epoch}

    def finish(self, index: int, status: str, message: str = "") -> list:
        """End a trial held between rungs (pruned or stopped); returns the events since the last poll."""
        self._end(index, status, message)
        with self._lock:
            events, self._events = self._events, []
        return events

    def _end(self, index: int, status: str, message: str = "") -> None:
        h = self.handles.pop(index, None)
        if h is not None and not h.ended:
            h.finish(status, message)

    def _apply(self, state: str) -> None:
        if state == "stopped":
            self.control.stop()
        elif state == "paused":
            self.control.pause()
        else:
            self.control.resume()

    def _emit(self, ev: TrialEvent) -> None:
        """Buffer ``ev`` with only the snapshots the driver has not had, plus the epochs still kept."""
        kept = None
        if ev.kind in _SNAPSHOT_KINDS:
            sent = self._sent.get(ev.index, set())
            kept = [s.epoch for s in ev.snapshots]
            ev = copy.copy(ev)
            ev.snapshots = [s for s in ev.snapshots if s.epoch not in sent]
            self._sent[ev.index] = set(kept)
        with self._lock:
            self._events.append((ev, kept))


# --------------------------------------------------------------------------------------------- driver side
class RayBackend(Backend):
    """Trains a sweep's trials on Ray actors; see the module docstring."""

    name = "ray"

    def __init__(self, bundle: GraphBundle, *, address: str | None = None, workers: int | None = None,
                 slots_per_gpu: int | None = None, cpus_per_worker: float | None = None, num_cpus: int | None = None,
                 num_gpus: int | None = None, trainer_factory: Callable[[GraphBundle, TrainConfig], Any] | None = None,
                 options=None, ship_code: bool | None = None, startup_timeout_s: float = 180.0,
                 poll_s: float = 0.1):
        """``address``: a Ray cluster (``ray://host:10001``, ``auto``); default ``RAY_ADDRESS``, else a
        local Ray with ``num_cpus``/``num_gpus`` (default: all of this machine's).
        ``workers``: how many actors (default: GPU slots of the cluster, or its CPUs / ``cpus_per_worker``;
        never more than the trials). ``slots_per_gpu``: actors sharing one GPU (default ``gpu_slots``
        of the runtime options, 2). ``cpus_per_worker``: CPUs (and torch/BLAS threads) of an actor, for
        its probe (default: 1 on CPUs; with GPUs, a GPU node's CPUs shared by its GPU slots, so the
        actors of the smallest GPU node fit). ``trainer_factory``: what builds a trial's trainer in an actor
        (default ``Trainer`` with this process's ``RuntimeOptions``, so the actors run as this process
        would). ``ship_code``: send this package to the cluster (default: when connecting by address).
        ``startup_timeout_s``: how long the sweep waits for the first actor before it fails."""
        import_ray()
        from .. import options as runtime_options
        from ..trainer import Trainer

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
        self._started_ray = False
        self._actors: list = []
        self._actor_gpu: bool | None = None
        self._bundle_ref = None

    # ---- Ray and the actors -----------------------------------------------------------------------------
    def connect(self) -> list[dict]:
        """Start or join Ray (once); returns the cluster's nodes (``ray.nodes()``)."""
        ray = import_ray()
        if not ray.is_initialized():
            import logging

            env = {"py_modules": [str(Path(__file__).resolve().parents[1])]} if self.ship_code else None
            if self.address:
                ray.init(address=self.address, runtime_env=env, logging_level=logging.WARNING)
            else:
                ray.init(num_cpus=self.num_cpus, num_gpus=self.num_gpus, runtime_env=env, include_dashboard=False,
                         logging_level=logging.ERROR)  # not its notes on token files and signal handlers
            self._started_ray = True
        return ray.nodes()

    def worker_layout(self, device: str, trials: int, nodes: list[dict]) -> tuple[int, dict]:
        """``(number of actors, their Ray resources)`` for trials on ``device`` (auto, cpu or cuda) on the
        cluster's live ``nodes`` (as ``ray.nodes()`` lists them)."""
        live = [n.get("Resources", {}) for n in nodes if n.get("Alive", True)]
        gpus = sum(float(r.get("GPU", 0)) for r in live)
        if device.startswith("cuda") and gpus <= 0:
            raise ConfigError("You asked for the GPU (cuda), but the Ray cluster has no GPUs. Choose 'auto' or 'cpu'.")
        if device != "cpu" and gpus > 0:
            share = min(float(r.get("CPU", 0)) / (float(r["GPU"]) * self.slots_per_gpu) for r in live if r.get("GPU"))
            cpus = self.cpus_per_worker or max(1, int(share))
            n = self.workers or int(gpus * self.slots_per_gpu)
            res = {"num_gpus": 1.0 / self.slots_per_gpu, "num_cpus": cpus}
        else:
            cpus = self.cpus_per_worker or 1
            n = self.workers or int(sum(float(r.get("CPU", 0)) for r in live) // cpus)
            res = {"num_gpus": 0, "num_cpus": cpus}
        return max(1, min(n, trials)), res

    def _ensure_actors(self, n: int, res: dict) -> list:
        """Keep the actors of an earlier sweep when they fit (same kind), start the missing ones."""
        ray = import_ray()
        gpu = res["num_gpus"] > 0
        if self._actor_gpu is not None and self._actor_gpu != gpu:
            self._kill_actors()
        if self._bundle_ref is None:
            self._bundle_ref = ray.put(self.bundle)
        cls = ray.remote(max_concurrency=3)(TrialWorker)
        threads = max(1, int(res["num_cpus"]))
        while len(self._actors) < n:
            self._actors.append(cls.options(**res).remote(self._bundle_ref, self.trainer_factory, threads, gpu))
        self._actor_gpu = gpu
        return self._actors[:n]

    def _kill_actors(self) -> None:
        ray = import_ray()
        for a in self._actors:
            try:
                ray.kill(a)
            except Exception:  # noqa: BLE001 - already gone
                pass
        self._actors, self._actor_gpu = [], None

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
        n, res = self.worker_layout(trials[0].config.device, len(trials), self.connect())
        fresh = n - len(self._actors) if self._actor_gpu == (res["num_gpus"] > 0) else n
        actors = self._ensure_actors(n, res)
        if fresh > 0:
            where = f"{res['num_gpus']:g} GPU each" if res["num_gpus"] else f"{res['num_cpus']:g} CPU each"
            on_event(TrialEvent("waiting", trials[0].index,
                                message=f"Starting {fresh} Ray worker(s) ({where}); each loads the graph once."))
        scorer = plan.scorer
        spec = (scorer.metric, scorer.full) if type(scorer) is Scorer and scorer.bundle is self.bundle else None
        _Dispatch(self, actors, plan, spec, on_event, control).run(trials)


class _Dispatch:
    """One sweep on the actors: hands out stages, relays events, mirrors pause/stop, cuts at rungs."""

    def __init__(self, backend: RayBackend, actors: list, plan: TrialPlan, spec: tuple | None, on_event: OnEvent,
                 control: SweepControl):
        self.ray = import_ray()
        self.backend, self.plan, self.on_event, self.control = backend, plan, on_event, control
        shipped = dataclasses.replace(plan, scorer=None) if spec is not None else plan  # rebuilt on the actor
        self.starting = {a.begin.remote(shipped, spec): a for a in actors}
        self.idle: list = []
        self.busy: dict = {}  # run_stage ref -> (actor, trial index)
        self.home: dict = {}  # trial index -> the actor holding its trainer
        self.alive: list[int] = []  # trials not ended
        self.todo: list[int] = []  # trials still to train in this stage
        self.snaps: dict[int, dict] = {}
        self.started: set[int] = set()
        self.ended: set[int] = set()
        self.held_pause: dict = {}  # actor -> its "paused" event, until every busy actor has paused
        self.pause_told: int | None = None  # trial index the sweep's "paused" was reported for
        self.error: Exception | None = None  # why the last actor was lost

    # ---- main loop -------------------------------------------------------------------------------------------
    def run(self, trials: Sequence[Trial]) -> None:
        rungs = self.plan.early_stop.rungs if self.plan.early_stop else ()
        stages = {t.index: stage_targets(t.config.epochs, rungs) for t in trials}
        by_index = {t.index: t for t in trials}
        self.alive = [t.index for t in trials]
        t0 = time.perf_counter()
        try:
            for k in range(max(len(s) for s in stages.values())):
                self.todo = list(self.alive)
                scores, epochs = self._stage(by_index, stages, k, t0)
                if self.control.stopped:
                    break
                proxies = {i: _RemoteTrial(self, i, epochs[i]) for i in scores}
                for i in SequentialBackend._cut(scores, proxies, self.plan, self.on_event):
                    self._drop(i)
            for i in list(self.alive):
                if i in self.home:
                    _RemoteTrial(self, i, 0).finish("stopped", STOPPED)
        finally:
            self._tell_resumed()

    def _stage(self, by_index: dict, stages: dict, k: int, t0: float) -> tuple[dict, dict]:
        """Every trial of ``todo`` trains to its ``k``-th target; returns the rung scores and epochs."""
        scores, epochs = {}, {}
        while (self.todo and not self.control.stopped) or self.busy:
            self._start_ready(t0)
            if not self.control.paused and not self.control.stopped:
                self._dispatch(by_index, stages, k)
            for i, out in self._collect():
                if out.get("skipped"):
                    self.home.pop(i, None)
                elif out.get("ended"):
                    self._drop(i)
                else:
                    scores[i], epochs[i] = out["score"], out["epoch"]
            self._tell_paused()
            self._tell_resumed()
        return scores, epochs

    def _start_ready(self, t0: float) -> None:
        """Actors that finished starting become idle; fail when none can train what is left."""
        if self.starting:
            ready, _ = self.ray.wait(list(self.starting), num_returns=len(self.starting), timeout=0)
            for ref in ready:
                actor = self.starting.pop(ref)
                try:
                    self.ray.get(ref)
                    self.idle.append(actor)
                except self.ray.exceptions.RayError as e:
                    self._forget(actor, e)
        if self.idle or self.busy or not self.todo:
            return
        if not self.starting:
            raise TrainingError(f"The Ray workers stopped, so the sweep stopped: {_first_line(self.error)}")
        if time.perf_counter() - t0 > self.backend.startup_timeout_s:
            raise TrainingError(f"No Ray worker started within {self.backend.startup_timeout_s:.0f} s: the cluster "
                                "has no free slot for one (see `ray status`), or it is still installing packages.")

    def _dispatch(self, by_index: dict, stages: dict, k: int) -> None:
        """Hand each free actor the first trial it may run: a new one, or one whose trainer it holds."""
        for actor in list(self.idle):
            i = next((i for i in self.todo if self.home.get(i, actor) is actor), None)
            if i is None:
                continue
            self.todo.remove(i)
            self.idle.remove(actor)
            self.home[i] = actor
            s = stages[i]
            ref = actor.run_stage.remote(by_index[i], s[min(k, len(s) - 1)], k >= len(s) - 1, self._state())
            self.busy[ref] = (actor, i)

    def _collect(self) -> list[tuple[int, dict]]:
        """Wait up to ``poll_s`` for a stage to end, relay every busy actor's events, then return the
        ended stages ``(trial, result)`` (their events came first); a lost actor's trial fails."""
        refs = list(self.busy) + list(self.starting)
        if refs:
            self.ray.wait(refs, num_returns=1, timeout=self.backend.poll_s)
        else:
            time.sleep(self.backend.poll_s)
        done = self.ray.wait(list(self.busy), num_returns=len(self.busy), timeout=0)[0] if self.busy else []
        polls = {a: a.poll.remote(self._state()) for a in {a for a, _ in self.busy.values()}}
        for actor, ref in polls.items():
            try:
                self._relay(actor, self.ray.get(ref))
            except self.ray.exceptions.RayError:
                pass  # the stage's own result says what happened
        out = []
        for ref in done:
            actor, i = self.busy.pop(ref)
            self.held_pause.pop(actor, None)
            try:
                out.append((i, self.ray.get(ref)))
                self.idle.append(actor)
            except self.ray.exceptions.RayError as e:
                self._forget(actor, e)
        return out

    def _drop(self, i: int) -> None:
        """Trial ``i`` ended: no more stages for it."""
        for group in (self.alive, self.todo):
            if i in group:
                group.remove(i)
        self.home.pop(i, None)

    # ---- events ----------------------------------------------------------------------------------------------
    def _relay(self, actor, events: list) -> None:
        for ev, kept in events:
            if kept is not None:
                mine = self.snaps.setdefault(ev.index, {})
                for s in ev.snapshots:
                    s.embeddings = np.array(s.embeddings)  # own, writable memory, not Ray's shared buffer
                    mine[s.epoch] = s
                self.snaps[ev.index] = mine = {e: mine[e] for e in kept if e in mine}
                ev.snapshots = list(mine.values())
            if ev.kind == "paused":
                self.held_pause[actor] = ev  # told by _tell_paused once every running trial has paused
            elif ev.kind == "resumed":
                pass  # the sweep's "resumed" is told once, by _tell_resumed
            else:
                if ev.kind == "started":
                    self.started.add(ev.index)
                elif ev.kind == "finished":
                    self.ended.add(ev.index)
                    self.snaps.pop(ev.index, None)
                self.on_event(ev)

    def _tell_paused(self) -> None:
        """Report ``paused`` once the sweep really waits: every running trial paused (or none running)."""
        if not self.control.paused or self.control.stopped or self.pause_told is not None:
            return
        if self.busy and all(a in self.held_pause for a, _ in self.busy.values()):
            ev = min(self.held_pause.values(), key=lambda e: e.index)
        elif not self.busy and self.todo:
            ev = TrialEvent("paused", self.todo[0])
        else:
            return
        self.pause_told = ev.index
        self.on_event(ev)

    def _tell_resumed(self) -> None:
        """Report ``resumed`` once the pause is over (a stop ends it without one, as in SequentialBackend)."""
        if self.pause_told is not None and not self.control.paused:
            if not self.control.stopped:
                self.on_event(TrialEvent("resumed", self.pause_told))
            self.pause_told = None
        if not self.control.paused:
            self.held_pause.clear()

    def _state(self) -> str:
        return "stopped" if self.control.stopped else "paused" if self.control.paused else "running"

    # ---- failures --------------------------------------------------------------------------------------------
    def _trial_lost(self, i: int, err: Exception) -> None:
        """A trial whose actor died or whose stage raised: saved as failed, the sweep goes on."""
        self._drop(i)
        if i in self.ended:
            return
        if i not in self.started:
            self.on_event(TrialEvent("started", i))
            self.started.add(i)
        self.ended.add(i)
        self.on_event(TrialEvent("finished", i, status="failed",
                                 message=f"The Ray worker running this trial failed: {_first_line(err)}"))

    def _forget(self, actor, err: Exception) -> None:
        """Drop a lost actor; the trials it held (or was running) fail."""
        self.error = err
        for i, a in list(self.home.items()):
            if a is actor:
                self._trial_lost(i, err)
        if actor in self.idle:
            self.idle.remove(actor)
        if actor in self.backend._actors:
            self.backend._actors.remove(actor)


def _first_line(err: Exception | None) -> str:
    text = str(err or "").strip()
    return text.splitlines()[0] if text else type(err).__name__


class _RemoteTrial:
    """What ``SequentialBackend._cut`` needs of a trial (its epoch, ``finish``), for one held by an actor."""

    def __init__(self, dispatch: _Dispatch, index: int, epoch: int):
        self.dispatch, self.index, self.epoch = dispatch, index, epoch

    def finish(self, status: str, message: str = "") -> None:
        d = self.dispatch
        actor = d.home.get(self.index)
        try:
            d._relay(actor, d.ray.get(actor.finish.remote(self.index, status, message)))
        except d.ray.exceptions.RayError as e:
            d._trial_lost(self.index, e)
