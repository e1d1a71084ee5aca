"""The graph a tab's sweep belongs to: its results are shown only on that graph's Sweep page.

A tab has one sweep (``ui/sweep_jobs.py``) but may move to another graph afterwards; there the old
sweep's grids and table would read as results of the new graph. The page names the sweep's graph
instead and offers a way back to it, while Start makes a new sweep for the graph on screen.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from graphcl_core.sweep import SweepRunner

from . import graphs, state, sweep_setup
from .registry import Slot

UPLOAD = "upload:"


def belongs_here(runner: SweepRunner | None, graph_key: str | None) -> bool:
    """True when ``runner`` swept the graph ``graph_key`` (the page's)."""
    return runner is not None and runner.sweep.graph == graph_key


def tab_sweep(runner: SweepRunner | None, graph_key: str | None):
    """The ``SweepConfig`` of the tab's sweep when it belongs to ``graph_key``, else None."""
    return runner.sweep if belongs_here(runner, graph_key) else None


def elsewhere_note(runner: SweepRunner, graph_key: str) -> str:
    """What the page says instead of another graph's results."""
    other, here = graphs.title_of(runner.sweep.graph), graphs.title_of(graph_key)
    if not runner.done:
        return (f"This tab's sweep is running on **{other}**, not on {here}: its results are shown on that graph's "
                f"Sweep page. Pause and Stop act on it; Start is free once it has ended.")
    return (f"This tab's last sweep ran on **{other}**, so its results are not shown here, under {here}. "
            f"Start makes a sweep of {here}; the other sweep's trials stay saved on the Runs page.")


def go_back(slot: Slot, ss: MutableMapping[str, Any], runner: SweepRunner) -> None:
    """A callback: make the sweep's graph the tab's graph again (an uploaded one from the sweep's own copy),
    with the sweep's setup on the page, as a reload there would show it."""
    key = runner.sweep.graph
    if key.startswith(UPLOAD):
        key = graphs.set_uploaded(slot, runner.bundle, key[len(UPLOAD):])
    ss[state.GRAPH_KEY] = key
    sweep_setup.show_sweep(ss, runner.sweep)
