"""Explore: the embeddings of any run and any snapshot, coloured, searched and replayed over the epochs."""

from functools import partial

import streamlit as st

from graphcl_core.errors import GraphCLError
from ui import explore, figures, linked, linked_events, redraws, registry, shell, workspace
from ui.playback import Playback
from ui.live_chart import live_chart

shell.route_through_app()  # a shared link opened first on a fresh server

ss = st.session_state
slot = registry.get_slot(ss["sid"])
PLAY_EVERY_S = 0.9

st.title("Explore")
st.caption("Look inside the learned embeddings: each point is a node, placed so that nodes with similar "
           "embeddings are close together.")

ids, titles = explore.run_choices(slot)
if (deep_link := workspace.take_deep_link()) is not None:
    if (choice := explore.choice_for_link(slot, deep_link, ids)) is not None:
        ss["explore.run"] = choice
    else:  # another workspace's unpublished run reads exactly like one that does not exist
        st.warning(workspace.not_found(deep_link), icon=":material/search_off:")
if not ids:
    st.info("There are no runs to explore yet. Train one first: it is saved as it goes and shows up here.",
            icon=":material/info:")
    st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")
    st.stop()
if ss.get("explore.run") not in ids:
    ss["explore.run"] = ids[0]

top = st.columns([4, 2, 1])  # the run picker: a whole label at 1400 px (ui.explore.run_title)
run = top[0].selectbox("Run", ids, key="explore.run", format_func=lambda r: titles.get(r, r),
                       help="This tab's live run, your saved runs, or runs others published (shared, read-only). "
                            "A saved run reads: its margin (or τ), learning rate and epochs, then its id (date, "
                            "time and graph).")
try:
    src = explore.open_source(slot, run)
    epochs = src.epochs()
except GraphCLError as e:
    st.error(str(e))
    st.stop()
if not epochs:
    st.info("This run has no saved embeddings yet; they appear after its first snapshot.", icon=":material/info:")
    st.stop()
nodes = src.nodes
colour_opts = (["Label"] if nodes.has_labels else []) + ["Degree", "Cluster"] + (
    ["Probe prediction"] if nodes.has_labels else [])
if ss.get("explore.colour") not in colour_opts:
    ss["explore.colour"] = colour_opts[0]
colour_kind = top[1].selectbox("Colour by", colour_opts, key="explore.colour",
                               help="Label: the known class. Cluster: k-means groups of the embeddings. "
                                    "Probe prediction: what a linear classifier trained on 10% of the labels "
                                    "predicts for every node.")
k = 4
if colour_kind == "Cluster":
    k = top[2].number_input("Clusters", min_value=2, max_value=min(50, max(2, nodes.n - 1)),
                            value=min(max(2, len(nodes.label_names) or 4), max(2, nodes.n - 1)), step=1,
                            key="explore.k", help="Number of k-means clusters.")

row = st.columns([1, 1], vertical_alignment="bottom")  # the chooser gets half the width: no label is cut
view = row[0].segmented_control("Projection", list(explore.VIEWS), default="UMAP 2-D", key="explore.view",
                                required=True, help="UMAP keeps neighbourhoods (who is close to whom); PCA keeps "
                                "the largest directions of spread. Select nodes in a 2-D view.") or "UMAP 2-D"
search = row[1].selectbox("Find a node", list(range(nodes.n)), index=None, key=f"explore.node.{src.id}",
                          format_func=lambda i: explore.node_label(nodes, i), placeholder="Type a node name",
                          help="Highlights the node, its neighbours in the graph, and its nearest neighbours in "
                               "the embedding.")

with st.spinner("Projecting the snapshots…"):
    bar = st.empty()

    def _progress(i, total):
        if total > 3:
            bar.progress(i / total, text=f"Projecting snapshot {i + 1} of {total}…")

    try:
        frames = explore.frames(slot, src, view, epochs, progress=_progress)
    except GraphCLError as e:
        bar.empty()
        st.error(str(e))
        st.stop()
    bar.empty()

playback = Playback(ss, f"explore.epoch.{src.id}")
playback.current(epochs)


def _play_button(eps: list[int]) -> None:
    if playback.playing:
        if st.button("Pause", icon=":material/pause:", key="explore.pause", width="stretch"):
            playback.pause()
            st.rerun()
    elif st.button("Play", icon=":material/play_arrow:", key="explore.play", disabled=len(eps) < 2,
                   width="stretch", help="Replay how the picture changed during training."):
        playback.play(eps)
        st.rerun()


def _figure(epoch: int, node: int | None, sel: linked.Selection):
    """The projection at ``epoch``, coloured, with the searched node and its neighbours marked, the
    selection ringed and its paths through the epochs drawn."""
    frame = frames[epoch]
    try:
        colour = explore.colouring(slot, src, colour_kind, epoch, int(k))
    except GraphCLError as e:
        st.warning(f"{e} Colouring by degree instead.")
        colour = figures.colour_by_degree(nodes)
    highlight, table = None, None
    if node is not None:
        table, near = explore.nearest_table(src.embeddings(epoch), nodes, node)
        highlight = figures.Highlight(node, nodes.neighbours(node), near)
    method = "UMAP" if frame.method == "umap" else "PCA"
    fig = figures.projection_figure(frame.coords, frame.index, nodes, colour, height=620,
                                    uirevision=f"explore-{src.id}-{view}", highlight=highlight,
                                    title=f"{method} {frame.dim}-D of the embeddings at epoch {epoch}")
    path_note = ""
    if ss.get("explore.paths", True) and sel:
        drawn = linked.paths(frames, list(frames), sel.nodes, epoch)
        window = linked.draw_paths(fig, drawn, nodes)
        path_note = linked.paths_note([nodes.names[u] for u in drawn], window)
    linked.mark_selected(fig, frame.coords, frame.index, nodes, sel.nodes)
    linked.keep_plotly_selection(fig, sel)
    ss["explore.projection.traces"] = linked.trace_nodes(fig, frame.coords, frame.index, nodes.names)
    return fig, table, path_note


def _side_panel(epoch: int, node: int | None, table) -> None:
    """The metrics at ``epoch``, or the searched node with its graph and embedding neighbours."""
    if node is None:
        st.markdown("**Find a node** above to see its neighbours. Hover a point for its name, label and degree.")
        loss, row = explore.metrics_at(src.history, epoch)
        if loss is not None:
            st.metric("Loss at this epoch", f"{loss:.4f}")
        if row:
            st.metric("Linear probe", f"{row['linear_probe_acc']:.1%}")
            if "silhouette" in row:
                st.metric("Silhouette", f"{row['silhouette']:.3f}")
        return
    st.markdown(f"**{nodes.names[node]}**  \nlabel: {nodes.labels[node] or '—'} · degree {int(nodes.degrees[node])}")
    gn = nodes.neighbours(node)
    st.caption(f"Graph neighbours ({len(gn)}), orange rings: "
               + ", ".join(nodes.names[j] for j in gn[:30]) + (" …" if len(gn) > 30 else ""))
    st.caption("Nearest in the embedding (cosine distance), green diamonds; ✓: also a graph neighbour.")
    st.table(table, hide_index=True, border="horizontal")


def _picked_in(chart: str, state: dict) -> None:
    """A box, lasso or click in the projection or the drawing: those nodes become the selection."""
    picked = linked.nodes_of_event(state, ss.get(f"{chart}.traces") or [])
    pick = linked.pick_in_projection if chart == "explore.projection" else linked.pick_in_drawing
    before = linked.current(ss, src.id)
    if pick(ss, src.id, picked) != before and chart == "explore.projection":
        ss["explore.selection_changed"] = True  # the projection's fragment reruns alone: rerun the page


FILL_POLL_S = 1.0  # while a saved run's other frames are projected in the background


@st.fragment(run_every=PLAY_EVERY_S if playback.playing and len(epochs) > 1
             else FILL_POLL_S if explore.frames_progress(slot, src, view) else None)
def timeline() -> None:
    """Play/Pause, the epoch slider and the picture; the timer steps the replay while playing, and
    picks up frames made in the background until every snapshot has its own."""
    if ss.pop("explore.selection_changed", False):
        st.rerun(scope="app")  # a pick in the projection: the drawing and the list below follow
    filling = explore.frames_progress(slot, src, view)
    if filling is not None or ss.pop("explore.was_filling", False):
        frames.update(explore.frames(slot, src, view, epochs))
        if filling is None:
            st.rerun(scope="app")  # every frame is in: the polling timer goes off
        ss["explore.was_filling"] = True
    eps = [e for e in src.epochs() if e in frames] or epochs
    if playback.tick(eps, pause_clicked=bool(ss.get("explore.pause"))):
        st.rerun()  # the replay has ended: stop the timer
    # Play and the slider are drawn last, into their place above the picture: Streamlit drops a redraw's
    # unsent elements when the replay's next tick starts, so a slider sent before the figure was built could
    # say epoch 50 above a picture of epoch 45 (the tick before's).
    # A redraw after one that was cut short (it never reached its end) draws them first: where every redraw
    # outlasts the replay's tick, controls sent last would never be sent at all.
    cut_short = redraws.begin(ss, "explore")
    row = st.container()
    epoch = playback.current(eps)
    if cut_short:
        with row:
            _controls(eps)
    node = ss.get(f"explore.node.{src.id}")
    node = None if node is None else int(node)
    sel = linked.current(ss, src.id)
    fig, table, path_note = _figure(epoch, node, sel)
    plot_col, side_col = st.columns([3, 1.2], gap="medium")
    with plot_col:
        live_chart(fig, key="explore.projection")
        linked_events.selection_events("explore.projection", partial(_picked_in, "explore.projection"),
                                       revision=f"{view}-{epoch}")
        frame = frames[epoch]
        notes = [frame.note + "." if frame.note else "", f"{len(eps)} snapshots from epoch {eps[0]} to {eps[-1]}.",
                 path_note]
        if filling is not None:
            notes.append(f"Frames ready: {filling[0]} of {filling[1]}; the rest are being projected in the "
                         "background (until then an epoch shows the nearest ready frame).")
        st.caption(" ".join(n for n in notes if n))
    with side_col:
        _side_panel(epoch, node, table)
    if not cut_short:
        with row:
            _controls(eps)
    redraws.end(ss, "explore")


def _controls(eps: list[int]) -> None:
    """Play/Pause and the epoch slider."""
    c1, c2 = st.columns([1, 9], vertical_alignment="bottom")
    with c1:
        _play_button(eps)
    with c2:
        st.select_slider("Epoch", options=eps, key=playback.epoch_key,
                         help="Each saved snapshot of the embeddings; drag to travel in time.")


def _drawing_colour() -> figures.Colouring:
    """The projection's colours where they do not change with the epoch, else labels (or degree)."""
    if colour_kind in ("Label", "Degree"):
        return explore.colouring(slot, src, colour_kind, epochs[-1], int(k))
    return figures.default_colouring(nodes)


def linked_views() -> None:
    """The graph drawing with the selection ringed (click a node to select it) and the selection's list."""
    sel = linked.current(ss, src.id)
    st.subheader("Selected nodes")
    draw_col, list_col = st.columns([3, 1.2], gap="medium")
    with list_col:
        if sel:
            st.markdown(f"**{len(sel.nodes):,} selected**")
            rows = linked.selected_rows(nodes, sel.nodes)  # a wrapping table: no scrolling sideways
            st.table(rows, hide_index=True, border="horizontal", height=min(420, 40 + 36 * len(rows)))
            st.button("Clear selection", icon=":material/deselect:", key="explore.clear",
                      on_click=linked.clear, args=(ss, src.id), width="stretch")
            st.toggle("Paths through the epochs", value=True, key="explore.paths",
                      help=f"Draw where each selected node sat in every snapshot up to this epoch (the first "
                           f"{linked.MAX_PATHS} selected). The frames are aligned, so a path is what training did.")
        else:
            st.caption("Nothing selected yet. In the projection, pick **Box Select** or **Lasso Select** in the "
                       "chart's toolbar (top right) and drag over points, or click a point; or click a node in "
                       "the drawing.")
    with draw_col:
        scope, note = linked.drawing_scope(nodes, sel)
        if scope is not None and not len(scope):
            st.info(note, icon=":material/touch_app:")
            return
        with st.spinner("Laying out the graph…"):
            d = linked.drawing(slot.cache, src.id, nodes, scope)
        title = "The graph" + (", around the selection" if scope is not None else "")
        fig = linked.drawing_figure(d, nodes, _drawing_colour(), sel, title=title)
        ss["explore.drawing.traces"] = linked.trace_nodes(fig, d.pos, d.nodes, nodes.names)
        live_chart(fig, key="explore.drawing")
        linked_events.selection_events("explore.drawing", partial(_picked_in, "explore.drawing"),
                                       revision=str(len(d.nodes)))
        st.caption(" ".join(x for x in [note, "Selected nodes are ringed here and in the projection; click a "
                                        "node (or box-select) to select it."] if x))


timeline()
linked_views()
