"""How densely a run keeps snapshots: every epoch for small graphs, evenly sparser within the budget."""

from __future__ import annotations

from graphcl_core.config import (MIN_SNAPSHOTS, PLAYBACK_BUDGET_BYTES, SNAPSHOT_BUDGET_BYTES, TrainConfig,
                                 snapshot_capacity, snapshot_interval)
from graphcl_core.trainer import Trainer

SMALL = dict(hidden=16, embedding_dim=8, device="cpu", eval_every=0)


def test_small_graph_keeps_every_epoch():
    karate = TrainConfig(epochs=800)  # 34 nodes × 128 float16 = 8.7 kB a snapshot
    assert snapshot_interval(karate, 34) == 1
    assert snapshot_capacity(34, 128, karate.max_snapshots) >= 801


def test_cora_is_spread_evenly_within_the_playback_budget():
    cfg = TrainConfig(epochs=200)
    every = snapshot_interval(cfg, 2708)
    frames = cfg.epochs // every + 1
    assert every > 1
    assert frames * 2708 * 128 * 2 <= PLAYBACK_BUDGET_BYTES
    # but no sparser than needed: one epoch less between snapshots would not fit
    assert (cfg.epochs // (every - 1) + 1) * 2708 * 128 * 2 > PLAYBACK_BUDGET_BYTES


def test_large_graph_keeps_the_minimum_count_under_the_hard_cap():
    # 20k nodes × 128: the playback budget holds only 13, so the run keeps MIN_SNAPSHOTS (256 MiB cap allows 52)
    per = 20_000 * 128 * 2
    assert snapshot_capacity(20_000, 128, 1000) == min(MIN_SNAPSHOTS, SNAPSHOT_BUDGET_BYTES // per)
    assert snapshot_capacity(10**7, 128, 1000) == 2  # never fewer than the first and the last


def test_a_wider_chosen_interval_and_max_snapshots_are_respected():
    assert snapshot_interval(TrainConfig(epochs=200, snapshot_every=7), 34) == 7
    assert snapshot_interval(TrainConfig(epochs=100, max_snapshots=11), 34) == 10


def test_trainer_snapshots_every_epoch_of_a_small_run(tiny_graph):
    t = Trainer(tiny_graph, TrainConfig(**SMALL, epochs=25))
    t.run()
    assert [s.epoch for s in t.snapshot_list()] == list(range(26))


def test_trainer_spreads_snapshots_evenly_when_capped(tiny_graph):
    t = Trainer(tiny_graph, TrainConfig(**SMALL, epochs=40, max_snapshots=9))
    t.run()
    assert [s.epoch for s in t.snapshot_list()] == list(range(0, 41, 5))
