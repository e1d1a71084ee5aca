"""Linked views on Explore (ui/linked.py): the selection kept per run, points of a Plotly selection
turned back into nodes, rings, paths through the epochs, and what the graph drawing shows."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from tests.conftest import planted_partition
from ui import explore, figures, graphs, linked, sources


@pytest.fixture
def nodes():
    return sources.nodes_from_bundle(planted_partition())  # 60 nodes in 3 labelled groups


def _coords(n, dim=2, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=(n, dim)).astype(np.float32)


# ---- the selection, per run --------------------------------------------------------------------------

def test_a_pick_in_the_projection_replaces_the_selection_and_centres_the_drawing():
    ss = {}
    assert not linked.current(ss, "run-a")
    linked.pick_in_projection(ss, "run-a", [3, 1, 2])
    assert linked.current(ss, "run-a") == linked.Selection((3, 1, 2), (3, 1, 2))
    linked.pick_in_projection(ss, "run-a", [7])
    assert linked.current(ss, "run-a").nodes == (7,)
    assert not linked.current(ss, "run-b"), "another run has its own selection"


def test_an_empty_pick_keeps_the_selection_and_clear_empties_it():
    ss = {}
    linked.pick_in_projection(ss, "r", [4, 5])
    linked.pick_in_projection(ss, "r", [])  # plotly's double-click (which also resets the zoom)
    assert linked.current(ss, "r").nodes == (4, 5)
    linked.clear(ss, "r")
    assert not linked.current(ss, "r")
    linked.clear(ss, "r")  # clearing twice is fine


def test_a_click_in_the_drawing_selects_it_and_keeps_the_drawn_neighbourhood():
    ss = {}
    linked.pick_in_projection(ss, "r", [10, 11])
    linked.pick_in_drawing(ss, "r", [12])
    assert linked.current(ss, "r") == linked.Selection((12,), (10, 11))
    ss2 = {}
    linked.pick_in_drawing(ss2, "r", [5])  # nothing picked before: the drawing centres on the click
    assert linked.current(ss2, "r").anchor == (5,)


# ---- from Plotly's points back to nodes --------------------------------------------------------------

def _box_event(fig, lo, hi):
    """The points plotly.js would report for a box from ``lo`` to ``hi`` (marker traces only)."""
    points = []
    for c, t in enumerate(fig.data):
        if "markers" not in (t.mode or ""):
            continue
        for i, (x, y) in enumerate(zip(np.asarray(t.x, float), np.asarray(t.y, float))):
            if lo[0] <= x <= hi[0] and lo[1] <= y <= hi[1]:
                points.append({"curve_number": c, "point_index": i, "x": x, "y": y})
    return {"selection": {"points": points, "point_indices": [p["point_index"] for p in points], "box": [],
                          "lasso": []}}


def test_a_box_over_the_projection_selects_exactly_the_nodes_inside(nodes):
    coords = _coords(nodes.n)
    index = np.arange(nodes.n)
    fig = figures.projection_figure(coords, index, nodes, figures.colour_by_label(nodes))
    traces = linked.trace_nodes(fig, coords, index)
    assert sum(len(t) for t in traces if t is not None) == nodes.n  # one point per node, all mapped
    picked = linked.nodes_of_event(_box_event(fig, (-1, -1), (0, 0.5)), traces)
    inside = {i for i, (x, y) in enumerate(coords) if x <= 0 and y <= 0.5}
    assert set(picked) == inside and len(picked) == len(inside) > 0


def test_points_of_paths_and_rings_map_correctly_on_a_decorated_projection(nodes):
    coords = _coords(nodes.n, seed=1)
    index = np.arange(nodes.n)[::2]  # a subset shown, as on a big graph
    coords = coords[index]
    fig = figures.projection_figure(coords, index, nodes, figures.colour_by_degree(nodes))
    older = {e: SimpleNamespace(coords=_coords(len(index), seed=10 + e), index=index) for e in range(3)}
    linked.draw_paths(fig, linked.paths(older, [0, 1, 2], (4, 6), upto=2), nodes)
    assert linked.mark_selected(fig, coords, index, nodes, (4, 6, 7)) == 2  # 7 is not shown
    traces = linked.trace_nodes(fig, coords, index)
    names = [t.name for t in fig.data]
    ring = names.index("selected (2)")
    assert traces[ring] == [4, 6]
    assert all(traces[i] is None for i, n in enumerate(names) if n.startswith("path of"))
    # camelCase fields (plotly.js's own) and repeated points are read too; unknown traces skipped
    state = {"selection": {"points": [{"curveNumber": ring, "pointIndex": 1}, {"curve_number": ring, "point_index": 1},
                                      {"curve_number": 99, "point_index": 0}]}}
    assert linked.nodes_of_event(state, traces) == [6]
    assert linked.nodes_of_event(None, traces) == []


def test_nodes_at_the_same_spot_are_told_apart_by_name(nodes):
    coords = _coords(nodes.n)
    coords[7] = coords[3]  # equal embeddings: the same spot, in one trace (same label) and across two
    coords[30] = coords[3]  # (node 30 is in another group)
    index = np.arange(nodes.n)
    fig = figures.projection_figure(coords, index, nodes, figures.colour_by_label(nodes))
    traces = linked.trace_nodes(fig, coords, index, nodes.names)
    got = sorted(u for t in traces if t for u in t)
    assert got == list(range(nodes.n)), "every node exactly once"
    fig = figures.projection_figure(coords, index, nodes, figures.colour_by_degree(nodes))  # one trace, no names
    assert sorted(linked.trace_nodes(fig, coords, index)[0]) == list(range(nodes.n))


def test_three_d_points_map_to_nodes(nodes):
    coords = _coords(nodes.n, dim=3)
    index = np.arange(nodes.n)
    fig = figures.projection_figure(coords, index, nodes, figures.colour_by_label(nodes))
    traces = linked.trace_nodes(fig, coords, index)
    t0 = next(t for t in traces if t)
    c0 = next(i for i, t in enumerate(traces) if t)
    assert np.allclose(coords[t0[0]], [fig.data[c0].x[0], fig.data[c0].y[0], fig.data[c0].z[0]])


def test_selected_nodes_are_ringed_named_and_the_rest_dimmed(nodes):
    coords = _coords(nodes.n)
    index = np.arange(nodes.n)
    fig = figures.projection_figure(coords, index, nodes, figures.colour_by_label(nodes))
    before = len(fig.data)
    assert linked.mark_selected(fig, coords, index, nodes, (3, 30)) == 2
    ring = fig.data[-1]
    assert len(fig.data) == before + 1
    assert list(ring.text) == [nodes.names[3], nodes.names[30]]
    assert np.allclose(np.c_[ring.x, ring.y], coords[[3, 30]])
    assert all(t.marker.opacity <= 0.3 for t in fig.data[:before])
    assert linked.mark_selected(fig, coords, index, nodes, ()) == 0


def test_clearing_wipes_plotlys_own_box_but_a_steady_selection_keeps_it():
    import plotly.graph_objects as go

    a, b = go.Figure(), go.Figure()
    linked.keep_plotly_selection(a, linked.Selection((1, 2), (1, 2)))
    linked.keep_plotly_selection(b, linked.Selection((1, 2), (1, 2)))
    assert a.layout.selectionrevision == b.layout.selectionrevision
    linked.keep_plotly_selection(b, linked.Selection())
    assert a.layout.selectionrevision != b.layout.selectionrevision


# ---- paths through the epochs --------------------------------------------------------------------------

def test_paths_follow_each_node_through_the_snapshots_up_to_the_epoch():
    index = np.array([0, 2, 5])
    frames = {e: SimpleNamespace(coords=np.array([[e, 0], [e, 1], [e, 2]], np.float32), index=index)
              for e in (0, 10, 20, 30)}
    got = linked.paths(frames, [30, 0, 20, 10], (5, 2, 1), upto=20)
    assert list(got) == [5, 2]  # node 1 is in no frame
    eps, xy = got[5]
    assert eps == [0, 10, 20] and xy.tolist() == [[0, 2], [10, 2], [20, 2]]
    assert len(linked.paths(frames, list(frames), tuple(range(10)), 30, limit=1)) == 1


def test_smoothing_averages_jitter_but_ends_where_the_node_is():
    rng = np.random.default_rng(0)
    drift = np.linspace(0, 1, 80)[:, None] * np.array([[1.0, 0.5]])
    xy = drift + rng.normal(0, 0.2, size=drift.shape)
    s = linked.smooth(xy, 9)
    assert s.shape == xy.shape
    assert np.allclose(s[-1], xy[-1])
    assert np.abs(s[:-1] - drift[:-1]).mean() < 0.6 * np.abs(xy[:-1] - drift[:-1]).mean()
    assert np.allclose(linked.smooth(np.ones((5, 2)), 3), 1.0)
    assert np.array_equal(linked.smooth(xy, 1), xy)
    assert linked.smoothing_window(5) == 1 and linked.smoothing_window(61) == 7 and linked.smoothing_window(999) == 12


def test_draw_paths_adds_one_line_per_moving_node_ending_at_its_position(nodes):
    import plotly.graph_objects as go

    fig = go.Figure()
    xy = np.array([[0, 0], [1, 0], [2, 0]], float)
    window = linked.draw_paths(fig, {3: ([0, 1, 2], xy), 4: ([2], xy[:1])}, nodes)
    assert window == 1 and len(fig.data) == 1  # a single snapshot is no path
    t = fig.data[0]
    assert t.name == f"path of {nodes.names[3]}" and list(t.x) == [0, 1, 2] and list(t.customdata) == [0, 1, 2]


def test_the_paths_caption_names_the_nodes_and_the_averaging():
    assert linked.paths_note([], 5) == ""
    assert linked.paths_note(["a", "b"], 1) == "Lines: the paths of a, b through the snapshots up to this epoch."
    assert linked.paths_note(["a"], 7).endswith("each point the mean of 7 snapshots.")


def test_selected_rows_list_name_label_and_degree(nodes):
    rows = linked.selected_rows(nodes, (0, 59))
    assert rows == [{"node": nodes.names[0], "label": nodes.labels[0], "degree": int(nodes.degrees[0])},
                    {"node": nodes.names[59], "label": nodes.labels[59], "degree": int(nodes.degrees[59])}]


# ---- the graph drawing -----------------------------------------------------------------------------------

def _big_nodes(n=800, seed=0):
    """A ring lattice of ``n`` nodes (each linked to 4 neighbours), too big to draw whole on Explore."""
    src = np.arange(n)
    ei = np.concatenate([np.stack([src, (src + d) % n]) for d in (1, 2)], axis=1)
    ei = np.concatenate([ei, ei[::-1]], axis=1)
    deg = np.bincount(ei[0], minlength=n)
    return sources.NodeInfo([f"v{i}" for i in range(n)], [""] * n, np.full(n, -1), [], deg, ei)


def test_a_small_graph_is_drawn_whole(nodes):
    scope, note = linked.drawing_scope(nodes, linked.Selection((1,), (1,)))
    assert scope is None and note == ""


def test_a_big_graph_draws_the_selection_and_its_neighbours_with_a_caption():
    big = _big_nodes()
    scope, note = linked.drawing_scope(big, linked.Selection())
    assert len(scope) == 0 and "select nodes in the projection" in note
    scope, note = linked.drawing_scope(big, linked.Selection((100,), (100,)))
    assert scope[0] == 100 and set(scope[1:]) == {98, 99, 101, 102}
    assert "800 nodes" in note and "1 nodes selected" in note
    many = tuple(range(0, 800, 2))  # 400 anchors: capped, and said so
    scope, note = linked.drawing_scope(big, linked.Selection(many, many))
    assert len(scope) == linked.SCOPE_MAX and f"the first {linked.SCOPE_MAX}" in note


def test_neighbours_with_most_links_to_the_selection_come_first():
    big = _big_nodes()
    anchor = tuple(range(100, 100 + linked.SCOPE_MAX - 2))
    scope, note = linked.drawing_scope(big, linked.Selection(anchor, anchor))
    # 98, 99 and the two after the block touch it; 99 and the first after have 2 links each
    assert list(scope[len(anchor):]) == [99, 100 + len(anchor)]
    assert "of 4, those with most links" in note


def test_the_drawing_is_laid_out_once_per_run_and_scope_and_rings_the_selection(nodes):
    cache = {}
    d = linked.drawing(cache, "r", nodes, None)
    assert linked.drawing(cache, "r", nodes, None) is d
    assert len(d.nodes) == nodes.n and d.pos.shape == (nodes.n, 2)
    part = linked.drawing(cache, "r", nodes, np.array([0, 1, 2]))
    assert part.sampled and list(part.nodes) == [0, 1, 2]
    for i in range(5):
        linked.drawing(cache, "r", nodes, np.array([i]))
    assert sum(1 for k in cache if k[0] == "explore-drawing") <= 4  # bounded
    sel = linked.Selection((0, 5), (0, 5))
    fig = linked.drawing_figure(d, nodes, figures.colour_by_label(nodes), sel)
    traces = linked.trace_nodes(fig, d.pos, d.nodes)
    assert traces[0] is None  # the edges
    assert traces[-1] == [0, 5]  # the rings


def test_layout_edges_matches_the_bundle_drawing_of_the_graph_page():
    bundle = planted_partition()
    a = graphs._layout(bundle)
    b = graphs.layout_edges(bundle.num_nodes, bundle.data.edge_index.numpy())
    assert np.allclose(a.pos, b.pos) and a.edges.shape == b.edges.shape and not a.sampled


# ---- Explore's nearest-neighbour table ------------------------------------------------------------------

def test_the_nearest_neighbour_table_is_short_enough_for_the_side_panel(nodes):
    emb = np.random.default_rng(0).normal(size=(nodes.n, 8)).astype(np.float32)
    rows, ids = explore.nearest_table(emb, nodes, 0, k=5)
    assert len(rows) == len(ids) == 5 and 0 not in ids.tolist()
    assert list(rows[0]) == ["node", "label", "distance"]
    assert all(len(r["distance"]) == 5 and float(r["distance"]) >= 0 for r in rows)  # 0.123
    nb = set(nodes.neighbours(0).tolist())
    assert [r["node"] == nodes.names[j] + " ✓" for r, j in zip(rows, ids)] == [int(j) in nb for j in ids]
    assert [r["node"].removesuffix(" ✓") for r in rows] == [nodes.names[j] for j in ids]
    assert all("_" not in r["label"] for r in rows)


# ---- the page, without a browser -------------------------------------------------------------------------

def test_explore_lists_rings_and_draws_paths_of_a_selection_and_clears_it(tmp_path, monkeypatch):
    import json

    from streamlit.testing.v1 import AppTest

    from graphcl_core.config import TrainConfig
    from graphcl_core.runs import RunStore
    from ui.live_chart import COMPONENT

    monkeypatch.setenv("GRAPHCL_RUNS_DIR", str(tmp_path / "runs"))
    bundle = planted_partition()
    w = RunStore(tmp_path / "runs", "b-" + "ab" * 16).create(bundle, TrainConfig(epochs=4, embedding_dim=4), "cpu")
    rng = np.random.default_rng(0)
    snaps = [SimpleNamespace(epoch=e, embeddings=rng.normal(size=(bundle.num_nodes, 4)).astype(np.float32))
             for e in range(5)]
    w.save_progress([{"epoch": e, "loss": 1.0, "seconds": 0.1} for e in range(1, 5)], snaps, 4, 0.4)
    w.finish("finished")

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=90)
    at.session_state["workspace"] = "b-" + "ab" * 16
    at.run()
    at.switch_page("pages/explore.py")
    at.session_state["explore.run"] = w.run_id
    at.session_state["explore.view"] = "PCA 2-D"
    at.session_state[linked.state_key(w.run_id)] = linked.Selection((2, 40), (2, 40))
    at.run()
    assert not at.exception, [e.message for e in at.exception]

    def figures_drawn():
        return {key: json.loads(json.loads(c.proto.json)["figure"]) for c in at.get("bidi_component")
                if c.proto.component_name == COMPONENT for key in [json.loads(c.proto.json)["key"]]}

    figs = figures_drawn()
    names = lambda key: [t.get("name", "") for t in figs[key]["data"]]  # noqa: E731
    assert "selected (2)" in names("explore.projection") and "selected (2)" in names("explore.drawing")
    assert sum(n.startswith("path of") for n in names("explore.projection")) == 2
    listed = at.table[0].value
    assert listed["node"].tolist() == [bundle.node_names[2], bundle.node_names[40]]
    assert "2 selected" in " ".join(m.value for m in at.markdown)

    at.toggle(key="explore.paths").set_value(False).run()  # paths off
    assert not any(n.startswith("path of") for n in [t.get("name", "") for t in
                                                     figures_drawn()["explore.projection"]["data"]])
    at.button(key="explore.clear").click().run()
    assert not at.exception
    assert linked.state_key(w.run_id) not in at.session_state
    figs = figures_drawn()
    assert not any(n.startswith("selected") for n in names("explore.projection"))
    assert "Nothing selected yet" in " ".join(c.value for c in at.caption)
