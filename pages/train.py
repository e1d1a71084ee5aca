"""Train: hyperparameters, Start/Pause/Step/Stop/Reset, and the live view of the running job."""

import streamlit as st

from graphcl_core import projection
from graphcl_core.device import device_info
from graphcl_core.errors import GraphCLError
from graphcl_core.worker import check_host_limits
from ui import controls, figures, graphs, live, registry, shell, sources, state, training

shell.route_through_app()  # a shared link opened first on a fresh server

ss = st.session_state
slot = registry.get_slot(ss["sid"])
graph_key = ss[state.GRAPH_KEY]
bundle, load_error = graphs.ensure_graph(slot, graph_key)


# ---- button callbacks (run before the page, so the page shows the new state) --------------------
def on_start() -> None:
    ss["train.error"] = training.launch(slot, bundle, state.current_config(), training.start)


def on_step() -> None:
    ss["train.error"] = training.launch(slot, bundle, state.current_config(), training.step)


st.title("Train")
if bundle is None:
    st.error(load_error or "No graph is loaded.")
    st.page_link("pages/graph.py", label="Choose a graph", icon=":material/hub:")
    st.stop()

st.markdown(f"Graph: **{graphs.title_of(slot.graph_key or graph_key)}** · {bundle.num_nodes:,} nodes · "
            f"{bundle.num_edges:,} edges · "
            + (f"{bundle.num_classes} labels" if bundle.has_labels else "no labels"))
if load_error:
    st.error(load_error)

settings_col, live_col = st.columns([1, 2.7], gap="large")
with settings_col:
    st.subheader("Settings")
    controls.main_settings()
    with st.expander("Advanced", icon=":material/tune:"):
        controls.advanced_settings()
    try:
        check_host_limits(state.current_config().validate())
    except GraphCLError as e:
        st.error(str(e))

job = slot.job
active = slot.active
paused = training.is_paused(job)

with live_col:
    b = st.columns(5)
    b[0].button("Start", type="primary", icon=":material/play_arrow:", on_click=on_start, disabled=active,
                key="train.start", width="stretch",
                help="Start a new run with the settings on the left.")
    b[1].button("Resume" if paused else "Pause", icon=":material/play_circle:" if paused else ":material/pause:",
                on_click=training.toggle_pause, args=(slot,), disabled=not active, key="train.pause",
                width="stretch", help="Pause or continue the run in progress.")
    b[2].button("Step", icon=":material/skip_next:", on_click=on_step, key="train.step", width="stretch",
                help="Train exactly one epoch, then pause.")
    b[3].button("Stop", icon=":material/stop:", on_click=training.stop, args=(slot,), disabled=not active,
                key="train.stop", width="stretch", help="End the run; it stays saved under Runs.")
    b[4].button("Reset", icon=":material/restart_alt:", on_click=training.reset, args=(slot,),
                disabled=job is None, key="train.reset", width="stretch",
                help="Stop and clear the live view, ready for a fresh Start.")
    if err := ss.pop("train.error", None):
        st.error(err, icon=":material/error:")
    if job is not None and not job.done:
        changed = state.differs_from(job.cfg)
        if job.bundle is not bundle:
            changed = ["graph"] + changed
        if changed:
            st.info("Changes apply on the next Start. The run in progress keeps its own settings "
                    f"(changed: {', '.join(changed)}).", icon=":material/info:")

poll = None
if active:
    poll = (training.POLL_QUEUED_S if job.state == "queued" else training.POLL_IDLE_S if paused
            else training.POLL_RUNNING_S)


def _status(job, s: dict) -> None:
    """The run's state: failure or queue message, progress line, device, and where to go when finished."""
    if s["state"] == "failed":
        st.error(f"{job.message}\n\nPress **Reset**, change the settings and Start again.", icon=":material/error:")
    elif s["state"] == "queued" and (waiting := training.queue_text(s) or job.message):
        st.info(waiting, icon=":material/hourglass_top:")
    st.progress(min(1.0, s["epoch"] / max(1, s["epochs"])), text=live.progress_text(s))
    info = device_info(job.device)
    st.caption(f"Device: {info['label']}" + (f" · run `{job.run_id}` (saved as it goes)" if job.run_id else ""))
    if s["state"] == "finished":
        st.success("Training finished and the run is saved. Explore the embeddings or compare it with other runs.",
                   icon=":material/check_circle:")
        c1, c2, _ = st.columns([1, 1, 3])
        c1.page_link("pages/explore.py", label="Explore", icon=":material/scatter_plot:")
        c2.page_link("pages/runs.py", label="Runs", icon=":material/history:")


def _metrics(job, hist: list[dict]) -> None:
    """Loss, and with labels the linear probe, silhouette and kNN accuracy, each with its change."""
    m = st.columns(4)
    v, d = live.loss_metric(hist)
    m[0].metric("Loss", v, delta=d, delta_color="inverse")
    if not job.bundle.has_labels:
        m[1].metric("Quality", "needs labels", help="This graph has no labels, so only the loss is tracked.")
        return
    v, d = live.quality_metric(hist, "linear_probe_acc", "{:.1%}")
    m[1].metric("Linear probe", v, delta=d, help="Accuracy of a simple classifier trained on the embeddings "
                f"of {live.probe_fraction(hist):.0%} of the labelled nodes to predict the labels of the rest "
                "(higher is better). Evaluated every few epochs.")
    v, d = live.quality_metric(hist, "silhouette", "{:.3f}")
    m[2].metric("Silhouette", v, delta=d, help="How well nodes of the same label cluster together in the "
                "embedding, from -1 to 1 (higher is better).")
    v, d = live.quality_metric(hist, "knn_acc", "{:.1%}")
    m[3].metric("kNN accuracy", v, delta=d, help="How often a node's nearest neighbours in the embedding "
                "share its label.")


def _curves(job, hist: list[dict]) -> None:
    """The loss curve and the histogram of similar vs dissimilar pair distances."""
    st.plotly_chart(figures.loss_figure([(job.bundle.name, hist)], uirevision="live-loss"), key="train.loss")
    pd = training.live_pair_distances(slot, job)
    if pd is not None and (len(pd["positive"]) or len(pd["negative"])):
        st.plotly_chart(figures.pair_distance_figure(pd, uirevision="live-pairs"), key="train.pairs")
        st.caption("Similar pairs should end up left of the margin line and dissimilar pairs right of it.")


def _projection(job) -> None:
    """The live map of the newest snapshot (PCA until UMAP is warm), coloured as chosen."""
    nodes = sources.nodes_from_bundle(job.bundle)
    options = (["Label"] if nodes.has_labels else []) + ["Community", "Degree"]
    colour_by = st.segmented_control("Colour by", options, default=options[0], key="train.colour",
                                     required=True) or options[0]
    frame, frame_epoch, perr = training.live_projection(slot, job)
    if perr:
        st.warning(perr)
    if frame is None:
        return
    if colour_by == "Label":
        colour = figures.colour_by_label(nodes)
    elif colour_by == "Community":
        colour = figures.colour_by_groups(graphs.communities_of(slot, job.bundle), "Community", "community")
    else:
        colour = figures.colour_by_degree(nodes)
    name = "UMAP" if frame.method == "umap" else "PCA"
    fig = figures.projection_figure(frame.coords, frame.index, nodes, colour, height=600,
                                    uirevision="live-projection",
                                    title=f"{name} of the embeddings at epoch {frame_epoch}")
    st.plotly_chart(fig, key="train.projection")
    notes = []
    if frame.method == "pca" and not projection.is_warm():
        notes.append("PCA for now: UMAP is still warming up (it compiles once per server start) and "
                     "takes over automatically.")
    if frame.note:
        notes.append(frame.note + ".")
    notes.append(f"Redrawn every {job.cfg.snapshot_every} epochs. Hover a point for its name, label and degree.")
    st.caption(" ".join(notes))


@st.fragment(run_every=poll)
def live_view() -> None:
    """The tab's run, redrawn every poll while it trains."""
    job = slot.job
    if job is None:
        st.info(f"Press **Start** to train on {graphs.title_of(slot.graph_key or graph_key)}. The loss curve, a live "
                "map of the nodes and the distances between similar and dissimilar pairs appear here while it "
                "learns.", icon=":material/play_arrow:")
        st.caption(f"Device: {device_info()['label']}")
        return
    s = job.status()
    if job.done and ss.get("train.done_seen") is not job:
        ss["train.done_seen"] = job
        st.rerun()  # the whole page: buttons change and polling stops
    was, ss["train.polled_state"] = ss.get("train.polled_state"), s["state"]
    if was == "queued" and s["state"] != "queued":
        st.rerun()  # admitted: poll at the training pace from now on
    _status(job, s)
    if job.trainer is None:
        return  # still waiting for its first slot: nothing to chart yet, and 19 waiting tabs poll this
    _metrics(job, s["history"])
    right_col, left_col = st.columns([1.35, 1], gap="medium")
    with left_col:
        _curves(job, s["history"])
    with right_col:
        _projection(job)


with live_col:
    live_view()
