"""Plotly figure builders. Pure functions: data in, ``go.Figure`` out (no Streamlit calls).

Live figures set a constant ``uirevision`` so zoom and pan survive the in-place updates, fixed
axis ranges for projections, and a short transition so points glide between frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from graphcl_core.label_colours import NO_LABEL, PALETTE, colour_of, label_colours

from .projection_frame import axis_ranges, marker_outline, marker_size
from .sources import NodeInfo

MAX_LEGEND_GROUPS = 24
TRANSITION = {"duration": 450, "easing": "cubic-in-out"}
FONT = dict(family="Inter, Source Sans Pro, sans-serif")


@dataclass
class Colouring:
    """How to colour nodes: categories (a legend entry each) or a continuous value (colour bar)."""

    title: str
    values: np.ndarray  # categorical: int ids (-1 = none); continuous: float
    categories: list[str] | None = None  # names of the ids; None means continuous

    @property
    def categorical(self) -> bool:
        return self.categories is not None


def colour_by_label(nodes: NodeInfo) -> Colouring:
    return Colouring("Label", nodes.label_ids, list(nodes.label_names))


def default_colouring(nodes: NodeInfo) -> Colouring:
    """By label where the graph has labels, else by degree."""
    return colour_by_label(nodes) if nodes.has_labels else colour_by_degree(nodes)


def colour_by_degree(nodes: NodeInfo) -> Colouring:
    return Colouring("Degree", nodes.degrees.astype(np.float64))


def colour_by_groups(ids: np.ndarray, title: str, prefix: str) -> Colouring:
    ids = np.asarray(ids, dtype=np.int64)
    k = int(ids.max()) + 1 if ids.size else 0
    return Colouring(title, ids, [f"{prefix} {i + 1}" for i in range(k)])


def colour_by_prediction(pred: np.ndarray, nodes: NodeInfo) -> Colouring:
    return Colouring("Predicted label", np.asarray(pred, dtype=np.int64), list(nodes.label_names))


def _base_layout(fig: go.Figure, *, height: int, uirevision: str | None, title: str | None = None,
                 legend_title: str | None = None) -> go.Figure:
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=40 if title else 10, b=10), uirevision=uirevision,
        template="plotly_white",  # st.plotly_chart themes over it; ui.live_chart draws it as it is
        title=dict(text=title, x=0, xanchor="left", font=dict(size=16)) if title else None,
        legend=dict(title=dict(text=legend_title) if legend_title else None, itemsizing="constant",
                    bgcolor="rgba(255,255,255,0.6)"),
        font=FONT, hoverlabel=dict(namelength=-1),
    )
    return fig


def _hover(nodes: NodeInfo, idx: np.ndarray, extra: list[str] | None = None) -> tuple[np.ndarray, str]:
    names = np.asarray(nodes.names, dtype=object)[idx]
    labels = np.asarray([lab or "—" for lab in nodes.labels], dtype=object)[idx]
    deg = nodes.degrees[idx]
    cols = [names, labels, deg]
    tpl = "<b>%{customdata[0]}</b><br>label: %{customdata[1]}<br>degree: %{customdata[2]}"
    if extra is not None:
        cols.append(np.asarray(extra, dtype=object)[idx])
        tpl += "<br>%{customdata[3]}"
    return np.stack(cols, axis=1), tpl + "<extra></extra>"


def _marker_traces(xy: np.ndarray, idx: np.ndarray, nodes: NodeInfo, colour: Colouring, *, size,
                   three_d: bool = False, extra: list[str] | None = None, line_width: float = 0.5) -> list:
    """Scatter traces for the points ``idx`` at positions ``xy`` (one trace per category when few)."""
    custom, tpl = _hover(nodes, idx, extra)
    vals = colour.values[idx]
    size_arr = np.broadcast_to(np.asarray(size, dtype=float), (len(idx),))
    scatter = go.Scatter3d if three_d else go.Scattergl if len(idx) > 5000 else go.Scatter

    def coords(mask):
        d = dict(x=xy[mask, 0], y=xy[mask, 1])
        if three_d:
            d["z"] = xy[mask, 2]
        return d

    line = dict(width=line_width, color="rgba(255,255,255,0.8)")
    if colour.categorical and len(colour.categories) <= MAX_LEGEND_GROUPS:
        traces = []
        colours = label_colours([str(c) for c in colour.categories])
        groups = list(range(len(colour.categories))) + [-1]
        for g in groups:
            mask = vals == g
            if not mask.any():
                continue
            name = str(colour.categories[g]).replace("_", " ") if g >= 0 else "no label"
            c = colour_of(g, colours)
            traces.append(scatter(mode="markers", name=str(name), **coords(mask), customdata=custom[mask],
                                  hovertemplate=tpl, marker=dict(color=c, size=size_arr[mask], line=line,
                                                                 opacity=0.9)))
        return traces
    if colour.categorical:
        colours = label_colours([str(c) for c in colour.categories])
        cols = np.array([colour_of(int(v), colours) for v in vals], dtype=object)
        marker = dict(color=cols, size=size_arr, line=line, opacity=0.9)
    else:
        marker = dict(color=vals, colorscale="Viridis", size=size_arr, line=line, opacity=0.9,
                      colorbar=dict(title=dict(text=colour.title), thickness=12, len=0.7))
    mask = np.ones(len(idx), bool)
    return [scatter(mode="markers", name=colour.title, showlegend=False, **coords(mask), customdata=custom,
                    hovertemplate=tpl, marker=marker)]


def _degree_size(deg: np.ndarray, lo: float = 6.0, hi: float = 18.0) -> np.ndarray:
    m = float(deg.max()) if deg.size and deg.max() > 0 else 1.0
    return lo + (hi - lo) * np.sqrt(deg / m)


# ---- graph --------------------------------------------------------------------------------------

# Top margin (px) a figure keeps free for Plotly's toolbar, which appears over the top right corner.
TOOLBAR_ROOM = 36


def graph_figure(nodes_drawn: np.ndarray, pos: np.ndarray, edges: np.ndarray, nodes: NodeInfo, colour: Colouring,
                 *, height: int = 520, title: str | None = None) -> go.Figure:
    """The graph drawn at ``pos`` (spring layout): edges in grey, nodes coloured, sized by degree."""
    where = {int(u): i for i, u in enumerate(nodes_drawn.tolist())}
    ex, ey = [], []
    for u, v in edges.T.tolist():
        a, b = pos[where[u]], pos[where[v]]
        ex += [float(a[0]), float(b[0]), None]
        ey += [float(a[1]), float(b[1]), None]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=ex, y=ey, mode="lines", line=dict(width=0.7, color="rgba(120,120,120,0.45)"),
                             hoverinfo="skip", showlegend=False, name="edges"))
    for t in _marker_traces(pos, nodes_drawn, nodes, colour, size=_degree_size(nodes.degrees[nodes_drawn])):
        fig.add_trace(t)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    _base_layout(fig, height=height, uirevision="graph", title=title,
                 legend_title=colour.title if colour.categorical else None)
    # the chart's toolbar sits in the top margin: room for it, so it does not cover the legend's title
    return fig.update_layout(margin=dict(t=max(fig.layout.margin.t or 0, TOOLBAR_ROOM)))


def degree_histogram(degrees: np.ndarray, *, height: int = 280) -> go.Figure:
    fig = go.Figure(go.Histogram(x=degrees, marker_color=PALETTE[0], nbinsx=min(60, max(5, int(degrees.max()) + 1))
                                 if degrees.size else 10, hovertemplate="degree %{x}: %{y} nodes<extra></extra>"))
    fig.update_xaxes(title="degree (number of neighbours)")
    fig.update_yaxes(title="nodes", type="log" if degrees.size and degrees.max() > 50 else "linear")
    fig.update_layout(bargap=0.05)
    return _base_layout(fig, height=height, uirevision="deg", title="Degree distribution")


def label_counts_figure(counts: dict[str, int], *, height: int = 280) -> go.Figure:
    """Nodes per label (in label order, "(no label)" first), each bar in its label's colour of the drawing and
    the projection (``label_colours`` of the labels in order), whether or not some nodes have no label."""
    names = list(counts)
    labels = [n for n in names if n != "(no label)"]
    own = dict(zip(labels, label_colours(labels)))
    colours = [NO_LABEL if n == "(no label)" else own[n] for n in names]
    fig = go.Figure(go.Bar(x=names, y=[counts[n] for n in names], marker_color=colours,
                           hovertemplate="%{x}: %{y} nodes<extra></extra>"))
    fig.update_yaxes(title="nodes")
    fig.update_xaxes(type="category")
    return _base_layout(fig, height=height, uirevision="labels", title="Nodes per label")


# ---- training ----------------------------------------------------------------------------------

QUALITY_KEYS = {"linear_probe_acc": "linear probe accuracy", "silhouette": "silhouette"}


def loss_figure(series: list[tuple[str, list[dict]]], *, height: int = 330, uirevision: str = "loss",
                title: str | None = "Loss", show_quality: bool = True) -> go.Figure:
    """Loss per epoch of one or more runs; with one run, the linear-probe accuracy on a second axis."""
    fig = go.Figure()
    single = len(series) == 1
    for i, (name, hist) in enumerate(series):
        ep = [r["epoch"] for r in hist]
        loss = [r["loss"] for r in hist]
        colour = PALETTE[i % len(PALETTE)]
        label = "loss" if single else name
        smooth = _ema(loss)
        if single and len(loss) > 20:
            # Raw loss faint, a smoothed curve on top: per-epoch losses on small graphs are noisy.
            fig.add_trace(go.Scatter(x=ep, y=loss, mode="lines", name="loss (each epoch)", opacity=0.35,
                                     line=dict(color=colour, width=1),
                                     hovertemplate="epoch %{x}<br>loss %{y:.4f}<extra></extra>"))
            fig.add_trace(go.Scatter(x=ep, y=smooth, mode="lines", name="loss (smoothed)",
                                     line=dict(color=colour, width=2.5),
                                     hovertemplate="epoch %{x}<br>smoothed loss %{y:.4f}<extra></extra>"))
        else:
            fig.add_trace(go.Scatter(x=ep, y=smooth if not single else loss, mode="lines", name=label,
                                     line=dict(color=colour, width=2),
                                     hovertemplate="epoch %{x}<br>loss %{y:.4f}<extra>" + name + "</extra>"))
    if single and show_quality:
        hist = series[0][1]
        rows = [r for r in hist if "linear_probe_acc" in r]
        if rows:
            fig.add_trace(go.Scatter(x=[r["epoch"] for r in rows], y=[r["linear_probe_acc"] for r in rows],
                                     mode="lines+markers", name="linear probe accuracy", yaxis="y2",
                                     line=dict(color=PALETTE[2], width=1.5, dash="dot"), marker=dict(size=5),
                                     hovertemplate="epoch %{x}<br>probe accuracy %{y:.1%}<extra></extra>"))
            fig.update_layout(yaxis2=dict(title="probe accuracy", overlaying="y", side="right", range=[0, 1.02],
                                          tickformat=".0%", showgrid=False, tickmode="array",
                                          tickvals=[0, 0.25, 0.5, 0.75, 1.0]))
    fig.update_xaxes(title="epoch", rangemode="tozero")
    fig.update_layout(yaxis=dict(title="loss" + (" (smoothed)" if not single else "")),
                      legend=dict(orientation="h", y=-0.25, yanchor="top", x=0, xanchor="left"))
    return _base_layout(fig, height=height, uirevision=uirevision, title=title)


def _ema(values: list[float], alpha: float = 0.15) -> list[float]:
    out, acc = [], None
    for v in values:
        acc = v if acc is None else alpha * v + (1 - alpha) * acc
        out.append(acc)
    return out


def pair_distance_figure(pd: dict, *, height: int = 300, uirevision: str = "pairs") -> go.Figure:
    """Histogram of positive vs negative pair distances, with the margin as a vertical line."""
    pos = np.asarray(pd.get("positive", []), dtype=float)
    neg = np.asarray(pd.get("negative", []), dtype=float)
    hi = max([1e-6] + [float(a.max()) for a in (pos, neg) if a.size] + [float(pd.get("margin") or 0) * 1.1])
    bins = dict(start=0.0, end=hi * 1.02, size=hi * 1.02 / 40)
    fig = go.Figure()
    fig.add_trace(go.Histogram(x=pos, name="similar pairs", marker_color=PALETTE[2], opacity=0.65, xbins=bins,
                               hovertemplate="%{y} similar pairs<extra></extra>"))
    fig.add_trace(go.Histogram(x=neg, name="dissimilar pairs", marker_color=PALETTE[1], opacity=0.65, xbins=bins,
                               hovertemplate="%{y} dissimilar pairs<extra></extra>"))
    m = pd.get("margin")
    if m is not None:
        fig.add_vline(x=float(m), line=dict(color="#333", dash="dash", width=2),
                      annotation=dict(text=f"margin {m:g}", font=dict(size=12)), annotation_position="top right")
    fig.update_layout(barmode="overlay", bargap=0.02,
                      legend=dict(orientation="h", y=-0.25, yanchor="top", x=0, xanchor="left"))
    fig.update_xaxes(title=pd.get("units", "distance"), range=[0, hi * 1.05])
    fig.update_yaxes(title="pairs")
    return _base_layout(fig, height=height, uirevision=uirevision, title="Pair distances")


# ---- projections --------------------------------------------------------------------------------

@dataclass
class Highlight:
    node: int
    graph_neighbours: np.ndarray
    embedding_neighbours: np.ndarray


def projection_figure(coords: np.ndarray, index: np.ndarray, nodes: NodeInfo, colour: Colouring, *,
                      height: int = 520, uirevision: str = "projection", title: str | None = None,
                      highlight: Highlight | None = None, extra_hover: list[str] | None = None,
                      animate: bool = True) -> go.Figure:
    """Scatter of a 2-D or 3-D projection; ``coords[i]`` is node ``index[i]``.

    The hero of the live view: equal aspect, axes hugging the cloud (``projection_frame``), markers
    sized by node count, the legend in one compact row under the plot so the cloud gets the width."""
    three_d = coords.shape[1] == 3
    base = marker_size(len(index), three_d=three_d)
    fig = go.Figure()
    traces = _marker_traces(coords, index, nodes, colour, size=base, three_d=three_d, extra=extra_hover,
                            line_width=marker_outline(len(index)))
    for t in traces:
        if highlight is not None:
            t.marker.opacity = 0.35
        fig.add_trace(t)
    if highlight is not None:
        _add_highlight(fig, coords, index, nodes, highlight, base, three_d)
    ranges = axis_ranges(coords)
    if three_d:
        spans = [hi - lo for lo, hi in ranges]
        axes = [dict(range=r, showticklabels=False, title="", showbackground=False) for r in ranges]
        fig.update_layout(scene=dict(xaxis=axes[0], yaxis=axes[1], zaxis=axes[2], aspectmode="manual",
                                     aspectratio={k: v / max(spans) for k, v in zip("xyz", spans)}))
    else:
        plain = dict(showticklabels=False, zeroline=False, showgrid=False, title=None)
        fig.update_xaxes(range=ranges[0], **plain)
        fig.update_yaxes(range=ranges[1], scaleanchor="x", scaleratio=1, **plain)
        if animate:
            fig.update_layout(transition=TRANSITION)
    _base_layout(fig, height=height, uirevision=uirevision, title=title)
    fig.update_layout(legend=dict(orientation="h", x=0.5, xanchor="center", y=0, yanchor="top",
                                  font=dict(size=12), itemsizing="constant", itemwidth=30,
                                  bgcolor="rgba(0,0,0,0)", title=None),
                      margin=dict(l=4, r=4, b=4))
    fit_legend_columns(fig)
    if not colour.categorical:  # the colour bar as a short strip under the plot, not a column beside it
        fig.update_traces(marker_colorbar=dict(orientation="h", x=0.5, xanchor="center", y=0, yanchor="top",
                                               len=0.45, thickness=10, title=dict(side="top")),
                          selector=dict(name=colour.title))
    return fig


def fit_legend_columns(fig: go.Figure) -> None:
    """Equal legend columns (as many as the panel's width holds: 2 on Train, 4 on Explore), each as wide as
    the longest entry's name. Call it again after adding a trace with a legend entry (a selection's ring):
    plotly.js cuts a name longer than its column."""
    names = [len(t.name or "") for t in fig.data if t.showlegend is not False]
    fig.update_layout(legend=dict(entrywidth=min(150, 8 + 5.6 * max(names, default=0)), entrywidthmode="pixels"))


def _add_highlight(fig: go.Figure, coords: np.ndarray, index: np.ndarray, nodes: NodeInfo, highlight: Highlight,
                   base: float, three_d: bool) -> None:
    """Rings on the searched node's graph neighbours, diamonds on its nearest in the embedding, a star on it."""
    where = {int(u): i for i, u in enumerate(index.tolist())}
    scatter = go.Scatter3d if three_d else go.Scatter

    def coords_of(rows):
        d = dict(x=coords[rows, 0], y=coords[rows, 1])
        if three_d:
            d["z"] = coords[rows, 2]
        return d

    def add(ids, name, symbol, size, color, width):
        rows = np.asarray([where[int(u)] for u in ids if int(u) in where])
        if not rows.size:
            return
        custom, tpl = _hover(nodes, index[rows])
        fig.add_trace(scatter(mode="markers", name=name, **coords_of(rows), customdata=custom, hovertemplate=tpl,
                              marker=dict(size=size, symbol=symbol, color="rgba(0,0,0,0)",
                                          line=dict(color=color, width=width))))

    add(highlight.graph_neighbours, "graph neighbours", "circle", base + 6, "#FF7F0E", 2.5)
    add(highlight.embedding_neighbours, "nearest in embedding", "diamond", base + 8, "#2CA02C", 2.5)
    if highlight.node in where:
        rows = np.asarray([where[highlight.node]])
        custom, tpl = _hover(nodes, index[rows])
        fig.add_trace(scatter(mode="markers+text", name=nodes.names[highlight.node], **coords_of(rows),
                              customdata=custom, hovertemplate=tpl, text=[nodes.names[highlight.node]],
                              textposition="top center",
                              marker=dict(size=base + 12, symbol="star" if not three_d else "diamond",
                                          color="#D62728", line=dict(color="white", width=1.5))))


def figure_html(fig: go.Figure, title: str) -> bytes:
    """A standalone interactive HTML file of ``fig`` (plotly.js embedded, so it opens offline)."""
    fig = go.Figure(fig)
    fig.update_layout(title=dict(text=title), height=max(fig.layout.height or 500, 500))
    return fig.to_html(include_plotlyjs=True, full_html=True).encode("utf-8")
