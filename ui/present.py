"""Presentation mode: the Train page made for a projector (``?present=1``, or its toggle).

What changes: the sidebar and the settings are hidden, the projection and the loss curve fill a
1920×1080 screen, fonts are larger and the colours are a high-contrast, colour-blind-safe set
(Okabe and Ito), and one big Start/Pause button drives the run. The switch and the playback speed
(``ui.pacing``) live in session state and the URL (``present=1``, ``speed=10``), so a reload or a
link opens the same view. The figures come from ``ui.figures``; this module only restyles them.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

import plotly.graph_objects as go

from graphcl_core.label_colours import too_close

from . import figures, pacing

PRESENT_KEY = "view.present"
SPEED_KEY = "view.speed"
# Okabe & Ito (2008): distinguishable for colour-blind viewers and on a washed-out projector; the
# yellow, weakest on white, comes last.
HIGH_CONTRAST = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"]
INK = "#111111"
# Pixel heights of the two charts on a 1920×1080 screen (below the one-line control bar).
PROJECTION_HEIGHT = 800
LOSS_HEIGHT = 800
FONT_SIZE, TITLE_SIZE = 20, 28

_ON = {"1", "true", "yes", "on"}
_OFF = {"0", "false", "no", "off", ""}


def parse_flag(value: Any) -> bool | None:
    """``present=`` from a URL: on (1, true, yes, on), off (0, false, no, off), else ``None``."""
    text = str(value).strip().lower()
    return True if text in _ON else False if text in _OFF else None


KEPT_PREFIX = "kept."  # (as ``ui.state``'s copies of the settings)
KEPT_KEYS = (PRESENT_KEY, SPEED_KEY)


def init(state: MutableMapping[str, Any]) -> None:
    """Defaults for a new session, and keep both values alive while their widgets are not on screen (from
    their plain copies when Streamlit dropped a widget's state: ``ui.state.keep_settings``)."""
    state[PRESENT_KEY] = bool(state.get(PRESENT_KEY, state.get(KEPT_PREFIX + PRESENT_KEY, False)))
    speed = state.get(SPEED_KEY, state.get(KEPT_PREFIX + SPEED_KEY, pacing.AUTO))
    state[SPEED_KEY] = pacing.parse_speed(speed) or pacing.AUTO


def restore(state: MutableMapping[str, Any], query: Mapping[str, Any]) -> list[str]:
    """``present`` and ``speed`` from the URL into session state (a new session's, after its settings and
    graph: ``ui.state``); warnings for values that mean nothing. A presentation link without settings gets
    the demo's (``demo_settings``)."""
    warnings = []
    if (raw := query.get("present")) is not None:
        flag = parse_flag(raw)
        if flag is None:
            warnings.append(f"The link's present={raw!r} was ignored: use present=1 for presentation mode.")
        else:
            state[PRESENT_KEY] = flag
            if flag:
                demo_settings(state, query)
    if (raw := query.get("speed")) is not None:
        speed = pacing.parse_speed(raw)
        if speed is None:
            choices = ", ".join(pacing.SPEEDS)
            warnings.append(f"The link's speed={raw!r} was ignored: choose one of {choices}.")
        else:
            state[SPEED_KEY] = speed
    return warnings


def switched_on(state: MutableMapping[str, Any]) -> bool:
    """The toggle's callback: presentation mode switched on later in a session gets the demo recipe, as a
    fresh ``?present=1`` link does (``demo_settings``), while every setting is still the app's default (a
    reloaded tab's URL names the defaults: still settings-free); a setting the visitor, a recipe or a link
    chose is kept, with all the others. Returns whether the demo's settings were applied."""
    from . import state as settings  # (as in ``demo_settings``)

    if not state.get(PRESENT_KEY):
        return False
    chosen = [n for n in settings.CONFIG_FIELDS
              if state.get(settings.key(n), getattr(settings.DEFAULTS, n)) != getattr(settings.DEFAULTS, n)]
    return not chosen and demo_settings(state, {})


def demo_settings(state: MutableMapping[str, Any], query: Mapping[str, Any]) -> bool:
    """The demo recipe Home's "Try it" uses (``presets.DEMO_RECIPE``) as the settings of a presentation
    opened fresh on an example graph, whose link names no setting: the general defaults (tuned on Cora)
    left the karate factions mixed, and the probe fell from 83 % to 72 % in front of the audience. A
    setting in the link (or one chosen later with the widgets) is the speaker's and wins; a Planetoid
    graph or an upload keeps the defaults made for it. Returns whether the demo's settings were applied."""
    from graphcl_core.presets import demo_config

    from . import graphs
    from . import state as settings  # (imports this module: asked here, once both are loaded)

    if any(query.get(name) is not None for name in settings.CONFIG_FIELDS):
        return False
    graph = state.get(settings.GRAPH_KEY) or settings.DEFAULT_GRAPH
    if graph not in {b.name for b in graphs.bundled()}:
        return False
    demo = demo_config()
    for name in settings.CONFIG_FIELDS:
        state[settings.key(name)] = getattr(demo, name)
    return True


def query_params(state: Mapping[str, Any]) -> dict[str, str]:
    """The URL parameters of this view: ``present=1`` when on, ``speed`` when not automatic."""
    out = {}
    if state.get(PRESENT_KEY):
        out["present"] = "1"
    speed = state.get(SPEED_KEY, pacing.AUTO)
    if speed != pacing.AUTO:
        out["speed"] = str(speed)
    return out


def is_on(state: Mapping[str, Any]) -> bool:
    return bool(state.get(PRESENT_KEY))


def set_on(state: MutableMapping[str, Any], on: bool) -> None:
    state[PRESENT_KEY] = on


# Hides the sidebar (and the button that reopens it) and Streamlit's toolbar, uses the whole width,
# and makes the page's own text and the one big button readable from the back of a room.
PAGE_CSS = f"""
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stSidebarNav"], [data-testid="stToolbar"],
[data-testid="stDecoration"] {{ display: none !important; }}
header[data-testid="stHeader"] {{ background: transparent; height: 0; }}
[data-testid="stMainBlockContainer"] {{ padding: 0.6rem 1.5rem 0 1.5rem; max-width: 100%; }}
[data-testid="stMain"] {{ margin-left: 0 !important; }}
[data-testid="stMarkdownContainer"] p, [data-testid="stCaptionContainer"],
[data-testid="stWidgetLabel"] p {{ font-size: 1.25rem; color: {INK}; }}
.st-key-present-bar [data-testid="stProgress"] p {{ font-size: 1.5rem; font-weight: 600; color: {INK}; }}
.st-key-present-go button {{ min-height: 4.2rem; font-size: 1.8rem; font-weight: 700; }}
.st-key-present-go button p {{ font-size: 1.8rem; }}
.st-key-present-go button [data-testid="stIconMaterial"] {{ font-size: 2.2rem; }}
"""


# The live view redraws itself every poll; Streamlit fades an element while the run that redraws it is
# under way, which at a poll of 0.4 s reads as flicker (and leaves a slow map greyed out on a projector).
STEADY_CSS = """
.st-key-train-live [data-testid="stElementContainer"][data-stale="true"] { opacity: 1 !important; }
"""


def _colour_map(keep: frozenset = frozenset()) -> dict[str, str]:
    """``figures.PALETTE`` colours onto the high-contrast set, in the same order. ``keep``: colours that stay
    (a label that names its colour, ``label_colours``); the high-contrast colours too close to one are left
    out, so no other label looks like it."""
    hc = [c for c in HIGH_CONTRAST if not any(too_close(c, k) for k in keep)] or HIGH_CONTRAST
    return {c: hc[i % len(hc)] for i, c in reversed(list(enumerate(figures.PALETTE)))}


def _named_colours(fig: go.Figure) -> frozenset:
    """The marker colours of ``fig`` that are neither the palette's nor "no label": those of labels that name
    their colour (``label_colours``)."""
    used = set()
    for t in fig.data:
        m = getattr(t, "marker", None)
        if m is None or m.color is None or m.colorscale is not None:
            continue
        used |= {m.color} if isinstance(m.color, str) else set(m.color)
    ordinary = set(figures.PALETTE) | {figures.NO_LABEL}
    return frozenset(c for c in used if isinstance(c, str) and c.startswith("#") and c not in ordinary)


def _stage_layout(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(height=height, font=dict(size=FONT_SIZE, color=INK), paper_bgcolor="white",
                      plot_bgcolor="white", title_font=dict(size=TITLE_SIZE, color=INK),
                      legend=dict(font=dict(size=FONT_SIZE), bgcolor="rgba(255,255,255,0.85)"),
                      margin=dict(l=20, r=20, t=60, b=20), hoverlabel=dict(font_size=FONT_SIZE))
    return fig


def stage_projection(fig: go.Figure, height: int = PROJECTION_HEIGHT) -> go.Figure:
    """The projection for a projector: high-contrast colours, larger points with a dark rim (1.8× up
    to 300 points, 1.35× above, where they would hide each other), a legend sized for the larger font."""
    to_hc = _colour_map(_named_colours(fig))
    n = sum(len(t.x) for t in fig.data if getattr(t, "x", None) is not None)
    grow = 1.8 if n <= 300 else 1.35
    for t in fig.data:
        m = t.marker
        if m is None or m.size is None:
            continue
        if isinstance(m.color, str):
            m.color = to_hc.get(m.color, m.color)
        elif m.color is not None and m.colorscale is None:
            m.color = [to_hc.get(c, c) for c in m.color]
        m.size = [s * grow for s in m.size] if not isinstance(m.size, (int, float)) else m.size * grow
        if m.line is not None and m.line.color is not None and "255,255,255" in str(m.line.color):
            m.line = dict(width=1.0, color="rgba(20,20,20,0.7)")
        m.opacity = 1.0 if m.opacity is not None and m.opacity > 0.5 else m.opacity
    legend_width = fig.layout.legend.entrywidth
    _stage_layout(fig, height)
    if legend_width:  # ``figures`` sized the legend's columns for its own 12 px font
        fig.update_layout(legend=dict(entrywidth=legend_width * FONT_SIZE / 12))
    return fig


def stage_loss(fig: go.Figure, height: int = LOSS_HEIGHT, *, total_epochs: int | None = None) -> go.Figure:
    """The loss curve for a projector: thick lines in the high-contrast colours; with ``total_epochs``
    the epoch axis spans the whole run, so the curve grows across a fixed axis while it is played."""
    to_hc = _colour_map()
    for t in fig.data:
        if t.line is not None and t.line.color is not None:
            t.line.color = to_hc.get(t.line.color, t.line.color)
            t.line.width = (t.line.width or 2) * 2
    if total_epochs:
        fig.update_xaxes(range=[0, total_epochs], autorange=False)
    fig.update_xaxes(title_font=dict(size=FONT_SIZE), tickfont=dict(size=FONT_SIZE), gridcolor="#DDDDDD")
    fig.update_yaxes(title_font=dict(size=FONT_SIZE), tickfont=dict(size=FONT_SIZE), gridcolor="#DDDDDD")
    return _stage_layout(fig, height)
