"""Train: hyperparameters, Start/Pause/Step/Stop/Reset, and the live view of the running job.

With presentation mode on (``?present=1`` or its toggle, ``ui/present.py``) the same live view is laid
out for a projector: no sidebar or settings, one big Start/Pause button, large high-contrast charts.
A run that trains faster than the chosen playback speed is played back from its snapshots
(``ui/pacing.py``).
"""

import time

import streamlit as st

from graphcl_core import projection
from graphcl_core.device import device_info
from graphcl_core.errors import GraphCLError
from graphcl_core.worker import check_host_limits
from ui import (controls, figures, first_frame_ahead, graphs, live, live_frames, pacing, present, redraws, registry,
                shell, sources, state, training)
from ui.live_chart import live_chart, preload_plotly

shell.route_through_app()  # a shared link opened first on a fresh server

ss = st.session_state
slot = registry.get_slot(ss["sid"])
graph_key = ss[state.GRAPH_KEY]
bundle, load_error = graphs.ensure_graph(slot, graph_key)
presenting = present.is_on(ss)
head = pacing.Playhead(slot.cache)  # the epoch on screen of this tab's run (kept across reloads)


def current_pace(job) -> float | None:
    """Epochs shown per second for ``job`` at the chosen playback speed (``None``: live)."""
    return pacing.pace(ss[present.SPEED_KEY], job.cfg.epochs)


# ---- button callbacks (run before the page, so the page shows the new state) --------------------
def on_start() -> None:
    ss["train.error"] = training.launch(slot, bundle, state.current_config(), training.start)


def on_step() -> None:
    """One more epoch on screen: the next one already trained while the playback is behind, else a newly
    trained one (``live.step``)."""
    rate = current_pace(slot.job) if slot.job is not None else None
    ss["train.error"] = live.step(slot, head, rate, time.time(),
                                  lambda: training.launch(slot, bundle, state.current_config(), training.step))


def on_pause() -> None:
    live.pause_or_resume(slot, head, time.time(), current_pace(slot.job) if slot.job is not None else None)


def speed_control() -> None:
    st.segmented_control("Playback speed", pacing.SPEEDS, format_func=pacing.SPEED_LABELS.get,
                         key=present.SPEED_KEY, required=True,
                         help="Epochs shown per second. A run that trains faster (a GPU trains Cora in under "
                              "a second) is played back from its snapshots at this pace; Auto shows a run in "
                              f"about {pacing.AIM_SECONDS:.0f} s, Live shows each epoch as soon as it is "
                              "trained. A run slower than the pace is always shown live.")


job = slot.job
active = slot.active
held = live.is_held(job, head)
playing_back = job is not None and live.playback_pending(job, head, current_pace(job))
graph_line = (f"**{graphs.title_of(slot.graph_key or graph_key)}** · {bundle.num_nodes:,} nodes · "
              f"{bundle.num_edges:,} edges · " + (f"{bundle.num_classes} labels" if bundle.has_labels else "no labels")
              ) if bundle is not None else ""

if presenting:
    st.html(f"<style>{present.PAGE_CSS}</style>")
    bar = st.columns([1.3, 3.2, 2.6, 0.9], vertical_alignment="center", gap="medium")
    with bar[0].container(key="present-go"):
        if active or playing_back:
            st.button("Resume" if held else "Pause", type="primary", on_click=on_pause, key="present.pause",
                      icon=":material/play_arrow:" if held else ":material/pause:", width="stretch")
        else:
            st.button("Start", type="primary", icon=":material/play_arrow:", on_click=on_start,
                      disabled=bundle is None, key="present.start", width="stretch")
    bar[1].markdown(graph_line or "No graph is loaded.")
    with bar[2]:
        speed_control()
    bar[3].button("Exit", icon=":material/close_fullscreen:", key="present.exit", width="stretch",
                  on_click=present.set_on, args=(ss, False), help="Leave presentation mode (settings and sidebar "
                  "come back).")
    if err := ss.pop("train.error", None):
        st.error(err, icon=":material/error:")

if not presenting:
    title_col, toggle_col = st.columns([4, 1], vertical_alignment="bottom")
    title_col.title("Train")
    toggle_col.toggle("Presentation mode", key=present.PRESENT_KEY, on_change=present.switched_on, args=(ss,),
                      help="For a projector: hides the sidebar and the settings, draws the map and the loss "
                           "large with high-contrast colours, one big Start/Pause button (link: ?present=1).")
if bundle is None:
    st.error(load_error or "No graph is loaded.")
    st.page_link("pages/graph.py", label="Choose a graph", icon=":material/hub:")
    st.stop()
if not presenting:
    st.markdown(f"Graph: {graph_line}")
if load_error:
    st.error(load_error)


def settings() -> None:
    st.subheader("Settings")
    controls.main_settings()
    with st.expander("Advanced", icon=":material/tune:"):
        controls.advanced_settings()
    try:
        check_host_limits(state.current_config().validate())
    except GraphCLError as e:
        st.error(str(e))


def run_buttons() -> None:
    """Start, Pause/Resume (the run and its playback), Step, Stop, Reset, and the playback speed."""
    b = st.columns(5)
    b[0].button("Start", type="primary", icon=":material/play_arrow:", on_click=on_start, disabled=active,
                key="train.start", width="stretch",
                help="Start a new run with the settings on the left.")
    b[1].button("Resume" if held else "Pause", icon=":material/play_circle:" if held else ":material/pause:",
                on_click=on_pause, disabled=not (active or playing_back), key="train.pause",
                width="stretch", help="Pause or continue the run in progress, or its playback.")
    b[2].button("Step", icon=":material/skip_next:", on_click=on_step, key="train.step", width="stretch",
                help="Show exactly one more epoch, then pause: the next one already trained while the "
                     "playback is behind the run, otherwise train one more.")
    b[3].button("Stop", icon=":material/stop:", on_click=training.stop, args=(slot,), disabled=not active,
                key="train.stop", width="stretch", help="End the run; it stays saved under Runs.")
    b[4].button("Reset", icon=":material/restart_alt:", on_click=training.reset, args=(slot,),
                disabled=job is None, key="train.reset", width="stretch",
                help="Stop and clear the live view, ready for a fresh Start.")
    speed_control()
    if err := ss.pop("train.error", None):
        st.error(err, icon=":material/error:")
    if job is not None and not job.done:
        changed = state.differs_from(job.cfg)
        if job.bundle is not bundle:
            changed = ["graph"] + changed
        if changed:
            st.info("Changes apply on the next Start. The run in progress keeps its own settings "
                    f"(changed: {', '.join(changed)}).", icon=":material/info:")


if presenting:
    live_col = st.container()
else:
    settings_col, live_col = st.columns([1, 2.7], gap="large")
    with settings_col:
        settings()
    with live_col:
        run_buttons()

def _poll(job, rate: float | None) -> float | None:
    """The live view's poll (``live.poll_seconds``), fast until the run's first map is drawn."""
    return live.poll_seconds(job, head, rate, first_frame_pending=live_frames.first_frame_pending(slot, job))


poll = _poll(job, current_pace(job) if job is not None else None)
ss["train.poll"] = poll


def _status(job, s: dict, shown: int, rate: float | None, map_epoch: int | None = None) -> None:
    """The run's state: failure or queue message, progress line (the epoch on screen, and the map's when
    that is another: ``map_epoch``), device, and where to go when finished and shown to the end."""
    if s["state"] == "failed":
        st.error(f"{job.message}\n\nPress **Reset**, change the settings and Start again.", icon=":material/error:")
    elif s["state"] == "queued" and (waiting := training.queue_text(s) or job.message):
        st.info(waiting, icon=":material/hourglass_top:")
    text = live.paced_progress_text(s, shown, rate, held=head.paused(live.run_key(job)), map_epoch=map_epoch)
    with st.container(key="present-bar" if presenting else None):
        st.progress(min(1.0, shown / max(1, s["epochs"])), text=text)
    if presenting:
        return
    info = device_info(job.device)
    st.caption(f"Device: {info['label']}" + (f" · run `{job.run_id}` (saved as it goes)" if job.run_id else ""))
    if s["state"] == "finished" and shown >= s["epoch"]:
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


def _curve_figures(job, hist: list[dict], behind: bool, pd: dict | None) -> list:
    """The loss curve up to the epoch on screen and, when the picture is live, the histogram of similar
    vs dissimilar pair distances ``pd`` (they are measured on the newest model, so not shown during
    playback), made ready to draw (``_draw_curves``)."""
    fig = figures.loss_figure([(job.bundle.name, hist)], uirevision="live-loss")
    if presenting:
        return [present.stage_loss(fig, total_epochs=job.cfg.epochs)]
    if not behind and pd is not None and (len(pd["positive"]) or len(pd["negative"])):
        return [fig, figures.pair_distance_figure(pd, uirevision="live-pairs")]
    return [fig]


def _draw_curves(figs: list, behind: bool) -> None:
    live_chart(figs[0], key="train.loss")
    if presenting:
        return
    if behind:
        st.caption("Pair distances are measured on the newest model: they appear when the playback reaches it.")
    elif len(figs) > 1:
        live_chart(figs[1], key="train.pairs")
        st.caption("Similar pairs should end up left of the margin line and dissimilar pairs right of it.")


def _frame(job, shown: int, rate: float | None):
    """``(frame, its epoch, error)`` for the epoch on screen: the redraw's one wait (``live_frames.frame_at``).

    Asked for before anything of the redraw is drawn: Streamlit sends each element as the script reaches
    it, and with the wait (up to 0.3 s, and the pair distances) between the progress line and the map, the
    browser showed "Showing epoch 84" beside the map of epoch 68 for a moment at every redraw (measured:
    the map's title trailed the progress line by 150-500 ms, often a whole redraw). ``None`` (``_projection``
    asks after the loss chart, as before) for the first trained epochs, whose first loss point must not
    wait for a frame and whose redraw still brings the first frame (asked first with no wait, the first
    UMAP frame came a redraw later: 0.64-0.89 s after Start instead of 0.36-0.62 s, H100,
    ``bench/latency.py fresh_server --click-after 10``), and for the last redraw, which waits for its
    frame, up to a minute for a cold UMAP: "stopped" or "finished" must not wait with it."""
    if shown <= 1 or live.poll_seconds(job, head, rate) is None:
        return None
    return live_frames.frame_at(slot, job, shown, last=False)


def _colour_options(job) -> tuple[list[str], str]:
    """The map's colourings for this graph and the one chosen (read before its widget is drawn: the figure
    is made before anything of the redraw is sent, see ``live_view``)."""
    options = (["Label"] if job.bundle.has_labels else []) + ["Community", "Degree"]
    chosen = options[0] if presenting else ss.get("train.colour")
    return options, chosen if chosen in options else options[0]


def _map_parts(job, shown: int, framed, colour_by: str) -> tuple:
    """``(figure or None, warning, notes, its epoch or None)``: the map ``framed`` (``_frame``; ``None``: asked for here) of the
    snapshot at the epoch on screen (PCA until UMAP is warm), coloured by ``colour_by``, with its title and
    notes."""
    if framed is None:  # the last redraw waits for its frame (none follows to show it); others draw the newest ready
        framed = live_frames.frame_at(slot, job, shown, last=live.poll_seconds(job, head, current_pace(job)) is None)
    frame, frame_epoch, perr = framed
    if frame is None:
        return None, perr, [], None
    live_frames.mark_drawn(slot, job)  # (the live view's fast poll after Start ends: _poll)
    nodes = sources.nodes_from_bundle(job.bundle)
    if colour_by == "Label":
        colour = figures.colour_by_label(nodes)
    elif colour_by == "Community":
        colour = figures.colour_by_groups(graphs.communities_of(slot, job.bundle), "Community", "community")
    else:
        colour = figures.colour_by_degree(nodes)
    snaps = job.trainer.snapshot_list() if job.trainer is not None else []
    wanted = pacing.frame_epoch(shown, [s.epoch for s in snaps])
    every = job.trainer.snapshot_every if job.trainer is not None else job.cfg.snapshot_every
    fig = figures.projection_figure(frame.coords, frame.index, nodes, colour, height=460,
                                    uirevision="live-projection",
                                    title=live.projection_title(frame.method, frame_epoch, wanted, shown, every))
    fig.update_layout(transition={**figures.TRANSITION, "duration": live.glide_ms(ss.get("train.poll"),
                                                                                   figures.TRANSITION["duration"])})
    notes = []
    if frame.method == "pca" and not projection.is_warm():
        notes.append("PCA for now: UMAP is still warming up (it compiles once per server start) and "
                     "takes over automatically.")
    if frame.note:
        notes.append(frame.note + ".")
    if wanted is not None and frame_epoch < wanted and not presenting:
        notes.append(live.LAGGING_NOTE)
    if not presenting:
        notes.append(f"A snapshot every {'epoch' if every == 1 else f'{every} epochs'}. Hover a point for its "
                     "name, label and degree.")
    return (present.stage_projection(fig) if presenting else fig), perr, notes, frame_epoch


def _draw_map(options: list[str], parts: tuple) -> None:
    if not presenting:
        st.segmented_control("Colour by", options, default=options[0], key="train.colour", required=True)
    fig, warning, notes, _ = parts
    if warning:
        st.warning(warning)
    if fig is None:
        return
    live_chart(fig, key="train.projection")
    if notes:
        st.caption(" ".join(notes))


@st.fragment(run_every=poll)
def live_view() -> None:
    """The tab's run, redrawn every poll while it trains or its playback is behind."""
    job = slot.job
    if job is None:
        shown_here = ("A live map of the nodes and the loss curve" if presenting else "The loss curve, a live map "
                      "of the nodes and the distances between similar and dissimilar pairs")
        st.info(f"Press **Start** to train on {graphs.title_of(slot.graph_key or graph_key)}. {shown_here} appear "
                "here while it learns.", icon=":material/play_arrow:")
        st.caption(f"Device: {device_info()['label']}")
        preload_plotly(key="train.preload")  # the first chart after Start then draws at once
        first_frame_ahead.prepare(slot, bundle, state.current_config())  # and the first map
        return
    live.await_first_loss(job)  # just started: this redraw draws the first loss point
    s = job.status()
    if job.done and ss.get("train.done_seen") is not job:
        ss["train.done_seen"] = job
        st.rerun()  # the whole page: buttons change and polling changes
    rate = current_pace(job)
    shown = live.on_screen(head.update(live.run_key(job), time.time(), s["epoch"], rate), s["epoch"])
    if _poll(job, rate) != ss.get("train.poll"):
        st.rerun()  # admitted from the queue, the first map drawn, or the playback ended: the page polls anew
    if not job.done and s.get("queue_position") is None:  # (not for a run waiting in line)
        live_frames.prefetch_first(slot, job)  # the first frame is laid out while the run starts
    behind = shown < s["epoch"]
    has_trainer = job.trainer is not None  # (once: the run's thread may set it meanwhile)
    # The slow parts first (the frame's wait, the pair distances, every figure), then the elements, and the
    # progress line last (into its place above the charts), so that the browser never shows a newer epoch
    # above an older map. Streamlit sends each element as the script reaches it, and when the next redraw
    # starts before the last elements were sent (a redraw slower than the poll: a busy CPU), it drops them
    # (its queue is cleared for the fragment's new run): with the line first and the map last, the line of
    # every redraw came and the map of one in three (measured, karate at 5/s on 2 busy cores: the title
    # trailed the line by 2-12 epochs in 4 of 5 samples, "Showing epoch 59" above "epoch 53"). Sent last,
    # the line is dropped with the map or comes after it. The first epochs and the last redraw (``_frame``:
    # ``None``) keep the line first: there the map may wait, and "finished" must not wait with it. So does a
    # redraw after one that was cut short (it never reached its end): where every redraw is slower than the
    # poll, a line sent last would never be sent at all (a loaded 2-core CI machine: no progress line in 30 s).
    cut_short = redraws.begin(ss, "train")
    status_box = st.container()
    framed = _frame(job, shown, rate) if has_trainer else None
    line_first = framed is None or cut_short
    if line_first:
        with status_box:
            map_epoch = framed[1] if framed is not None and framed[0] is not None else None
            _status(job, s, shown, rate, map_epoch=map_epoch)
    if not has_trainer:
        redraws.end(ss, "train")
        return  # still waiting for its first slot: nothing to chart yet, and 19 waiting tabs poll this
    pd = None if presenting or behind else training.live_pair_distances(slot, job)
    hist = pacing.history_until(s["history"], shown)
    curves = _curve_figures(job, hist, behind, pd)
    options, colour_by = _colour_options(job)
    map_parts = _map_parts(job, shown, framed, colour_by) if framed is not None else None
    if presenting:
        map_col, loss_col = st.columns([1.2, 1], gap="medium")
    else:
        _metrics(job, hist)
        map_col, loss_col = st.columns([1.35, 1], gap="medium")
    with loss_col:
        _draw_curves(curves, behind)
    with map_col:
        _draw_map(options, map_parts if map_parts is not None else _map_parts(job, shown, None, colour_by))
    if not line_first:
        with status_box:
            _status(job, s, shown, rate, map_epoch=map_parts[3])
    redraws.end(ss, "train")

with live_col:
    st.html(f"<style>{present.STEADY_CSS}</style>")
    with st.container(key="train-live"):
        live_view()
