"""Linked views on Explore: nodes picked in the projection (box, lasso or click) or in the graph drawing
(click) are one selection, kept per run in the session, marked in both pictures and listed; their paths
through the epochs are drawn on the projection.

Streamlit reports a Plotly selection as points of traces (``curve_number``, ``point_index``); which node
a point is comes from ``trace_nodes``, which reads it back from the figure that was drawn, so it holds
whatever traces ``figures.py`` builds. Pure functions (no Streamlit calls): the page wires them to widgets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, MutableMapping

import numpy as np
import plotly.graph_objects as go

from . import figures, graphs
from .sources import NodeInfo

# Paths through the epochs drawn at once (more selected nodes: the first ones picked).
MAX_PATHS = 5
# Graphs up to this many nodes are drawn whole on Explore; above it, the selection and its neighbours.
WHOLE_GRAPH_MAX = 500
# Nodes in such a neighbourhood drawing (the spring layout of a few hundred nodes takes about a second).
SCOPE_MAX = 250
# Selected nodes named on the pictures (more: rings only, names in the table).
MAX_NAMED = 15
# Above this many selected nodes the rings are thinner and smaller.
MANY_RINGS = 30
SELECTED_RING = "#111827"
PATH_COLOURS = ["#D62728", "#1F77B4", "#2CA02C", "#9467BD", "#FF7F0E", "#17BECF"]


@dataclass(frozen=True)
class Selection:
    """The picked nodes, in the order picked, and the nodes whose neighbourhood a big graph's drawing
    shows (the last pick made in the projection: clicking inside the drawing keeps the drawing still)."""

    nodes: tuple[int, ...] = ()
    anchor: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.nodes)


def state_key(run_id: str) -> str:
    return f"explore.selection.{run_id}"


def current(ss: Mapping, run_id: str) -> Selection:
    return ss.get(state_key(run_id)) or Selection()


def pick_in_projection(ss: MutableMapping, run_id: str, nodes: list[int]) -> Selection:
    """Nodes picked in the projection become the selection and what a big graph's drawing centres on.
    An empty pick (Plotly's double-click, which also resets the zoom) keeps the selection: only
    *Clear selection* clears it."""
    if not nodes:
        return current(ss, run_id)
    sel = Selection(tuple(nodes), tuple(nodes))
    ss[state_key(run_id)] = sel
    return sel


def pick_in_drawing(ss: MutableMapping, run_id: str, nodes: list[int]) -> Selection:
    """Nodes clicked in the drawing become the selection; the drawing keeps its nodes (its anchor)."""
    old = current(ss, run_id)
    if not nodes:
        return old
    sel = Selection(tuple(nodes), old.anchor or tuple(nodes))
    ss[state_key(run_id)] = sel
    return sel


def clear(ss: MutableMapping, run_id: str) -> None:
    ss.pop(state_key(run_id), None)


# ---- from a Plotly selection event to nodes ---------------------------------------------------------

def trace_nodes(fig: go.Figure, coords: np.ndarray, index: np.ndarray,
                names: list[str] | None = None) -> list[list[int] | None]:
    """For each trace of ``fig``, the node of each of its points (``None`` for a trace of lines only or
    of points that are not nodes, e.g. a path's earlier epochs). ``coords[i]`` is node ``index[i]``:
    a point is that node when it sits exactly at its coordinates (traces are cut from ``coords``).
    Nodes at the very same spot (equal embeddings) are told apart by the name in the point's hover
    data (``names``, the node names), else taken in order."""
    at: dict[tuple, list[int]] = {}
    for row, node in zip(np.asarray(coords, dtype=np.float32).tolist(), np.asarray(index).tolist()):
        at.setdefault(tuple(row), []).append(int(node))
    dim = np.asarray(coords).shape[1] if np.asarray(coords).ndim == 2 else 2
    out: list[list[int] | None] = []
    for t in fig.data:
        xs = getattr(t, "x", None)
        if "markers" not in (getattr(t, "mode", None) or "") or xs is None:
            out.append(None)
            continue
        cols = [np.asarray(xs, dtype=np.float32), np.asarray(t.y, dtype=np.float32)]
        if dim == 3:
            cols.append(np.asarray(t.z if getattr(t, "z", None) is not None else [], dtype=np.float32))
        try:
            keys = list(zip(*(c.tolist() for c in cols), strict=True))
        except ValueError:  # ragged coordinates: not a node trace
            keys = []
        custom = getattr(t, "customdata", None)
        nodes, taken = [], {}
        for i, k in enumerate(keys):
            cands = at.get(tuple(k), [])
            if len(cands) > 1:
                named = [u for u in cands if names is not None and custom is not None and i < len(custom)
                         and str(np.atleast_1d(custom[i])[0]) == names[u]]
                pick = taken.get(k, 0)
                taken[k] = pick + 1
                cands = named[:1] or [cands[pick % len(cands)]]
            nodes.append(cands[0] if cands else -1)
        out.append(nodes if nodes and min(nodes) >= 0 else None)
    return out


def nodes_of_event(state: Mapping | None, traces: list[list[int] | None]) -> list[int]:
    """The nodes of the points in a Streamlit Plotly selection state (``st.plotly_chart(on_select=...)``),
    each once, in the order reported; points of traces that are not nodes are skipped."""
    if not state:
        return []
    points = (state.get("selection") or {}).get("points") or []
    seen: dict[int, None] = {}
    for p in points:
        curve = p.get("curve_number", p.get("curveNumber"))
        i = p.get("point_index", p.get("pointIndex", p.get("point_number", p.get("pointNumber"))))
        if curve is None or i is None or not 0 <= int(curve) < len(traces):
            continue
        nodes = traces[int(curve)]
        if nodes is not None and 0 <= int(i) < len(nodes):
            seen.setdefault(nodes[int(i)], None)
    return list(seen)


# ---- the projection ---------------------------------------------------------------------------------

def _marker_size(fig: go.Figure) -> float:
    for t in fig.data:
        size = getattr(getattr(t, "marker", None), "size", None)
        if size is not None:
            return float(np.max(np.asarray(size, dtype=float)))
    return 8.0


def _point_trace(xyz: np.ndarray, three_d: bool, **kw):
    d = dict(x=xyz[:, 0], y=xyz[:, 1])
    if three_d:
        d["z"] = xyz[:, 2]
    return (go.Scatter3d if three_d else go.Scatter)(**d, **kw)


def _dim(fig: go.Figure, opacity: float) -> None:
    for t in fig.data:
        if getattr(t, "marker", None) is not None and "markers" in (t.mode or ""):
            t.marker.opacity = min(opacity, t.marker.opacity if t.marker.opacity is not None else 1.0)


def mark_selected(fig: go.Figure, coords: np.ndarray, index: np.ndarray, nodes: NodeInfo,
                  selected: tuple[int, ...], *, dim: bool = True) -> int:
    """Ring the selected nodes in a projection or drawing (``coords[i]`` is node ``index[i]``), named
    when few, the others dimmed. Returns how many selected nodes the picture holds."""
    where = {int(u): i for i, u in enumerate(np.asarray(index).tolist())}
    rows = np.asarray([where[u] for u in selected if u in where], dtype=np.int64)
    if not rows.size:
        return 0
    if dim:
        _dim(fig, 0.3)
    three_d = np.asarray(coords).shape[1] == 3
    base = _marker_size(fig)
    ids = np.asarray(index)[rows]
    names = [nodes.names[int(u)] for u in ids]
    labels = [nodes.labels[int(u)] or "—" for u in ids]
    named = len(rows) <= MAX_NAMED
    few = len(rows) <= MANY_RINGS  # many rings are drawn thinner, so the selected cloud stays readable
    fig.add_trace(_point_trace(
        np.asarray(coords)[rows], three_d, name=f"selected ({len(rows)})", mode="markers+text" if named else "markers",
        text=names if named else None, textposition="top center", textfont=dict(size=12, color=SELECTED_RING),
        customdata=np.stack([names, labels, nodes.degrees[ids].astype(int)], axis=1),
        hovertemplate="<b>%{customdata[0]}</b> (selected)<br>label: %{customdata[1]}<br>degree: %{customdata[2]}"
                      "<extra></extra>",
        marker=dict(size=base + (4 if three_d else 7 if few else 3), color="rgba(0,0,0,0)",
                    line=dict(color=SELECTED_RING, width=2.5 if few else 1.2), symbol="circle")))
    if fig.layout.legend.entrywidth is not None:  # a projection's equal columns: wide enough for this name too
        figures.fit_legend_columns(fig)
    return len(rows)


def keep_plotly_selection(fig: go.Figure, sel: Selection) -> None:
    """Let plotly.js keep its own box and dimming only while the selection is the same: a new pick, a
    pick in the other picture or *Clear selection* wipes a stale box (the rings are the selection)."""
    fig.update_layout(selectionrevision=f"sel-{len(sel.nodes)}-{hash(sel.nodes)}")


def paths(frames: Mapping[int, object], epochs: list[int], selected: tuple[int, ...], upto: int,
          limit: int = MAX_PATHS) -> dict[int, tuple[list[int], np.ndarray]]:
    """``{node: (epochs, coordinates)}``: where each of the first ``limit`` selected nodes sat in every
    projected snapshot up to epoch ``upto`` (frames are warm-started and aligned, so motion is learning).
    Nodes missing from the frames (a subset shown on a big graph) are left out."""
    eps = [e for e in sorted(epochs) if e <= upto and e in frames]
    out: dict[int, tuple[list[int], np.ndarray]] = {}
    for node in selected[:limit]:
        pts, seen = [], []
        for e in eps:
            f = frames[e]
            hit = np.flatnonzero(np.asarray(f.index) == node)
            if hit.size:
                pts.append(np.asarray(f.coords)[hit[0]])
                seen.append(e)
        if pts:
            out[int(node)] = (seen, np.stack(pts))
    return out


def smooth(xy: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average of a path over ``window`` snapshots (shorter at the ends); the last point
    stays where the node is now, so the path ends at its ring. UMAP frames of a small graph jitter from
    one snapshot to the next; the average shows the drift that training caused."""
    xy = np.asarray(xy, dtype=np.float64)
    if window <= 1 or len(xy) < 3:
        return xy.copy()
    csum = np.vstack([np.zeros((1, xy.shape[1])), np.cumsum(xy, axis=0)])
    half = window // 2
    lo = np.clip(np.arange(len(xy)) - half, 0, len(xy))
    hi = np.clip(np.arange(len(xy)) + half + 1, 0, len(xy))
    out = (csum[hi] - csum[lo]) / (hi - lo)[:, None]
    out[-1] = xy[-1]
    return out


def smoothing_window(n_snapshots: int) -> int:
    """Snapshots averaged per path point: none for a few snapshots, up to 12 for hundreds."""
    return max(1, min(12, n_snapshots // 8))


def draw_paths(fig: go.Figure, node_paths: dict[int, tuple[list[int], np.ndarray]], nodes: NodeInfo) -> int:
    """Each node's path as a line through its (smoothed) snapshot positions, a dot per snapshot, ending at
    the node's ring; hover says the epoch. Returns the smoothing window used."""
    window = 1
    for k, (node, (eps, xy)) in enumerate(node_paths.items()):
        if len(eps) < 2:
            continue
        window = smoothing_window(len(eps))
        colour = PATH_COLOURS[k % len(PATH_COLOURS)]
        three_d = xy.shape[1] == 3
        name = nodes.names[node]
        sizes = [3.0] * (len(eps) - 1) + [0.0]  # the current position is the node itself, ringed
        what = "epoch %{customdata}" + (f" (mean of {window} snapshots)" if window > 1 else "")
        fig.add_trace(_point_trace(
            smooth(xy, window), three_d, mode="lines+markers", name=f"path of {name}", showlegend=False,
            line=dict(color=colour, width=2.5 if not three_d else 4), opacity=0.85,
            marker=dict(size=sizes, color=colour), customdata=np.asarray(eps),
            hovertemplate=f"<b>path of {name}</b><br>{what}<extra></extra>"))
    return window


def paths_note(names: list[str], window: int) -> str:
    """The caption under a projection with paths drawn ('' when none is)."""
    if not names:
        return ""
    mean = f", each point the mean of {window} snapshots" if window > 1 else ""
    return f"Lines: the paths of {', '.join(names)} through the snapshots up to this epoch{mean}."


def selected_rows(nodes: NodeInfo, selected: tuple[int, ...]) -> list[dict]:
    """The selection as table rows: name, label, degree."""
    return [{"node": nodes.names[u], "label": (nodes.labels[u] or "—").replace("_", " "),
             "degree": int(nodes.degrees[u])} for u in selected]


# ---- the graph drawing ------------------------------------------------------------------------------

def drawing_scope(nodes: NodeInfo, sel: Selection) -> tuple[np.ndarray | None, str]:
    """Which nodes Explore's graph drawing shows, and a sentence saying so: the whole graph up to
    ``WHOLE_GRAPH_MAX`` nodes (``None``); above it the selection's anchor and as many of its graph
    neighbours as fit in ``SCOPE_MAX`` (most links to the anchor first), or nothing before a pick."""
    n = nodes.n
    if n <= WHOLE_GRAPH_MAX:
        return None, ""
    if not sel.anchor:
        return np.zeros(0, np.int64), (f"The graph has {n:,} nodes, too many to draw at once: select nodes in the "
                                       "projection to draw them with their neighbours.")
    anchor = np.asarray(sel.anchor[:SCOPE_MAX], dtype=np.int64)
    ei = nodes.edge_index
    touching = ei[1][np.isin(ei[0], anchor)]
    touching = touching[~np.isin(touching, anchor)]
    cand, links = np.unique(touching, return_counts=True)
    order = np.lexsort((cand, -links))  # most links to the selection first, then by id
    room = SCOPE_MAX - len(anchor)
    near = cand[order][:max(0, room)]
    scope = np.concatenate([anchor, near])
    cut = "" if len(near) == len(cand) else f" ({len(near):,} of {len(cand):,}, those with most links to it)"
    more = "" if len(sel.anchor) <= SCOPE_MAX else f" (the first {SCOPE_MAX:,} of {len(sel.anchor):,})"
    note = (f"The graph has {n:,} nodes, so the drawing shows the {len(anchor):,} nodes selected in the "
            f"projection{more} and their graph neighbours{cut}, with the edges among them.")
    return scope, note


def drawing(cache: MutableMapping, run_id: str, nodes: NodeInfo, scope: np.ndarray | None) -> graphs.Drawing:
    """The spring layout of the run's graph or of ``scope``, cached per run and scope (a few kept)."""
    key = ("explore-drawing", run_id, None if scope is None else tuple(scope.tolist()))
    hit = cache.get(key)
    if hit is None:
        hit = graphs.layout_edges(nodes.n, nodes.edge_index, scope)
        for old in [k for k in cache if isinstance(k, tuple) and k[:1] == ("explore-drawing",)][:-3]:
            cache.pop(old, None)
        cache[key] = hit
    return hit


def drawing_figure(d: graphs.Drawing, nodes: NodeInfo, colour: figures.Colouring, sel: Selection, *,
                   height: int = 460, title: str | None = None) -> go.Figure:
    """The graph drawing with the selection ringed (and named when few), the other nodes dimmed."""
    fig = figures.graph_figure(d.nodes, d.pos, d.edges, nodes, colour, height=height, title=title)
    mark_selected(fig, d.pos, d.nodes, nodes, sel.nodes, dim=bool(sel))
    fig.update_layout(uirevision=f"drawing-{len(d.nodes)}-{int(d.nodes.sum()) if len(d.nodes) else 0}")
    return fig
