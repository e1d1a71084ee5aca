"""Trainer: every mode runs, same seed gives the same losses, control from another thread, failures are clear."""

import itertools
import threading
import time

import numpy as np
import pytest
import torch

from graphcl_core.config import ENCODERS, LOSSES, PAIR_STRATEGIES, TrainConfig
from graphcl_core.errors import ConfigError, TrainingError
from graphcl_core.trainer import Trainer

SMALL = dict(hidden=16, embedding_dim=8, epochs=4, eval_every=0, device="cpu")


@pytest.mark.parametrize("loss,pairs", list(itertools.product(LOSSES, PAIR_STRATEGIES)))
def test_every_loss_and_pair_strategy_trains(tiny_graph, loss, pairs):
    t = Trainer(tiny_graph, TrainConfig(loss=loss, pairs=pairs, **SMALL))
    t.run()
    assert t.epoch == 4 and len(t.history) == 4
    assert all(np.isfinite(r["loss"]) for r in t.history)


@pytest.mark.parametrize("encoder", ENCODERS)
def test_every_encoder_trains_and_embeds(tiny_graph, encoder):
    cfg = TrainConfig(encoder=encoder, layers=3, dropout=0.1, projection_head=True, activation="elu", **SMALL)
    t = Trainer(tiny_graph, cfg)
    t.run()
    emb = t.embeddings()
    assert emb.shape == (tiny_graph.num_nodes, 8) and torch.isfinite(emb).all()


def test_margin_loss_decreases(tiny_graph):
    t = Trainer(tiny_graph, TrainConfig(hidden=32, embedding_dim=16, epochs=80, eval_every=0, lr=0.01, device="cpu"))
    t.run()
    first = np.mean([r["loss"] for r in t.history[:5]])
    last = np.mean([r["loss"] for r in t.history[-5:]])
    assert last < 0.8 * first


def test_same_seed_same_losses_different_seed_different(tiny_graph):
    cfg = TrainConfig(**{**SMALL, "epochs": 6})
    runs = []
    for seed in (3, 3, 4):
        t = Trainer(tiny_graph, cfg.replace(seed=seed))
        t.run()
        runs.append([r["loss"] for r in t.history])
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_loss_is_read_back_in_batches(tiny_graph):
    t = Trainer(tiny_graph, TrainConfig(**{**SMALL, "epochs": 7, "loss_sync_every": 3}))
    for _ in range(4):
        t.step()
    assert len(t.history) == 3  # epochs 1-3 read; epoch 4 still on the device
    t.flush_losses()
    assert [r["epoch"] for r in t.history] == [1, 2, 3, 4]


def test_snapshots_are_bounded_and_span_the_run(tiny_graph):
    t = Trainer(tiny_graph, TrainConfig(**{**SMALL, "epochs": 40, "snapshot_every": 1, "max_snapshots": 8}))
    t.run()
    snaps = t.snapshot_list()
    assert len(snaps) <= 8
    assert snaps[0].epoch == 0 and snaps[-1].epoch == 40
    assert snaps[-1].embeddings.dtype == np.float16 and snaps[-1].embeddings.shape == (60, 8)


def _wait_until(cond, timeout: float = 60.0) -> bool:
    deadline = time.time() + timeout
    while not cond() and time.time() < deadline:
        time.sleep(0.01)
    return cond()


def test_pause_resume_step_and_stop_from_another_thread(tiny_graph):
    """Starts paused and steps explicitly, so every epoch count below is exact on any machine."""
    t = Trainer(tiny_graph, TrainConfig(**{**SMALL, "epochs": 100_000}))
    t.pause()
    th = threading.Thread(target=t.run)
    th.start()
    try:
        time.sleep(0.3)  # paused from the start: no epoch may run, however long we wait
        assert t.epoch == 0 and t.paused
        t.request_step()
        assert _wait_until(lambda: t.epoch >= 1)
        t.request_step()
        t.request_step()
        assert _wait_until(lambda: t.epoch >= 3)
        time.sleep(0.3)
        assert t.epoch == 3 and t.paused  # exactly one epoch a step
        t.resume()
        assert _wait_until(lambda: t.epoch >= 8), f"resumed, but only reached epoch {t.epoch}"
    finally:
        t.stop()
        th.join(10)
    assert not th.is_alive()


def test_steps_not_yet_run_are_dropped_on_resume(tiny_graph):
    """Step x3 while paused, Resume before they run, Pause again: no epoch may run after that Pause."""
    t = Trainer(tiny_graph, TrainConfig(**{**SMALL, "epochs": 100_000}))
    t.pause()
    for _ in range(3):
        t.request_step()
    t.resume()
    t.pause()  # nothing has run yet: the three Steps belonged to the earlier pause
    th = threading.Thread(target=t.run)
    th.start()
    try:
        time.sleep(0.3)
        assert t.epoch == 0 and t.paused
        t.request_step()  # a Step clicked now still counts, exactly once
        assert _wait_until(lambda: t.epoch >= 1)
        time.sleep(0.2)
        assert t.epoch == 1
    finally:
        t.stop()
        th.join(10)
    assert not th.is_alive()


def test_nan_loss_stops_with_a_clear_message(tiny_graph):
    tiny_graph.data.x[0, 0] = float("nan")
    t = Trainer(tiny_graph, TrainConfig(**SMALL))
    with pytest.raises(TrainingError, match="learning rate"):
        t.run()


def test_labels_strategy_needs_labels(tiny_graph):
    tiny_graph.data.y = torch.full_like(tiny_graph.data.y, -1)
    with pytest.raises(ConfigError, match="labels"):
        Trainer(tiny_graph, TrainConfig(pairs="labels", **SMALL))


def test_pair_distances_report_margin_and_both_kinds(tiny_graph):
    t = Trainer(tiny_graph, TrainConfig(**SMALL))
    d = t.pair_distances(max_pairs=50)
    assert d["margin"] == t.cfg.margin and len(d["positive"]) == 50 and len(d["negative"]) == 50
    assert (d["positive"] >= 0).all() and d["units"] == "squared distance"


def test_looking_at_pair_distances_does_not_change_a_seeded_run(tiny_graph):
    cfg = TrainConfig(**{**SMALL, "epochs": 6})
    a = Trainer(tiny_graph, cfg)
    a.run()
    b = Trainer(tiny_graph, cfg)
    for _ in range(6):
        b.pair_distances(max_pairs=20)
        b.embeddings()
        b.step()
    b.flush_losses()
    assert [r["loss"] for r in a.history] == [r["loss"] for r in b.history]
