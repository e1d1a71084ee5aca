"""Runs: this workspace's saved runs in a table, and those others shared; compared, downloaded, published,
pinned or deleted (the last three only for one's own runs)."""

import streamlit as st

from graphcl_core import projection
from graphcl_core.errors import GraphCLError
from ui import downloads, explore, figures, registry, run_table, shell, sources, state, workspace

shell.route_through_app()  # a shared link opened first on a fresh server

ss = st.session_state
slot = registry.get_slot(ss["sid"])
store = sources.store()
MAX_COMPARE = 4

st.title("Runs")
st.caption("Your training runs, saved as they go and kept after a restart. Nobody else sees them unless you "
           "publish one; runs others published are listed under *Shared runs*, read-only.")

if msg := ss.pop("runs.deleted", None):
    st.success(msg, icon=":material/delete:")

own = run_table.load_runs(store)
shared = {rid: r for rid, r in run_table.load_runs(store, shared=True).items() if rid not in own}
runs = {**own, **shared}
linked = workspace.take_deep_link()
if linked is not None and linked not in runs:  # another's unpublished run reads like a missing one
    st.warning(workspace.not_found(linked), icon=":material/search_off:")
elif linked is not None:
    ss["runs.detail"] = linked
if not runs:
    st.info("No saved runs yet. Start one on the Train page; it appears here right away.", icon=":material/info:")
    st.page_link("pages/train.py", label="Go to Train", icon=":material/model_training:")
    st.stop()

COLUMNS = run_table.COLUMNS


def _while_training(runs_shown: dict):
    """``st.fragment`` that reruns every ``REFRESH_EVERY_S`` while one of ``runs_shown`` trains (else never)."""
    return st.fragment(run_every=run_table.REFRESH_EVERY_S if run_table.training(runs_shown) else None)


@_while_training(own)
def _own_table() -> None:
    """This workspace's runs; a training run's row (status, epoch, loss, time) is read again every few
    seconds, and once none trains any more the whole page is drawn again (and the polling stops)."""
    fresh = run_table.refreshed(store, own)
    st.dataframe(run_table.table(fresh), hide_index=True, width="stretch", key="runs.table", column_config=COLUMNS,
                 placeholder=run_table.MISSING)
    if run_table.training(own) and not run_table.training(fresh):
        st.rerun()


if own:
    _own_table()
else:
    st.info("You have no runs of your own yet: start one on the Train page.", icon=":material/info:")
if shared:
    st.subheader("Shared runs")
    st.caption("Published by other visitors: you can open, compare and download them, not change them.")
    st.dataframe(run_table.table(shared).drop(columns=["published", "pinned"]), hide_index=True, width="stretch",
                 key="runs.shared", column_config=COLUMNS, placeholder=run_table.MISSING)

ids = list(runs)
label = {rid: ("Shared: " if runs[rid].read_only else "") + sources.describe_meta(runs[rid].meta) for rid in ids}


def _compare_card(r, use_umap: bool, n_chosen: int) -> None:
    """One run's last projection and settings, beside the others chosen for comparison."""
    if not r.snapshot_epochs:
        st.info(f"{r.run_id}: no embeddings saved yet.")
        return
    src = sources.SavedSource(r)
    last = r.snapshot_epochs[-1]
    with st.spinner("Projecting…"):
        frame = explore.frames(slot, src, "UMAP 2-D" if use_umap else "PCA 2-D", [last])[last]
    nodes = src.nodes
    fig = figures.projection_figure(frame.coords, frame.index, nodes, figures.default_colouring(nodes), height=380,
                                    uirevision=f"runs-{r.run_id}", animate=False,
                                    title=f"{r.meta.get('graph')} · epoch {last}")
    fig.update_layout(showlegend=n_chosen <= 2)
    st.plotly_chart(fig, key=f"runs.proj.{r.run_id}")
    st.caption(run_table.settings_caption(r.config, r.meta.get("metrics")))


def _compare() -> list[str]:
    """Loss curves and projections of up to ``MAX_COMPARE`` runs; returns the chosen ids."""
    if "runs.compare" not in ss:
        ss["runs.compare"] = run_table.default_comparison(own or runs)
    ss["runs.compare"] = [r for r in ss["runs.compare"] if r in runs]
    st.subheader("Compare")
    chosen = st.multiselect("Runs to compare", ids, key="runs.compare", format_func=lambda r: label[r],
                            max_selections=MAX_COMPARE, help=f"Up to {MAX_COMPARE} runs.")
    if not chosen:
        return chosen
    series = [(f"{runs[r].meta.get('graph')} · {r[-4:]}", runs[r].history) for r in chosen]
    st.plotly_chart(figures.loss_figure(series, title="Loss of the selected runs", uirevision="runs-loss"),
                    key="runs.loss")
    use_umap = st.toggle("UMAP projections (PCA when off)", value=projection.is_warm(), key="runs.umap",
                         help="UMAP shows neighbourhoods better; PCA is instant.")
    for col, rid in zip(st.columns(max(2, len(chosen))), chosen):
        with col:
            _compare_card(runs[rid], use_umap, len(chosen))
    return chosen


def _summary(r) -> None:
    """Status, epochs, loss, probe and time of one run, and its message if any (kept current while it trains)."""
    @_while_training({r.run_id: r})
    def _current() -> None:
        fresh = run_table.refreshed(store, {r.run_id: r}).get(r.run_id, r)
        _summary_of(fresh)
        if run_table.training({r.run_id: r}) and not run_table.training({r.run_id: fresh}):
            st.rerun()  # it ended: the downloads of its weights appear, and the polling stops

    _current()


def _summary_of(r) -> None:
    meta = r.meta
    m = st.columns(5)
    m[0].metric("Status", meta.get("status", "?"))
    m[1].metric("Epochs", f"{meta.get('epoch', 0)} / {meta.get('epochs', '?')}")
    m[2].metric("Final loss", f"{meta['final_loss']:.4f}" if meta.get("final_loss") is not None else "—")
    q = (meta.get("metrics") or {}).get("linear_probe_acc")
    m[3].metric("Linear probe", run_table.percent(q))
    m[4].metric("Training time", f"{float(meta.get('seconds') or 0):.1f} s")
    if meta.get("message"):
        (st.error if meta.get("status") == "failed" else st.info)(meta["message"])


def _embedding_downloads(r, src, last: int) -> None:
    """The embeddings at the last snapshot as CSV, .npy and the Embedding Projector's two TSV files."""
    stem = f"{r.run_id}_epoch{last}"

    def emb():
        return r.load_snapshot(last)

    st.markdown(f"**Embeddings** at epoch {last} ({src.nodes.n:,} nodes × {src.embeddings(last).shape[1]} values)")
    d = st.columns(4)
    d[0].download_button("CSV", lambda: downloads.embeddings_csv(emb(), src.nodes), f"{stem}.csv", "text/csv",
                         key="dl.csv", icon=":material/table:", on_click="ignore", width="stretch")
    d[1].download_button("NumPy .npy", lambda: downloads.embeddings_npy(emb()), f"{stem}.npy",
                         "application/octet-stream", key="dl.npy", icon=":material/data_array:", on_click="ignore",
                         width="stretch")
    d[2].download_button("Projector vectors.tsv", lambda: downloads.projector_vectors_tsv(emb()),
                         f"{stem}_vectors.tsv", "text/tab-separated-values", key="dl.vec", on_click="ignore",
                         icon=":material/view_in_ar:", width="stretch")
    d[3].download_button("Projector metadata.tsv", lambda: downloads.projector_metadata_tsv(src.nodes),
                         f"{stem}_metadata.tsv", "text/tab-separated-values", key="dl.meta", on_click="ignore",
                         icon=":material/label:", width="stretch")
    st.caption("Load the two .tsv files in the TensorFlow Embedding Projector (projector.tensorflow.org → Load).")


def _model_downloads(r, src, last: int) -> None:
    """Weights, config and the loss and projection figures as interactive HTML."""
    rid = r.run_id

    def proj_html():
        view = "UMAP 2-D" if projection.is_warm() else "PCA 2-D"
        frame = explore.frames(slot, src, view, [last])[last]
        fig = figures.projection_figure(frame.coords, frame.index, src.nodes, figures.default_colouring(src.nodes),
                                        animate=False)
        return figures.figure_html(fig, f"{frame.method.upper()} of {rid} at epoch {last}")

    st.markdown("**Model, settings and figures**")
    d = st.columns(4)
    has_weights = r.weights_path.exists()
    d[0].download_button("Model weights (model.pt)", (lambda: r.weights_path.read_bytes()) if has_weights else b"",
                         f"{rid}_model.pt", "application/octet-stream", key="dl.model", on_click="ignore",
                         icon=":material/neurology:", disabled=not has_weights, width="stretch",
                         help=None if has_weights else "Weights are saved when a run ends.")
    d[1].download_button("Config JSON", lambda: downloads.config_json(r.config.to_dict()), f"{rid}_config.json",
                         "application/json", key="dl.cfg", icon=":material/settings:", on_click="ignore",
                         width="stretch")
    d[2].download_button("Loss figure (HTML)",
                         lambda: figures.figure_html(figures.loss_figure([(rid, r.history)]), f"Loss · {rid}"),
                         f"{rid}_loss.html", "text/html", key="dl.losshtml", icon=":material/show_chart:",
                         on_click="ignore", width="stretch")
    d[3].download_button("Projection figure (HTML)", proj_html, f"{rid}_projection.html", "text/html",
                         key="dl.projhtml", icon=":material/scatter_plot:", on_click="ignore", width="stretch")
    if has_weights:
        st.caption("model.pt is a plain state_dict: `torch.load(path, weights_only=True)`.")


def _animation_downloads(r) -> None:
    """The embeddings over the epochs as an interactive HTML page, a GIF or an MP4, each made on request."""
    st.markdown(downloads.animation_heading(len(r.snapshot_epochs)))
    c = st.columns([1.2, 1, 1, 1])
    choice = c[0].segmented_control("Projection", ["UMAP", "PCA"], default="UMAP", key="runs.anim.method",
                                    label_visibility="collapsed", help="UMAP shows neighbourhoods; PCA is instant.")
    made = downloads.animation_files(ss.get("runs.anim"), r, (choice or "UMAP").lower())
    for col, (fmt, (name, mime)) in zip(c[1:], downloads.ANIMATION_TYPES.items()):
        if fmt in made.files:
            col.download_button(f"{name} ({len(made.files[fmt]) / 1e6:.1f} MB)", made.files[fmt],
                                downloads.animation_name(made, fmt), mime, key=f"dl.anim.{fmt}", on_click="ignore",
                                icon=":material/download:", width="stretch")
        elif col.button(f"Make {name}", key=f"runs.anim.{fmt}", icon=":material/movie:", width="stretch"):
            bar = st.progress(0.0, text="Projecting the snapshots…")
            try:
                with st.spinner(f"Making the {name} animation…"):
                    downloads.make_animation(made, r, fmt, progress=lambda done, total: bar.progress(
                        done / total, text=downloads.projecting_text(done, total, len(r.snapshot_epochs))))
            except GraphCLError as e:
                bar.empty()
                st.error(str(e), icon=":material/error:")
            else:
                ss["runs.anim"] = made
                st.rerun()
    st.caption("HTML plays in any browser, offline, with an epoch slider; GIF and MP4 (800×600) are for slides. "
               "The command line does the same: `python -m graphcl_core export-animation RUN_DIR --format gif "
               "--out run.gif`.")


def _sharing_controls(r) -> None:
    """Publish / Unpublish and Pin / Unpin one of this workspace's runs."""
    rid, meta = r.run_id, r.meta
    st.markdown("**Share and keep**")
    c1, c2, _ = st.columns([1, 1, 2])
    published, pinned = bool(meta.get("published")), bool(meta.get("pinned"))
    if c1.button("Unpublish" if published else "Publish", key="runs.publish", width="stretch",
                 icon=":material/public_off:" if published else ":material/public:",
                 help="Others stop seeing it." if published else
                 "Every visitor of this server can open and download it (never change or delete it)."):
        if err := run_table.set_published(store, rid, not published):
            st.error(err)
        else:
            st.rerun()
    limit = f" (this workspace keeps {store.max_runs} runs)" if store.max_runs else ""
    if c2.button("Unpin" if pinned else "Pin", key="runs.pin", width="stretch",
                 icon=":material/keep_off:" if pinned else ":material/keep:",
                 help=f"A pinned run is never deleted to make room for new ones{limit}."):
        if err := run_table.set_pinned(store, rid, not pinned):
            st.error(err)
        else:
            st.rerun()
    st.caption(("Published: every visitor can see it." if published else "Private to you.")
               + (" Pinned." if pinned else ""))


def _delete_controls(rid: str) -> None:
    """Delete, after a confirmation; a run still training cannot be deleted."""
    st.markdown("**Delete**")
    busy = rid in registry.active_run_ids()
    if ss.get("runs.confirm") != rid:
        if st.button("Delete this run…", icon=":material/delete:", key="runs.delete", disabled=busy,
                     help="Still training: stop it first." if busy else "Asks for confirmation first."):
            ss["runs.confirm"] = rid
            st.rerun()
        return
    st.warning(f"Delete run `{rid}` and all its files? This cannot be undone.", icon=":material/warning:")
    c1, c2, _ = st.columns([1, 1, 4])
    if c1.button("Yes, delete", type="primary", key="runs.yes", width="stretch"):
        ss.pop("runs.confirm", None)
        if err := run_table.delete_run(slot, store, rid):
            st.error(err)
        else:
            ss["runs.deleted"] = f"Deleted run {rid}."
            ss.pop("runs.detail", None)
            st.rerun()
    if c2.button("Cancel", key="runs.no", width="stretch"):
        ss.pop("runs.confirm", None)
        st.rerun()


chosen = _compare()

st.subheader("Download or delete")
if ss.get("runs.detail") not in ids:
    ss["runs.detail"] = chosen[0] if chosen else ids[0]
rid = st.selectbox("Run", ids, key="runs.detail", format_func=lambda r: label[r])
run = runs[rid]
_summary(run)
# A link, not a button with st.switch_page: the browser then switches page and URL in one history entry
# (a switch_page changed the URL on this page first, an entry of its own).
st.page_link("pages/explore.py", label="Open in Explore", icon=":material/scatter_plot:",
             query_params=state.url_params() | {state.RUN_PARAM: rid})
if run.snapshot_epochs:
    source = sources.SavedSource(run)
    _embedding_downloads(run, source, run.snapshot_epochs[-1])
    _model_downloads(run, source, run.snapshot_epochs[-1])
    _animation_downloads(run)
if run.read_only:
    st.caption("Shared by another visitor: read-only.")
else:
    _sharing_controls(run)
    _delete_controls(rid)
