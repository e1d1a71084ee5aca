"""``StageDispatch``: a sweep on Ray actors one trial a call, stage by stage.

The driver hands the next trial to an actor that is free. With early stopping the stages are
``SequentialBackend``'s: every live trial trains to the rung on the actor that holds its trainer,
the driver cuts with the same ``_cut`` across ALL actors' trials, and the kept ones go on.
"""

from __future__ import annotations

from typing import Sequence

from .backend import SequentialBackend, Trial
from .halving import stage_targets
from .ray_relay import ActorRelay
from .ray_support import STOPPED


class StageDispatch(ActorRelay):
    """Hands out stages, relays events (``ActorRelay``), cuts at rungs."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.home: dict = {}  # trial index -> the actor holding its trainer
        self.alive: list[int] = []  # trials not ended
        self.todo: list[int] = []  # trials still to train in this stage

    def run(self, trials: Sequence[Trial]) -> None:
        rungs = self.plan.early_stop.rungs if self.plan.early_stop else ()
        stages = {t.index: stage_targets(t.config.epochs, rungs) for t in trials}
        by_index = {t.index: t for t in trials}
        self.alive = [t.index for t in trials]
        try:
            for k in range(max(len(s) for s in stages.values())):
                self.todo = list(self.alive)
                scores, epochs = self._stage(by_index, stages, k)
                if self.control.stopped:
                    break
                proxies = {i: _RemoteTrial(self, i, epochs[i]) for i in scores}
                for i in SequentialBackend._cut(scores, proxies, self.plan, self.on_event):
                    self.dropped(i)
            for i in list(self.alive):
                if i in self.home:
                    _RemoteTrial(self, i, 0).finish("stopped", STOPPED)
        except BaseException:
            self.stop_busy()
            raise
        finally:
            self.tell_resumed()

    def _stage(self, by_index: dict, stages: dict, k: int) -> tuple[dict, dict]:
        """Every trial of ``todo`` trains to its ``k``-th target; returns the rung scores and epochs."""
        scores, epochs = {}, {}
        while (self.todo and not self.control.stopped) or self.busy:
            self.start_ready()
            if not self.control.paused and not self.control.stopped:
                self._dispatch(by_index, stages, k)
            for i, out in self.collect():
                if out.get("skipped"):
                    self.home.pop(i, None)
                elif out.get("ended"):
                    self.dropped(i)
                else:
                    scores[i], epochs[i] = out["score"], out["epoch"]
            self.tell_paused()
            self.tell_resumed()
        return scores, epochs

    def _dispatch(self, by_index: dict, stages: dict, k: int) -> None:
        """Hand each free actor the first trial it may run: a new one, or one whose trainer it holds."""
        for actor in list(self.idle):
            i = next((i for i in self.todo if self.home.get(i, actor) is actor), None)
            if i is None:
                continue
            self.todo.remove(i)
            self.home[i] = actor
            s = stages[i]
            self.submit(actor, actor.run_stage.remote(by_index[i], s[min(k, len(s) - 1)], k >= len(s) - 1,
                                                      self.state()), i)

    # ---- ActorRelay's questions -------------------------------------------------------------------------
    def has_work(self) -> bool:
        return bool(self.todo)

    def waiting_trial(self) -> int | None:
        return self.todo[0] if self.todo else None

    def held_by(self, actor) -> list[int]:
        return [i for i, a in self.home.items() if a is actor]

    def call_failed(self, actor, i: int, err: Exception) -> None:
        self.forget(actor, err)  # its trainers (this trial's and any held between rungs) are gone with it

    def dropped(self, i: int) -> None:
        for group in (self.alive, self.todo):
            if i in group:
                group.remove(i)
        self.home.pop(i, None)


class _RemoteTrial:
    """What ``SequentialBackend._cut`` needs of a trial (its epoch, ``finish``), for one held by an actor."""

    def __init__(self, dispatch: StageDispatch, index: int, epoch: int):
        self.dispatch, self.index, self.epoch = dispatch, index, epoch

    def finish(self, status: str, message: str = "") -> None:
        d = self.dispatch
        actor = d.home.get(self.index)
        try:
            d.relay(actor, d.ray.get(actor.finish.remote(self.index, status, message)))
        except d.ray.exceptions.RayError as e:
            d.trial_lost(self.index, e)
