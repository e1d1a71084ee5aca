"""A run's live evaluations wait while a frame of the live view is laid out (they share the interpreter)."""

import threading

import pytest

from graphcl_core import projection
from graphcl_core.config import TrainConfig
from graphcl_core.loaders import load_graph
from graphcl_core.trainer import Trainer

CFG = TrainConfig(epochs=6, hidden=16, embedding_dim=8, eval_every=2, device="cpu", seed=0)


def _evaluated_epochs(trainer: Trainer) -> list[int]:
    return [r["epoch"] for r in trainer.history if "linear_probe_acc" in r]


def test_no_live_evaluation_starts_during_a_layout():
    bundle = load_graph("karate")
    with projection._UMAP_LOCK:  # a layout is running
        assert projection.layout_in_progress()
        busy = Trainer(bundle, CFG)
        busy.run()
    assert not projection.layout_in_progress()
    assert _evaluated_epochs(busy) == []
    free = Trainer(bundle, CFG)
    free.run()
    assert _evaluated_epochs(free)  # the same run evaluates when nothing is laid out


def test_live_evaluations_rest_as_long_as_they_ran(monkeypatch):
    """Back to back, evaluations would hold the interpreter the whole run: after one ends, none starts for
    as long again. The trainer's clock is a fake one here: the evaluation "takes" 0.3 s of it."""
    from types import SimpleNamespace

    from graphcl_core import evaluation
    from graphcl_core import trainer as trainer_module

    clock = SimpleNamespace(now=100.0)
    monkeypatch.setattr(trainer_module, "time", SimpleNamespace(perf_counter=lambda: clock.now))
    real = evaluation.evaluate

    def slow(*a, **k):
        clock.now += 0.3
        return real(*a, **k)

    monkeypatch.setattr(evaluation, "evaluate", slow)
    trainer = Trainer(load_graph("karate"), CFG.replace(epochs=4, eval_every=1))
    trainer._evaluate_async(trainer.take_snapshot())
    first = trainer._eval_thread
    first.join(30)
    assert trainer._eval_rest_until == pytest.approx(100.6)  # ended at 100.3 after 0.3: rests until 100.6
    clock.now = 100.5
    trainer._evaluate_async(trainer.take_snapshot())
    assert trainer._eval_thread is first  # still resting: the due evaluation is skipped
    clock.now = 100.7
    trainer._evaluate_async(trainer.take_snapshot())
    assert trainer._eval_thread is not first  # rested: the next one starts
    trainer.wait_for_evaluation()


def test_a_gpu_run_yields_the_interpreter_lock_while_a_first_frame_is_laid_out(monkeypatch):
    """``projection.first_frame`` marks the layout a person waits for; a GPU run sleeps before each epoch
    meanwhile (set here on a CPU run: the sleeps are counted, not timed), and not otherwise."""
    import graphcl_core.trainer as trainer_module

    sleeps, me, real_sleep = [], threading.current_thread(), trainer_module.time.sleep

    def counted(s):  # (time.sleep is global: other tests' leftover threads sleep too, and still may)
        sleeps.append(s) if threading.current_thread() is me else real_sleep(s)

    monkeypatch.setattr(trainer_module.time, "sleep", counted)
    t = Trainer(load_graph("karate"), TrainConfig(epochs=4, device="cpu", eval_every=0, hidden=8, embedding_dim=4))
    t.yields_to_first_frame = True
    t.run(2)
    assert sleeps == []
    with projection.first_frame():
        assert projection.first_frame_in_progress()
        t.run(2)
    assert not projection.first_frame_in_progress()
    assert sleeps == [trainer_module.FIRST_FRAME_YIELD_S] * 2
