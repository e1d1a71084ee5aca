"""The Sweep page's pictures: a heatmap of the metric over two settings (one panel per value of a
third), parallel coordinates, and a grid of small live projections, one per trial.

Data building (``heatmap_data``, ``parallel_data``) is plain Python over the runner's trial table,
so it is tested without plotly or a browser; the ``*_figure`` functions only draw.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from graphcl_core.errors import GraphCLError
from graphcl_core.label_colours import PALETTE, colour_of, label_colours
from graphcl_core.projection import project_once

from .registry import Slot
from .sweep_jobs import fmt_value, trial_status, trial_title

GRID_COLUMNS = 4
FRAMES = "sweep.frames"  # slot.cache: {trial index: (epoch, Projection)}


def _scored(table: list[dict]) -> list[dict]:
    return [r for r in table if r.get("metric") is not None and math.isfinite(float(r["metric"]))]


def _ordered(values) -> list:
    """Distinct values, numbers in order, others as first seen."""
    vals = list(dict.fromkeys(values))
    try:
        return sorted(vals)
    except TypeError:
        return vals


def heatmap_data(table: list[dict], x: str, y: str, facet: str | None = None) -> list[dict]:
    """One panel per value of ``facet`` (one panel without it): ``{"facet", "x", "y", "z"}`` with ``z[j][i]``
    the mean metric of the scored trials at ``y[j]``, ``x[i]`` (None where no trial has scored yet).
    Settings other than these three are averaged over."""
    scored = _scored(table)
    xs = _ordered(r["values"][x] for r in table)
    ys = _ordered(r["values"][y] for r in table)
    facets = _ordered(r["values"][facet] for r in table) if facet else [None]
    panels = []
    for fv in facets:
        cells: dict[tuple, list[float]] = {}
        for r in scored:
            if facet and r["values"][facet] != fv:
                continue
            cells.setdefault((r["values"][x], r["values"][y]), []).append(float(r["metric"]))
        z = [[(sum(cells[(xv, yv)]) / len(cells[(xv, yv)])) if (xv, yv) in cells else None for xv in xs]
             for yv in ys]
        panels.append({"facet": fv, "x": xs, "y": ys, "z": z})
    return panels


# Room for tick labels and axis titles, set explicitly: the charts are drawn by ``Plotly.react`` in a
# component (ui/live_chart.py) whose first draw can come before the frame has its width, so plotly's
# automargin alone left the labels cut off at the left and bottom.
TICK_FONT_PX = 12
CHAR_PX = 7.5  # width of one character of a 12 px tick label, generously
METRIC_TICK = "-0.0125"  # as wide as plotly's ticks of a score or a loss get ("0.41", "0.4125", "-0.012")
TITLE_PX = 28  # an axis title and its gap


def axis_margins(y_ticks: list[str], *, x_title: bool = True, y_title: bool = True) -> dict:
    """Left and bottom margins (px) that fit the longest y tick label, the x tick labels and both titles."""
    widest = max((len(t) for t in y_ticks), default=1)
    left = int(widest * CHAR_PX) + 12 + (TITLE_PX if y_title else 0)
    bottom = TICK_FONT_PX + 14 + (TITLE_PX if x_title else 0)
    return {"l": left, "b": bottom}


def heatmap_figure(panels: list[dict], x: str, y: str, facet: str | None, metric_label: str, *,
                   height: int = 320) -> go.Figure:
    n = len(panels)
    titles = [f"{facet} = {fmt_value(p['facet'])}" for p in panels] if facet else None
    fig = make_subplots(rows=1, cols=n, subplot_titles=titles, horizontal_spacing=0.06)
    vals = [v for p in panels for row in p["z"] for v in row if v is not None]
    lo, hi = (min(vals), max(vals)) if vals else (0.0, 1.0)
    for i, p in enumerate(panels):
        text = [["" if v is None else f"{v:.3g}" for v in row] for row in p["z"]]
        fig.add_trace(go.Heatmap(x=[fmt_value(v) for v in p["x"]], y=[fmt_value(v) for v in p["y"]], z=p["z"],
                                 text=text, texttemplate="%{text}", zmin=lo, zmax=hi, colorscale="Viridis",
                                 showscale=i == n - 1, colorbar={"title": {"text": metric_label}},
                                 hovertemplate=f"{x}=%{{x}}<br>{y}=%{{y}}<br>{metric_label}=%{{z:.4g}}"
                                               "<extra></extra>"), row=1, col=i + 1)
        fig.update_xaxes(title_text=x, type="category", automargin=True, row=1, col=i + 1)
        fig.update_yaxes(title_text=y if i == 0 else None, type="category", automargin=True, row=1, col=i + 1)
    y_ticks = [fmt_value(v) for p in panels for v in p["y"]]
    fig.update_layout(height=height, margin={**axis_margins(y_ticks), "r": 10, "t": 40 if facet else 20},
                      uirevision="sweep-heatmap")
    return fig


def line_figure(table: list[dict], x: str, metric_label: str, *, height: int = 300) -> go.Figure:
    """With a single varied setting: the metric against it."""
    panel = heatmap_data([{**r, "values": {**r["values"], "_": 0}} for r in table], x, "_")[0]
    fig = go.Figure(go.Scatter(x=[fmt_value(v) for v in panel["x"]], y=panel["z"][0], mode="lines+markers"))
    fig.update_layout(height=height, xaxis_title=x, yaxis_title=metric_label, xaxis_type="category",
                      margin={**axis_margins([METRIC_TICK]), "r": 20, "t": 20}, uirevision="sweep-line")
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


def parallel_data(table: list[dict], names: list[str], log_names: set[str]) -> dict:
    """Columns for parallel coordinates: each varied setting (log10 for log ranges, category numbers for
    choices) and the metric, over the scored trials."""
    scored = _scored(table)
    dims = []
    for n in names:
        vals = [r["values"][n] for r in scored]
        if vals and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
            if n in log_names and all(v > 0 for v in vals):
                dims.append({"label": f"{n} (log10)", "values": [math.log10(v) for v in vals]})
            else:
                dims.append({"label": n, "values": [float(v) for v in vals]})
        else:
            cats = _ordered(str(v) for v in vals)
            dims.append({"label": n, "values": [cats.index(str(v)) for v in vals],
                         "tickvals": list(range(len(cats))), "ticktext": cats})
    return {"dimensions": dims, "metric": [float(r["metric"]) for r in scored],
            "trials": [r["trial"] for r in scored]}


def parallel_figure(data: dict, metric_label: str, *, height: int = 320) -> go.Figure:
    dims = [dict(d) for d in data["dimensions"]] + [{"label": metric_label, "values": data["metric"]}]
    fig = go.Figure(go.Parcoords(line={"color": data["metric"], "colorscale": "Viridis", "showscale": True},
                                 dimensions=dims))
    fig.update_layout(height=height, margin={"l": 60, "r": 100, "t": 40, "b": 20})
    return fig


def frames(slot: Slot, runner) -> dict[int, tuple[int, object]]:
    """PCA 2-D of each trial's latest snapshot, recomputed only when the trial reached a new epoch."""
    cache = slot.cache.setdefault(FRAMES, {})
    if cache.get("_runner") is not runner:
        cache.clear()
        cache["_runner"] = runner
    for i in range(len(runner.configs)):
        snap = runner.latest_snapshot(i)
        if snap is None:
            continue
        epoch, emb = snap
        if i in cache and cache[i][0] == epoch:
            continue
        try:
            cache[i] = (epoch, project_once(np.asarray(emb, dtype=np.float32), method="pca", dim=2, max_points=2000))
        except GraphCLError:  # NaN embeddings (a diverged trial): its cell stays empty, its row says failed
            cache[i] = (epoch, None)
    return {i: v for i, v in cache.items() if i != "_runner"}


def grid_figure(table: list[dict], got: dict[int, tuple[int, object]], labels: np.ndarray | None,
                label_names: list[str] | None = None) -> go.Figure:
    """Small multiples: one PCA scatter per trial, coloured by label (the colours of the live view:
    ``label_colours`` of ``label_names``), titled with its settings and epoch."""
    names = label_names or ([str(v) for v in range(int(labels.max()) + 1)] if labels is not None and labels.size else [])
    colours = label_colours(names)
    n = len(table)
    cols = min(GRID_COLUMNS, max(1, n))
    rows = math.ceil(n / cols)
    titles = []
    for r in table:
        i = r["trial"] - 1
        epoch = got[i][0] if i in got else 0
        titles.append(f"{trial_title(r)}<br>epoch {epoch} · {trial_status(r['status'])}")
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.03,
                        vertical_spacing=min(0.12, 0.5 / rows))
    for k, r in enumerate(table):
        i = r["trial"] - 1
        proj = got[i][1] if i in got else None
        if proj is None:
            continue
        colour = PALETTE[0] if labels is None else [colour_of(int(v), colours) for v in labels[proj.index]]
        fig.add_trace(go.Scattergl(x=proj.coords[:, 0], y=proj.coords[:, 1], mode="markers",
                                   marker={"size": 5, "color": colour},
                                   hoverinfo="skip", showlegend=False), row=k // cols + 1, col=k % cols + 1)
    fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)
    fig.update_annotations(font_size=11)
    fig.update_layout(height=60 + 230 * rows, margin={"l": 5, "r": 5, "t": 50, "b": 5}, uirevision="sweep-grid")
    return fig
