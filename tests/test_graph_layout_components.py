"""The graph drawing's layout (ui/graphs.py) with isolated nodes and small components: the main
component fills the drawing instead of being squashed by outliers pushed to the far corners."""

from __future__ import annotations

import networkx as nx
import numpy as np

from ui import graphs


def _edges(g: nx.Graph) -> np.ndarray:
    e = np.array(list(g.edges()), dtype=np.int64).reshape(-1, 2).T
    return np.concatenate([e, e[::-1]], axis=1)


def _cover(xy: np.ndarray, main: np.ndarray) -> tuple[float, float]:
    """Share of the drawing's x and y range that the main component's bounding box covers."""
    full = xy.max(0) - xy.min(0)
    part = xy[main].max(0) - xy[main].min(0)
    return tuple((part / full).tolist())


def _people_like(n_main: int = 20, isolated: int = 2, seed: int = 3) -> tuple[int, np.ndarray]:
    """A connected 20-node graph (like the stranger's people_edges.csv) plus nodes without edges."""
    g = nx.connected_watts_strogatz_graph(n_main, 4, 0.3, seed=seed)
    return n_main + isolated, _edges(g)


def test_isolated_nodes_do_not_squash_the_main_component():
    n, ei = _people_like()
    d = graphs.layout_edges(n, ei)
    assert d.pos.shape == (n, 2) and np.isfinite(d.pos).all()
    cx, cy = _cover(d.pos, np.arange(20))
    assert cx >= 0.75 and cy >= 0.95, (cx, cy)


def test_isolated_nodes_sit_beside_the_main_component_apart_from_each_other():
    n, ei = _people_like(isolated=5)
    d = graphs.layout_edges(n, ei)
    main, rest = d.pos[:20], d.pos[20:]
    assert (rest[:, 0] > main[:, 0].max()).all()  # to its right, not over it
    gaps = np.linalg.norm(rest[:, None] - rest[None], axis=-1) + np.eye(len(rest)) * 9
    assert gaps.min() > 0.05


def test_small_components_are_packed_and_the_main_one_still_fills_the_drawing():
    main = nx.connected_watts_strogatz_graph(60, 4, 0.3, seed=1)
    g = nx.disjoint_union_all([main, nx.path_graph(3), nx.path_graph(2), nx.path_graph(2), nx.empty_graph(4)])
    d = graphs.layout_edges(g.number_of_nodes(), _edges(g))
    cx, cy = _cover(d.pos, np.arange(60))
    assert cx >= 0.6 and cy >= 0.95, (cx, cy)
    # each small component keeps its own spot: its nodes closer to each other than to the main part
    tri = d.pos[60:63]
    assert np.linalg.norm(tri - tri.mean(0), axis=1).max() < 0.5


def test_connected_graph_layout_is_the_plain_spring_layout():
    g = nx.karate_club_graph()
    d = graphs.layout_edges(34, _edges(g))
    ref = nx.spring_layout(graphs.graph_from_edges(34, _edges(g)), seed=0, iterations=60)
    assert np.allclose(d.pos, np.array([ref[i] for i in range(34)], dtype=np.float32), atol=1e-5)


def test_a_graph_without_edges_is_a_square_grid():
    d = graphs.layout_edges(10, np.zeros((2, 0), dtype=np.int64))
    assert len({tuple(p) for p in d.pos.round(3).tolist()}) == 10  # no two nodes on one spot
    w, h = d.pos.max(0) - d.pos.min(0)
    assert 0.5 <= w / h <= 2, (w, h)


def test_an_isolated_node_takes_one_nodes_room_beside_a_tiny_component():
    # one edge and one node without: the lone node gets a node's room, not a square as big as the edge's
    d = graphs.layout_edges(3, np.array([[0, 1], [1, 0]]))
    cx, cy = _cover(d.pos, np.arange(2))
    assert cx >= 0.65 and cy >= 0.95, (cx, cy)
