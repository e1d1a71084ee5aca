"""``ActorRelay``: what every way of running a sweep on Ray actors shares on the driver. It waits for
the actors to start, polls the busy ones every ``poll_s`` (pause/stop go down, their ``TrialEvent``s
come up and reach the runner from this thread, in the order each actor produced them), rebuilds each
trial's snapshot list from the new snapshots an event carries, reports one ``paused`` for the whole
sweep once every busy actor has paused, and fails the trials of an actor that is lost.

Subclasses (``ray_dispatch.StageDispatch``: one trial a call; ``ray_batches.BatchDispatch``: a share
of trials a call) decide what a call is (its *payload*) and what a lost call means for its trials.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from ..errors import TrainingError
from .backend import OnEvent, TrialEvent, TrialPlan
from .control import SweepControl
from .ray_support import LOST, first_line, import_ray


def new_stats() -> dict:
    """Where a sweep's driver time goes (``RayBackend.last_stats``; the benchmark prints it): relaying
    the actors' events (Ray's transfer, the snapshots' copy) and the runner's handling of them (run
    files), how many snapshots came as spool files (``ray_spool``) instead, how long each batched share
    took on its actor and when it ran (``share_spans``: its start and end, seconds after the dispatch began)."""
    return {"polls": 0, "events": 0, "snapshot_mb": 0.0, "spooled": 0, "relay_seconds": 0.0, "runner_seconds": 0.0,
            "share_seconds": [], "share_spans": []}


class ActorRelay:
    def __init__(self, backend, actors: list, plan: TrialPlan, spec: tuple | None, on_event: OnEvent,
                 control: SweepControl):
        """``spec``: ``(metric, full)`` when the actors rebuild ``plan.scorer`` on their own graph."""
        self.ray = import_ray()
        self.backend, self.plan, self.on_event, self.control = backend, plan, on_event, control
        shipped = dataclasses.replace(plan, scorer=None) if spec is not None else plan  # rebuilt on the actor
        self.starting = {a.begin.remote(shipped, spec): a for a in actors}
        self.idle: list = []
        self.busy: dict = {}  # ref of a running call -> (actor, payload)
        self.snaps: dict[int, dict] = {}
        self.started: set[int] = set()
        self.ended: set[int] = set()
        self.held_pause: dict = {}  # actor -> its "paused" event, until every busy actor has paused
        self.pause_told: int | None = None  # trial index the sweep's "paused" was reported for
        self.error: Exception | None = None  # why the last actor was lost
        self.t0 = time.perf_counter()
        self.wall0 = time.time()  # (the actors' own clocks say when their shares ran: share_spans)
        self.stats = backend.last_stats  # the sweep's (new_stats), shared by its dispatches

    # ---- what a subclass says ------------------------------------------------------------------------
    def has_work(self) -> bool:
        """Calls still to hand out."""
        raise NotImplementedError

    def waiting_trial(self) -> int | None:
        """The first trial waiting for an actor (the sweep's ``paused`` names it when nothing runs)."""
        raise NotImplementedError

    def call_failed(self, actor, payload: Any, err: Exception) -> None:
        """A call raised or its actor died: fail what it was training."""
        raise NotImplementedError

    def held_by(self, actor) -> list[int]:
        """Trials whose state lives on ``actor`` beyond its running call (fail with it when it is lost)."""
        return []

    def dropped(self, i: int) -> None:
        """Trial ``i`` ended outside the actors' own events (lost): forget it in the subclass's books."""

    # ---- the actors ------------------------------------------------------------------------------------
    def start_ready(self) -> None:
        """Actors that finished starting become idle; fail when none can train what is left."""
        if self.starting:
            ready, _ = self.ray.wait(list(self.starting), num_returns=len(self.starting), timeout=0)
            for ref in ready:
                actor = self.starting.pop(ref)
                try:
                    self.ray.get(ref)
                    self.idle.append(actor)
                except self.ray.exceptions.RayError as e:
                    self.forget(actor, e)
        if self.idle or self.busy or not self.has_work():
            return
        if not self.starting:
            raise TrainingError(f"The Ray workers stopped, so the sweep stopped: {first_line(self.error)}")
        if time.perf_counter() - self.t0 > self.backend.startup_timeout_s:
            raise TrainingError(f"No Ray worker started within {self.backend.startup_timeout_s:.0f} s: the cluster "
                                "has no free slot for one (see `ray status`), or it is still installing packages.")

    def submit(self, actor, ref, payload: Any) -> None:
        self.idle.remove(actor)
        self.busy[ref] = (actor, payload)

    def collect(self) -> list[tuple[Any, dict]]:
        """Wait up to ``poll_s`` for a call to end, relay every busy actor's events, then return the
        ended calls ``(payload, result)`` (their events came first); a failed call goes to ``call_failed``."""
        refs = list(self.busy) + list(self.starting)
        if refs:
            self.ray.wait(refs, num_returns=1, timeout=self.backend.poll_s)
        else:
            time.sleep(self.backend.poll_s)
        done = self.ray.wait(list(self.busy), num_returns=len(self.busy), timeout=0)[0] if self.busy else []
        polls = {a: a.poll.remote(self.state()) for a in {a for a, _ in self.busy.values()}}
        for actor, ref in polls.items():
            t0 = time.perf_counter()
            try:
                events = self.ray.get(ref)
            except self.ray.exceptions.RayError:
                continue  # the call's own result says what happened
            finally:
                self.stats["relay_seconds"] += time.perf_counter() - t0
            self.stats["polls"] += 1
            self.relay(actor, events)
        out = []
        for ref in done:
            actor, payload = self.busy.pop(ref)
            self.held_pause.pop(actor, None)
            try:
                out.append((payload, self.ray.get(ref)))
                self.idle.append(actor)
            except self.ray.exceptions.RayError as e:
                self.call_failed(actor, payload, e)
        return out

    def stop_busy(self) -> None:
        """Tell every busy actor to stop (the driver is leaving on an error: nothing of theirs would be
        saved, and the sweep's spool folder goes away)."""
        for actor, _ in list(self.busy.values()):
            try:
                actor.poll.remote("stopped")
            except Exception:  # noqa: BLE001 - already gone
                pass

    def forget(self, actor, err: Exception) -> None:
        """Drop a lost actor (for this sweep and the backend's next); the trials it held fail."""
        self.error = err
        for i in self.held_by(actor):
            self.trial_lost(i, err)
        if actor in self.idle:
            self.idle.remove(actor)
        if actor in self.backend._actors:
            self.backend._actors.remove(actor)

    def actor_died(self, err: Exception) -> bool:
        """The actor itself is gone (its process or node), not just one call that raised."""
        return isinstance(err, self.ray.exceptions.RayActorError)

    # ---- events ----------------------------------------------------------------------------------------
    def relay(self, actor, events: list) -> None:
        for ev, kept in events:
            t0 = time.perf_counter()
            self.stats["events"] += 1
            if kept is not None:
                mine = self.snaps.setdefault(ev.index, {})
                for s in ev.snapshots:
                    if s.embeddings is not None:  # (else the actor wrote it to the spool: ray_spool)
                        s.embeddings = np.array(s.embeddings)  # own, writable memory, not Ray's shared buffer
                        self.stats["snapshot_mb"] += s.embeddings.nbytes / 2**20
                    else:
                        self.stats["spooled"] += 1
                    mine[s.epoch] = s
                self.snaps[ev.index] = mine = {e: mine[e] for e in kept if e in mine}
                ev.snapshots = list(mine.values())
            if ev.kind == "paused":
                self.held_pause[actor] = ev  # told by tell_paused once every running trial has paused
            elif ev.kind == "resumed":
                pass  # the sweep's "resumed" is told once, by tell_resumed
            else:
                if ev.kind == "started":
                    self.started.add(ev.index)
                elif ev.kind == "finished":
                    self.ended.add(ev.index)
                    self.snaps.pop(ev.index, None)
                t1 = time.perf_counter()
                self.on_event(ev)
                self.stats["runner_seconds"] += time.perf_counter() - t1
                t0 += time.perf_counter() - t1
            self.stats["relay_seconds"] += time.perf_counter() - t0

    def tell_paused(self) -> None:
        """Report ``paused`` once the sweep really waits: every busy actor paused (or none busy)."""
        if not self.control.paused or self.control.stopped or self.pause_told is not None:
            return
        if self.busy and all(a in self.held_pause for a, _ in self.busy.values()):
            ev = min(self.held_pause.values(), key=lambda e: e.index)
        elif not self.busy and self.waiting_trial() is not None:
            ev = TrialEvent("paused", self.waiting_trial())
        else:
            return
        self.pause_told = ev.index
        self.on_event(ev)

    def tell_resumed(self) -> None:
        """Report ``resumed`` once the pause is over (a stop ends it without one, as in SequentialBackend)."""
        if self.pause_told is not None and not self.control.paused:
            if not self.control.stopped:
                self.on_event(TrialEvent("resumed", self.pause_told))
            self.pause_told = None
        if not self.control.paused:
            self.held_pause.clear()

    def state(self) -> str:
        return "stopped" if self.control.stopped else "paused" if self.control.paused else "running"

    def trial_lost(self, i: int, err: Exception) -> None:
        """A trial whose actor died or whose call raised: saved as failed, the sweep goes on."""
        self.dropped(i)
        if i in self.ended:
            return
        if i not in self.started:
            self.on_event(TrialEvent("started", i))
            self.started.add(i)
        self.ended.add(i)
        self.snaps.pop(i, None)
        self.on_event(TrialEvent("finished", i, status="failed", message=LOST + first_line(err)))
