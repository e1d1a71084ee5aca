"""A GPU layout waits (briefly) for runs about to capture their CUDA graph (``fast.graphed_step``).

While a layout holds ``CAPTURE_LOCK`` a starting run cannot capture, so it trains eagerly, taking the
interpreter lock from the layout; on an H200 the first UMAP frame beside a starting run took 1.1 s
instead of 0.33 s. These tests use a fake clock or events, never elapsed time."""

from __future__ import annotations

import threading

import pytest

from graphcl_core.fast import graphed_step as gs


@pytest.fixture(autouse=True)
def _no_leftovers():
    gs._pending.clear()
    yield
    gs._pending.clear()


class _Run:
    pass


def test_nothing_announced_means_no_wait():
    assert gs.wait_for_pending_captures(0.0)


def test_a_pending_capture_is_waited_for_until_it_settles():
    run, waiting, result = _Run(), threading.Event(), []
    gs.announce_capture(run)
    assert not gs.wait_for_pending_captures(0.0)  # no time to wait: still pending

    def layout():
        waiting.set()
        result.append(gs.wait_for_pending_captures(60.0))

    t = threading.Thread(target=layout)
    t.start()
    waiting.wait(10)
    gs.capture_settled(run)
    t.join(30)
    assert result == [True]


def test_an_announcement_expires_so_a_run_that_never_started_holds_nothing_up():
    now = [100.0]
    gs._pending[id(_Run())] = 100.0
    assert not gs.wait_for_pending_captures(0.0, clock=lambda: now[0])
    now[0] += gs.PENDING_EXPIRES_S
    assert gs.wait_for_pending_captures(0.0, clock=lambda: now[0])


def test_settling_twice_or_without_announcing_is_harmless():
    run = _Run()
    gs.capture_settled(run)
    gs.announce_capture(run)
    gs.capture_settled(run)
    gs.capture_settled(run)
    assert gs.wait_for_pending_captures(0.0)
