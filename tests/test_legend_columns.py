"""The projection's legend columns fit every entry's name, also the selection's ring added after the figure
was made (Explore at 1400 px showed "selected (1)" cut to "selecte": the columns were sized for 'red')."""

from __future__ import annotations

import numpy as np

from tests.conftest import planted_partition
from ui import figures, linked, sources


def _column_fits(fig, name: str) -> bool:
    """Whether the legend's equal columns are as wide as ``name`` needs (5.6 px a character at 12 px, and a margin)."""
    return fig.layout.legend.entrywidthmode == "pixels" and fig.layout.legend.entrywidth >= 8 + 5.6 * len(name)


def test_a_selection_ring_widens_the_legend_columns_to_its_name():
    bundle = planted_partition()
    bundle.label_names = ["red", "blue", "green"]  # short names, as in the stranger's graph
    nodes = sources.nodes_from_bundle(bundle)
    coords = np.random.default_rng(0).uniform(-1, 1, size=(nodes.n, 2))
    fig = figures.projection_figure(coords, np.arange(nodes.n), nodes, figures.colour_by_label(nodes))
    assert _column_fits(fig, "green") and not _column_fits(fig, "selected (12)")
    assert linked.mark_selected(fig, coords, np.arange(nodes.n), nodes, tuple(range(12))) == 12
    assert _column_fits(fig, "selected (12)")


def test_the_graph_drawing_keeps_its_own_legend():
    """The drawing's legend is a column beside the plot, without equal columns: a ring leaves it alone."""
    nodes = sources.nodes_from_bundle(planted_partition())
    fig = figures.projection_figure(np.zeros((nodes.n, 2)), np.arange(nodes.n), nodes, figures.colour_by_label(nodes))
    fig.layout.legend.entrywidth = None
    linked.mark_selected(fig, np.zeros((nodes.n, 2)), np.arange(nodes.n), nodes, (1,))
    assert fig.layout.legend.entrywidth is None
