"""Session state and the URL: which graph and which hyperparameters this tab has chosen.

Every ``TrainConfig`` field keeps its value under ``cfg.<field>`` (the widgets of the fields shown
in the app are bound to those keys; the others, such as a recipe's activation, are kept the same way),
and the graph under ``graph.key``. The URL (``st.query_params``) mirrors them, so a link restores the
same settings: ``graph``, ``margin``, ``hidden``, ``lr`` always, the other fields only when they differ
from the defaults, and the view's ``present``/``speed`` (``ui.present``) when set. ``sid`` is this tab's
private token (see ``ui.registry``); the share link leaves it out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlencode

import streamlit as st
import torch

from graphcl_core.config import ENCODERS, FIELD_LIMITS, LOSSES, PAIR_STRATEGIES, TrainConfig
from graphcl_core.errors import ConfigError

from . import present, registry

DEFAULT_GRAPH = "karate"
# The app's defaults: the library's, with a shorter run so a first demo finishes in seconds on a CPU.
DEFAULTS = TrainConfig().replace(epochs=200)


@dataclass(frozen=True)
class Field:
    """How one ``TrainConfig`` field is shown: label, help, step and format (bounds: ``bounds``)."""

    name: str
    label: str
    help: str
    kind: str  # "float" | "int" | "choice"
    step: float | None = None
    fmt: str | None = None
    choices: tuple[str, ...] = ()

    def bounds(self) -> tuple[float | None, float | None]:
        """The widget's inclusive ``(min, max)``: ``TrainConfig``'s limits, an excluded end moved inside
        by the smallest amount the widget can show (0.01 for ``%.2f``)."""
        limit = FIELD_LIMITS[self.name]
        tiny = 10.0 ** -int(self.fmt.strip("%f").lstrip(".")) if self.fmt else 1
        lo = None if limit.lo is None else limit.lo + (tiny if limit.lo_open else 0)
        hi = None if limit.hi is None else limit.hi - (tiny if limit.hi_open else 0)
        if self.kind == "int":
            return (None if lo is None else math.ceil(lo)), (None if hi is None else math.floor(hi))
        return (None if lo is None else float(lo)), (None if hi is None else float(hi))


LOSS_LABELS = {
    "margin": "Margin contrastive",
    "hadsell": "Hadsell contrastive",
    "infonce": "InfoNCE (GRACE)",
    "triplet": "Triplet",
}
ENCODER_LABELS = {"graphconv": "GraphConv", "gcn": "GCN", "sage": "GraphSAGE", "gat": "GAT", "gin": "GIN"}
PAIR_LABELS = {"views": "Two augmented views", "edges": "Graph edges", "labels": "Known labels (supervised)"}
DEVICE_LABELS = {"auto": "Automatic (GPU if present)", "cpu": "CPU", "cuda": "GPU (CUDA)"}


def _devices() -> tuple[str, ...]:
    return ("auto", "cpu", "cuda") if torch.cuda.is_available() else ("auto", "cpu")


MAIN_FIELDS = (
    Field("margin", "Margin", "How far apart dissimilar nodes are pushed; similar nodes are pulled together.",
          "float", 0.05, "%.2f"),
    Field("hidden", "Hidden size", "Width of the network's inner layers: wider can learn more but is slower.",
          "int", 8),
    Field("lr", "Learning rate", "Size of each learning step: too small is slow, too large makes training unstable.",
          "float", 1e-4, "%.5f"),
)

ADVANCED_FIELDS = (
    Field("loss", "Loss", "What the training optimises.", "choice", choices=LOSSES),
    Field("encoder", "Encoder", "The graph neural network layer type.", "choice", choices=ENCODERS),
    Field("layers", "Layers", "How many hops of neighbourhood each node sees.", "int", 1),
    Field("embedding_dim", "Embedding size", "Length of the vector learned for each node.", "int", 8),
    Field("pairs", "Pair strategy", "Which nodes count as similar and which as dissimilar.", "choice",
          choices=PAIR_STRATEGIES),
    Field("negatives", "Negatives per positive", "Dissimilar nodes drawn for every similar pair.", "int", 1),
    Field("epochs", "Epochs", "How many training steps over the whole graph.", "int", 10),
    Field("dropout", "Dropout", "Share of hidden units switched off while training (regularises).",
          "float", 0.05, "%.2f"),
    Field("weight_decay", "Weight decay", "Pulls weights towards zero (regularises).", "float", 1e-5, "%.6f"),
    Field("tau", "Temperature τ", "Sharpness of InfoNCE's softmax (only used by InfoNCE).", "float", 0.05,
          "%.2f"),
    Field("drop_edge_p", "Edge drop", "Share of edges removed in each augmented view.", "float", 0.05, "%.2f"),
    Field("mask_feature_p", "Feature mask", "Share of feature columns blanked in each augmented view.", "float",
          0.05, "%.2f"),
    Field("seed", "Seed", "Fixes the randomness: the same seed and settings give the same run.", "int", 1),
    Field("device", "Device", "Where the training runs.", "choice", choices=("auto", "cpu", "cuda")),
    Field("snapshot_every", "Re-project every (epochs)", "How often the live picture is redrawn.", "int", 1),
)

FIELDS = {f.name: f for f in MAIN_FIELDS + ADVANCED_FIELDS}
# Every field of a run's config, shown or not: all of them are kept, applied and put in links.
CONFIG_FIELDS = tuple(f.name for f in fields(TrainConfig))
GRAPH_KEY = "graph.key"


def key(name: str) -> str:
    return f"cfg.{name}"


def choices(f: Field) -> tuple[str, ...]:
    return _devices() if f.name == "device" else f.choices


def _coerce(f: Field, value: Any) -> tuple[Any, str | None]:
    """Bring ``value`` inside the widget's bounds; return it and a warning when it had to change."""
    default = getattr(DEFAULTS, f.name)
    if f.kind == "choice":
        opts = choices(f)
        if value in opts:
            return value, None
        return default, f"'{value}' is not a valid {f.label.lower()} here; using '{default}'."
    lo, hi = f.bounds()
    if lo is not None and value < lo:
        return type(default)(lo), f"{f.label} {value} is below the minimum; using {lo:g}."
    if hi is not None and value > hi:
        return type(default)(hi), f"{f.label} {value} is above the maximum; using {hi:g}."
    return value, None


def init_session() -> registry.Slot:
    """Run once per script run, before any page: session token, settings from the URL, widget state."""
    ss = st.session_state
    if "sid" not in ss:
        sid = st.query_params.get("sid")
        me = _session_id()
        # A tab token from another workspace (a copied link with its sid) is never taken over.
        foreign = (registry.valid_token(sid) and registry.has_slot(sid)
                   and registry.get_slot(sid).workspace not in (None, ss.get("workspace")))
        slot = registry.claim(sid, me) if registry.valid_token(sid) and not foreign else None
        taken = registry.valid_token(sid) and slot is None and not foreign
        if slot is None:
            slot = registry.claim(registry.new_token(), me)
        ss["sid"] = slot.sid
        ss["url_warnings"] = _restore_from_url(slot)
        if taken:
            ss["url_warnings"].append("This link's run is open in another tab, so this tab has a run of its own "
                                      "(with the same settings).")
    slot = registry.get_slot(ss["sid"])
    slot.workspace = ss.get("workspace") or slot.workspace
    for name in CONFIG_FIELDS:
        k = key(name)
        if k not in ss:  # new, or dropped by Streamlit (``keep_settings``): the kept copy, else the default
            ss[k] = ss.get(KEPT_PREFIX + k, getattr(DEFAULTS, name))
        else:
            ss[k] = ss[k]  # keep widget values alive while their page is not shown
    if GRAPH_KEY not in ss:
        ss[GRAPH_KEY] = slot.graph_key or DEFAULT_GRAPH
    present.init(ss)  # presentation mode and playback speed (ui/present.py)
    keep_settings()
    return slot


def _session_id() -> str | None:
    """Streamlit's id of this browser connection (``None`` outside a running app)."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        return ctx.session_id if ctx is not None else None
    except Exception:  # noqa: BLE001
        return None


def _restore_from_url(slot: registry.Slot) -> list[str]:
    """Settings from ``st.query_params`` into session state; returns warnings for bad values."""
    ss = st.session_state
    qp = st.query_params
    warnings: list[str] = []
    raw = {name: qp.get(name) for name in CONFIG_FIELDS if qp.get(name) is not None}
    for name, value in raw.items():
        try:
            coerced = getattr(TrainConfig.from_dict({name: value}), name)
            if name not in FIELDS:  # no widget to bring it into bounds: it must be valid as it is
                DEFAULTS.replace(**{name: coerced}).validate()
        except (ConfigError, TypeError, ValueError) as e:
            warnings.append(f"The link's {name}={value!r} was ignored: {e}")
            continue
        if name in FIELDS:
            coerced, note = _coerce(FIELDS[name], coerced)
            if note:
                warnings.append(f"The link's setting was adjusted: {note}")
        ss[key(name)] = coerced
    graph = qp.get("graph")
    if graph:
        from . import graphs

        if graphs.is_known_name(graph):
            ss[GRAPH_KEY] = graphs.canonical_name(graph)
        else:
            warnings.append(f"The link's graph '{graph}' is not available here, so the karate club is shown.")
            ss[GRAPH_KEY] = DEFAULT_GRAPH
    elif slot.graph_key:
        ss[GRAPH_KEY] = slot.graph_key
    return warnings + present.restore(ss, qp)


def current_config() -> TrainConfig:
    """The widgets' settings as a ``TrainConfig`` (not yet validated)."""
    ss = st.session_state
    values = {name: ss.get(key(name), getattr(DEFAULTS, name)) for name in CONFIG_FIELDS}
    return DEFAULTS.replace(**values)


def unshown_settings() -> dict[str, Any]:
    """Settings without a widget that differ from the defaults (set by a recipe or a link)."""
    cur = current_config()
    return {n: getattr(cur, n) for n in CONFIG_FIELDS if n not in FIELDS and getattr(cur, n) != getattr(DEFAULTS, n)}


def apply_config(cfg: TrainConfig) -> None:
    """Every field of ``cfg`` into the settings (widgets and the fields without one)."""
    for name in CONFIG_FIELDS:
        st.session_state[key(name)] = getattr(cfg, name)


# A plain copy of every setting, beside its widget's key. Streamlit drops the state of widgets that a
# fragment's own rerun does not draw (streamlit/streamlit PR #14064): a run started on Train (its live view
# polls as a fragment) or a trial picked on the Sweep page, then a visit to another page, and every
# setting was back to its default (hidden 64 → 256, in the URL too, with a history entry of its own).
KEPT_PREFIX = present.KEPT_PREFIX


def keep_settings() -> None:
    """Copy the settings aside (at the start and the end of every whole-page run: ``app.py``)."""
    ss = st.session_state
    for k in [key(name) for name in CONFIG_FIELDS] + list(present.KEPT_KEYS):
        if k in ss:
            ss[KEPT_PREFIX + k] = ss[k]


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return format(v, ".6g")
    return str(v)


def settings_params() -> dict[str, str]:
    """The URL parameters that describe the current settings (without the private ``sid``)."""
    ss = st.session_state
    out: dict[str, str] = {}
    graph = ss.get(GRAPH_KEY, DEFAULT_GRAPH)
    if graph and not str(graph).startswith("upload:"):
        out["graph"] = str(graph)
    main = {f.name for f in MAIN_FIELDS}
    for name in CONFIG_FIELDS:
        v = ss.get(key(name), getattr(DEFAULTS, name))
        if name in main or v != getattr(DEFAULTS, name):
            out[name] = _fmt(v)
    return {**out, **present.query_params(ss)}


# The ``run`` URL parameter: the run this tab last opened in Explore (or a link named). It stays in the
# URL on every page, like the settings: a page switch then never changes the URL's parameters, so a visit
# adds one browser-history entry (see ``sync_query_params``), and a copied Explore URL reopens its run.
RUN_PARAM = "run"
URL_RUN_KEY = "url.run"  # session_state: the run the URL names (None: none)
_SHOWN_KEY = "url.shown"  # session_state: (page, run Explore showed) at the end of the last script run
_PAGE_KEY = "url.page"  # session_state: the page of the last script run
EXPLORE_PAGE, EXPLORE_RUN_KEY = "explore", "explore.run"
LIVE_RUN = "live"  # Explore's choice "this tab's run" (``ui.explore.LIVE``)


def take_page_params(page_params: dict[str, str]) -> None:
    """URL parameters a page reads but the sync does not keep (``shell.PAGE_PARAMS``: parameter -> session
    key), taken into session state before the first sync of a script run drops them from the URL."""
    for param, k in page_params.items():
        if value := st.query_params.get(param):
            st.session_state[k] = value


def forget_seen_deep_link(deep_link_key: str, page_path: str, link_pending: bool) -> None:
    """On a rerun of the same page, the URL's ``run`` is the one this tab wrote there, no new deep link: it
    does not open its run again (else it would undo every other choice of run on Explore or Runs). Arriving
    at a page, the URL's run is opened, as a link's is (unless an earlier link's run is still
    ``link_pending``: no page has opened it yet)."""
    ss = st.session_state
    same_page = ss.get(_PAGE_KEY) == page_path
    ss[_PAGE_KEY] = page_path
    if same_page and not link_pending:
        ss.pop(deep_link_key, None)


# What this tab did since the last sync: the graph then, and (its run, that run's id) then.
_GRAPH_SEEN_KEY, _JOB_SEEN_KEY = "url.graph", "url.job"
_FOLLOWED_KEY = "url.followed"  # session_state: the run the URL names from now on ("": none), until synced


def _follow_graph_and_run() -> None:
    """The URL's run follows what this tab does, so a copied URL never opens a stale run on Explore: a change
    of graph forgets it (it was a run of the old graph), and a run this tab starts is named (once its id is
    known: the run's thread makes it). The first sync of a session only looks: a reload keeps the URL's run."""
    ss = st.session_state
    graph = ss.get(GRAPH_KEY)
    if ss.get(_GRAPH_SEEN_KEY, graph) != graph:
        ss[_FOLLOWED_KEY] = ""
    ss[_GRAPH_SEEN_KEY] = graph
    job = registry.get_slot(ss["sid"]).job if registry.has_slot(ss["sid"]) else None
    now = (job, job.run_id if job is not None else None)
    seen = ss.get(_JOB_SEEN_KEY)
    if seen is not None and job is not None and (seen[0] is not job or seen[1] != now[1]):
        ss[_FOLLOWED_KEY] = now[1] or ""
    ss[_JOB_SEEN_KEY] = now


def _named_run(page_path: str | None) -> str | None:
    """The run the URL should name: on Explore the run it shows, once a link or the visitor chose one; on
    any other page (or before the page is known) the run the URL named last, or the one this tab's graph
    change or new run made it name (``_follow_graph_and_run``)."""
    ss = st.session_state
    named = st.query_params.get(RUN_PARAM) or ss.get(URL_RUN_KEY)
    if _FOLLOWED_KEY in ss:
        named = ss[_FOLLOWED_KEY] or None
    if page_path != EXPLORE_PAGE or not ss.get(EXPLORE_RUN_KEY):
        return named
    shown = str(ss[EXPLORE_RUN_KEY])
    if shown == LIVE_RUN:  # "this tab's run" is no run id: a link with it would name nothing
        return named
    chosen_here = ss.get(_SHOWN_KEY) is not None and ss[_SHOWN_KEY][0] == EXPLORE_PAGE and ss[_SHOWN_KEY][1] != shown
    return shown if named or chosen_here else None


def url_params(page_path: str | None = None) -> dict[str, str]:
    """Everything this tab's URL carries: ``sid``, the settings and the run named (``_named_run``)."""
    want = {"sid": st.session_state["sid"], **settings_params()}
    if run := _named_run(page_path):
        want[RUN_PARAM] = run
    return want


def sync_query_params(page_path: str | None = None) -> None:
    """Write ``sid``, the settings and the named run into the URL (only when something changed).

    Streamlit's browser side pushes a history entry for every change of the URL's parameters, and a click in
    the page list starts the new page with none. ``app.py`` therefore syncs once *before* ``st.navigation``
    (``page_path`` None): that change reaches the browser while it still shows the old page's URL, equal to
    it, so nothing is pushed, and the page switch pushes the one entry of the visit with the parameters
    in it. Synced after the page instead, the browser pushed the bare page first and the parameters as a
    second entry (Back then stayed on the page). The sync after the page (``page_path`` given) catches
    what the page itself changed.
    """
    ss = st.session_state
    _follow_graph_and_run()
    want = url_params(page_path)
    have = {k: st.query_params.get(k) for k in st.query_params}
    if have != want:
        st.query_params.from_dict(want)
    ss[URL_RUN_KEY] = want.get(RUN_PARAM)
    ss.pop(_FOLLOWED_KEY, None)  # the URL says it now
    if page_path is not None:
        ss[_SHOWN_KEY] = (page_path, ss.get(EXPLORE_RUN_KEY) if page_path == EXPLORE_PAGE else None)


def share_link() -> str:
    """A link to this app with the current settings but without this tab's private token."""
    base = ""
    try:
        base = (st.context.url or "").split("?")[0]
    except Exception:  # noqa: BLE001 - st.context is unavailable in some test harnesses
        base = ""
    return f"{base}?{urlencode(settings_params())}"


def differs_from(job_cfg: TrainConfig) -> list[str]:
    """Labels of the widget settings that differ from the running job's own copy."""
    cur = current_config()
    return [FIELDS[n].label if n in FIELDS else n.replace("_", " ") for n in CONFIG_FIELDS
            if getattr(cur, n) != getattr(job_cfg, n)]


def reset_settings() -> None:
    """Back to the default hyperparameters (the graph stays)."""
    apply_config(DEFAULTS)


def switch_page(page: str) -> None:
    """``st.switch_page`` that keeps this tab's token, settings and named run in the URL (the same as now:
    a change would be pushed to the browser's history as an entry of its own, with this page's address)."""
    st.switch_page(page, query_params=url_params())


LOSS_EXPLANATIONS = {
    "margin": "Pulls similar pairs together and pushes dissimilar pairs apart until their squared distance "
              "passes the margin.",
    "hadsell": "Like the margin loss, but on the plain distance (Hadsell, Chopra and LeCun, 2006).",
    "infonce": "Each node must pick out its own copy in the other view among all nodes (GRACE); uses τ, "
               "not the margin.",
    "triplet": "Each node must be closer to its similar partner than to a dissimilar node, by at least the margin.",
}
