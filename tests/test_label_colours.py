"""Labels that name a colour are drawn in it, the same way in every view (a stranger's colour-named classes)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from graphcl_core.label_colours import NO_LABEL, PALETTE, label_colours, named_colour, too_close

RED, BLUE, GREEN = named_colour("red"), named_colour("blue"), named_colour("green")


def test_a_label_naming_a_colour_gets_it_in_any_order_and_language():
    assert label_colours(["blue", "red", "green"]) == [BLUE, RED, GREEN]
    assert label_colours(["Team Rot", "bleu", "verde"]) == [RED, BLUE, GREEN]
    assert named_colour("Reduced") is None and named_colour("red-green") is None  # a word; two colours
    assert named_colour("Grün") == GREEN and named_colour("GRAY") == named_colour("grey")


def test_labels_naming_no_colour_keep_the_palette_order():
    assert label_colours(["group 1", "group 2", "group 3"]) == PALETTE[:3]


def test_no_other_label_looks_like_a_named_one():
    names = ["red"] + [f"class {i}" for i in range(30)] + ["light blue", "dark blue"]
    colours = label_colours(names)
    assert colours[0] == RED and colours[-2] == BLUE
    assert colours[-1] != BLUE  # the second label naming blue takes the palette
    assert not any(too_close(c, RED) or too_close(c, BLUE) for c in colours[1:-2] + colours[-1:])
    assert len(set(colours[1:31])) == 30


def test_every_view_draws_the_red_label_red():
    from graphcl_core.animation_frames import AnimationFrames
    from graphcl_core.animation_style import groups
    from ui import figures, sweep_views
    from ui.sources import NodeInfo

    names = ["blue", "red"]
    ids = np.array([0, 1, 1, -1])
    nodes = NodeInfo(names=["a", "b", "c", "d"], labels=["blue", "red", "red", ""], label_ids=ids, label_names=names,
                     degrees=np.ones(4, int), edge_index=np.zeros((2, 0), int))
    fig = figures.graph_figure(np.arange(4), np.random.default_rng(0).normal(size=(4, 2)), np.zeros((2, 0), int),
                               nodes, figures.colour_by_label(nodes))
    drawn = {t.name: t.marker.color for t in fig.data if t.name in ("blue", "red", "no label")}
    assert drawn == {"blue": BLUE, "red": RED, "no label": NO_LABEL}
    bars = figures.label_counts_figure({"(no label)": 1, "blue": 1, "red": 2})
    assert list(bars.data[0].marker.color) == [NO_LABEL, BLUE, RED]

    frames = AnimationFrames.__new__(AnimationFrames)
    frames.categories, frames.colour_values = names, ids
    assert {name: colour for name, colour, _ in groups(frames)} == {"blue": BLUE, "red": RED, "no label": NO_LABEL}

    class Proj:
        index = np.arange(4)
        coords = np.zeros((4, 2))

    table = [{"trial": 1, "status": "finished", "values": {"margin": 1.0}}]
    grid = sweep_views.grid_figure(table, {0: (5, Proj())}, ids, names)
    assert list(grid.data[0].marker.color) == [BLUE, RED, RED, NO_LABEL]


def test_presentation_mode_keeps_a_named_colour_and_keeps_others_away_from_it():
    from ui import present

    names = ["red", "class 1", "class 2", "class 3", "class 4"]  # (one of these would turn vermillion)
    fig = go.Figure([go.Scatter(x=[0], y=[0], mode="markers", marker=dict(color=c, size=8), name=n)
                     for n, c in zip(names, label_colours(names))])
    staged = present.stage_projection(fig)
    colours = [t.marker.color for t in staged.data]
    assert colours[0] == RED
    assert not any(too_close(c, RED) for c in colours[1:]) and len(set(colours)) == len(names)
