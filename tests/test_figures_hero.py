"""The projection as the hero of the live view: equal aspect, a cloud that fills its plot, markers sized
by node count, a compact legend (ui/figures.py, ui/projection_frame.py)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from ui import figures
from ui.projection_frame import STEP, axis_ranges, marker_size
from ui.sources import NodeInfo

OLD_RANGE = [-1.15, 1.15]  # the fixed square the projection used to be drawn in


def fill_fraction(coords: np.ndarray, ranges: list[list[float]], panel_aspect: float) -> float:
    """Share of the plot area covered by the bounding box of the points in view, drawn with equal aspect
    in a plot area ``panel_aspect`` (width / height) wide: as Plotly's ``scaleanchor`` does, the
    shorter range is widened about its centre to the panel's shape."""
    (x0, x1), (y0, y1) = ranges
    w, h = x1 - x0, y1 - y0
    if w / h < panel_aspect:
        w = h * panel_aspect
    else:
        h = w / panel_aspect
    inside = (coords[:, 0] >= x0) & (coords[:, 0] <= x1) & (coords[:, 1] >= y0) & (coords[:, 1] <= y1)
    c = coords[inside]
    return float(np.ptp(c[:, 0]) * np.ptp(c[:, 1]) / (w * h))


def normalised(raw: np.ndarray) -> np.ndarray:
    """As graphcl_core.projection hands frames over: centred, ~99 % of values in [-1, 1]."""
    c = raw - raw.mean(0)
    return (c / np.quantile(np.abs(c), 0.99)).astype(np.float32)


def nodes_of(n: int, k: int = 3) -> NodeInfo:
    names = [f"class_{i}" for i in range(k)]
    ids = np.arange(n) % k
    return NodeInfo(names=[f"n{i}" for i in range(n)], labels=[names[i] for i in ids], label_ids=ids,
                    label_names=names, degrees=np.ones(n, int), edge_index=np.zeros((2, 0), int))


def test_fill_fraction_measures_what_it_says():
    square = np.array([[-1, -1], [1, 1]], float)
    assert fill_fraction(square, [[-1, 1], [-1, 1]], 1.0) == pytest.approx(1.0)
    assert fill_fraction(square, [[-2, 2], [-2, 2]], 1.0) == pytest.approx(0.25)
    assert fill_fraction(square, [[-1, 1], [-1, 1]], 2.0) == pytest.approx(0.5)  # widened to 4 x 2


def test_ranges_hug_the_cloud_with_a_small_margin():
    rng = np.random.default_rng(0)
    c = normalised(rng.normal(size=(500, 2)) * [1.0, 0.6])
    (x0, x1), (y0, y1) = axis_ranges(c)
    assert x0 < c[:, 0].min() and x1 > c[:, 0].max() and y0 < c[:, 1].min() and y1 > c[:, 1].max()
    for lo, hi, v in ((x0, x1, c[:, 0]), (y0, y1, c[:, 1])):
        assert (hi - lo) <= np.ptp(v) * 1.06 + 2 * STEP + 1e-6
    assert fill_fraction(c, axis_ranges(c), 1 / 0.6) >= 0.8


def test_a_few_far_outliers_do_not_squash_the_cloud():
    rng = np.random.default_rng(1)
    c = np.vstack([rng.uniform(-1, 1, size=(2000, 2)), [[9.0, 9.0], [-7.0, 8.0]]]).astype(np.float32)
    r = axis_ranges(c)
    assert fill_fraction(c, r, 1.0) >= 0.8
    assert fill_fraction(c[:2000], [[-9.5, 9.5], [-9.5, 9.5]], 1.0) < 0.05  # the bulk, had they been kept


def test_ranges_move_at_most_a_step_between_consecutive_frames():
    rng = np.random.default_rng(2)
    c = normalised(rng.normal(size=(800, 2)))
    r0 = axis_ranges(c)
    for _ in range(20):
        c = normalised(c + rng.normal(scale=0.01, size=c.shape))
        r1 = axis_ranges(c)
        assert np.abs(np.asarray(r1) - np.asarray(r0)).max() <= STEP + 1e-9
        r0 = r1


def test_cora_cloud_fills_at_least_70_percent_of_the_plot(planetoid_dir):
    from graphcl_core.loaders.planetoid import load_planetoid

    x = load_planetoid("Cora", data_dir=planetoid_dir).data.x.numpy().astype(np.float64)
    x = x - x.mean(0)
    u, s, _ = np.linalg.svd(x, full_matrices=False)
    c = normalised(u[:, :2] * s[:2])  # Cora's features by PCA: a lopsided, long-tailed cloud
    fill = fill_fraction(c, axis_ranges(c), 1.0)
    old = fill_fraction(c, [OLD_RANGE, OLD_RANGE], 1.0)
    print(f"Cora PCA: the cloud covers {fill:.0%} of a square plot (fixed ±1.15 ranges: {old:.0%})")
    assert fill >= 0.70 and fill > old


def test_marker_sizes_scale_with_node_count():
    karate, cora, big = marker_size(34), marker_size(2708), marker_size(100_000)
    assert karate >= 10 and 5 <= cora <= 8 and big <= 3 and karate > cora > big
    assert marker_size(2708, three_d=True) < cora
    assert isinstance(figures.projection_figure(np.zeros((6000, 2)), np.arange(6000), nodes_of(6000),
                                                figures.colour_by_label(nodes_of(6000))).data[0], go.Scattergl)


def test_projection_figure_has_equal_aspect_fitted_ranges_and_a_legend_under_it():
    n = 90
    nodes = nodes_of(n)
    c = normalised(np.random.default_rng(3).normal(size=(n, 2)) * [1.0, 0.5])
    fig = figures.projection_figure(c, np.arange(n), nodes, figures.colour_by_label(nodes), uirevision="u")
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio == 1
    assert list(fig.layout.xaxis.range) == axis_ranges(c)[0] and list(fig.layout.yaxis.range) == axis_ranges(c)[1]
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.y <= 0
    assert [t.name for t in fig.data] == ["class 0", "class 1", "class 2"]  # readable names
    assert fig.layout.uirevision == "u"
    deg = figures.projection_figure(c, np.arange(n), nodes, figures.colour_by_degree(nodes))
    assert deg.data[0].marker.colorbar.orientation == "h"


def test_3d_projection_keeps_equal_aspect():
    n = 60
    nodes = nodes_of(n)
    c = normalised(np.random.default_rng(4).normal(size=(n, 3)) * [1.0, 0.5, 0.25])
    scene = figures.projection_figure(c, np.arange(n), nodes, figures.colour_by_label(nodes)).layout.scene
    spans = [r[1] - r[0] for r in axis_ranges(c)]
    assert scene.aspectmode == "manual"
    ratio = [scene.aspectratio.x, scene.aspectratio.y, scene.aspectratio.z]
    assert ratio == pytest.approx([s / max(spans) for s in spans])


def test_nodes_per_label_bars_wear_their_labels_colours_with_unlabelled_nodes_too():
    """The Graph page's bar of label k is the drawing's colour of label k: "(no label)" first (grey) shifted
    every bar by one colour (eng blue in the drawing, red in the bars)."""
    from ui import figures

    fig = figures.label_counts_figure({"(no label)": 5, "eng": 5, "ops": 5, "sales": 7})
    assert list(fig.data[0].marker.color) == [figures.NO_LABEL] + figures.PALETTE[:3]
    fig = figures.label_counts_figure({"eng": 5, "ops": 5})
    assert list(fig.data[0].marker.color) == figures.PALETTE[:2]
