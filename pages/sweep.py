"""Sweep: try many settings at once, watch every trial learn side by side, and take the best one further."""

import streamlit as st

from graphcl_core.errors import ConfigError
from ui import (graphs, registry, shell, state, sweep_backends, sweep_graph, sweep_jobs, sweep_pick, sweep_replay,
                sweep_setup, sweep_views)
from ui.live_chart import live_chart
from ui.sweep_setup import key as vkey

shell.route_through_app()  # a shared link opened first on a fresh server

ss = st.session_state
slot = registry.get_slot(ss["sid"])
graph_key = ss[state.GRAPH_KEY]
bundle, load_error = graphs.ensure_graph(slot, graph_key)
POLL_S = 1.0
RESULTS_POLL_S = 2.0  # the table and charts: plotly figures cost more to build than the grid
REPLAY_S = 0.6  # a replay's pace: one snapshot epoch per tick

st.title("Sweep")
st.caption("Try many settings at once: each combination is trained as its own run, all of them are compared "
           "by one score, and you can watch every one learn side by side. Settings you do not vary here come "
           "from the Train page.")
if bundle is None:
    st.error(load_error or "No graph is loaded.")
    st.page_link("pages/graph.py", label="Choose a graph", icon=":material/hub:")
    st.stop()
if warning := sweep_setup.apply_link(ss):
    st.warning(warning, icon=":material/warning:")
base = state.current_config()
shown_graph = slot.graph_key or graph_key
tab_runner = sweep_jobs.runner_of(slot)
if warning := sweep_setup.ensure_defaults(ss, base, sweep_graph.tab_sweep(tab_runner, shown_graph)):
    st.warning(warning, icon=":material/warning:")
running = sweep_jobs.active(slot)
st.markdown(f"Graph: **{graphs.title_of(shown_graph)}** · {bundle.num_nodes:,} nodes · "
            + (f"{bundle.num_classes} labels" if bundle.has_labels else "no labels"))


def setting_row(name: str, removable: bool) -> None:
    """One setting to vary: on/off, from, to, how many values, linear or log (or the choices to try)."""
    c = st.columns([1.4, 1.1, 1.1, 0.8, 1.0, 0.35], vertical_alignment="bottom")
    on = c[0].checkbox(sweep_setup.label(name), key=vkey(name, "on"), disabled=running,
                       help=state.FIELDS[name].help if name in state.FIELDS else None)
    off = running or not on
    if sweep_setup.kind(name) == "choice":
        opts = list(state.choices(state.FIELDS[name]))
        c[1].multiselect("Try", opts, key=vkey(name, "values"), disabled=off)
    else:
        lo, hi = sweep_setup.bounds(name)
        is_int = sweep_setup.kind(name) == "int"
        fmt = None if is_int else ("%.1e" if name in ("lr", "weight_decay") else "%.3f")
        step = 1 if is_int else (state.FIELDS[name].step if name in state.FIELDS else 0.01)
        for col, part, text in ((c[1], "from", "From"), (c[2], "to", "To")):
            col.number_input(text, min_value=lo, max_value=hi, step=step, format=fmt, key=vkey(name, part),
                             disabled=off)
        c[3].number_input("Values", min_value=1, max_value=20, step=1, key=vkey(name, "count"), disabled=off,
                          help="How many values from 'from' to 'to' (both included).")
        c[4].selectbox("Spacing", ["linear", "log"], key=vkey(name, "scale"), disabled=off,
                       help="log: evenly spaced powers, good for learning rates (1e-4, 1e-3, 1e-2).")
    if removable:
        c[5].button("", icon=":material/close:", key=f"sweep.rm.{name}", disabled=running,
                    on_click=sweep_setup.remove_setting, args=(ss, name), help="Remove this setting")
    rows = sweep_setup.rows_from_state(ss)
    if name in rows and ss[sweep_setup.METHOD_KEY] == "random" and not rows[name].values:
        st.caption(f"Random draws anywhere from {sweep_jobs.fmt_value(rows[name].start)} to "
                   f"{sweep_jobs.fmt_value(rows[name].stop)} ({rows[name].scale}); 'Values' is for every combination.")
    elif name in rows:
        st.caption(f"Tries: {sweep_setup.preview(name, rows[name])}")
    else:
        st.caption(f"Not varied: every trial uses {sweep_jobs.fmt_value(getattr(base, name))} (the Train page's).")


def on_start(sweep) -> None:
    ss["sweep.error"] = sweep_jobs.start(slot, bundle, sweep)
    sweep_replay.forget_choice(ss)  # the new sweep's grid ends on its last epoch, whatever was chosen before
    sweep_pick.forget(ss)  # and its pick follows its own best trial


setup_col, run_col = st.columns([2.2, 1], gap="large")
with setup_col:
    st.subheader("What to try")
    for name in sweep_setup.MAIN + tuple(ss[sweep_setup.EXTRA_KEY]):
        setting_row(name, removable=name not in sweep_setup.MAIN)
    addable = [n for n in sweep_setup.VARIABLE if n not in sweep_setup.MAIN and n not in ss[sweep_setup.EXTRA_KEY]]
    a, b = st.columns([3, 1], vertical_alignment="bottom")
    extra = a.selectbox("Add another setting", addable, index=None, key="sweep.add", placeholder="Choose a setting",
                        format_func=sweep_setup.label, disabled=running)
    b.button("Add", icon=":material/add:", key="sweep.add_btn", disabled=running or extra is None,
             on_click=lambda: (sweep_setup.add_setting(ss, ss["sweep.add"], state.current_config()),
                               ss.pop("sweep.add", None)))

with run_col:
    st.subheader("How")
    st.radio("Search", ["grid", "random"], key=sweep_setup.METHOD_KEY, horizontal=True, disabled=running,
             format_func={"grid": "Every combination", "random": "Random draws"}.get,
             help="Every combination of the values, or a number of random picks within the ranges.")
    if ss[sweep_setup.METHOD_KEY] == "random":
        t1, t2 = st.columns(2)
        t1.number_input("Trials", min_value=1, max_value=1000, step=1, key=sweep_setup.TRIALS_KEY, disabled=running)
        t2.number_input("Random seed", min_value=0, step=1, key=sweep_setup.SEED_KEY, disabled=running)
    lo, hi = state.FIELDS["epochs"].bounds()
    st.number_input("Epochs per trial", min_value=lo, max_value=hi, step=10, key=state.key("epochs"), disabled=running,
                    help="The Train page's epochs: every trial trains this long (unless you vary it).")
    st.selectbox("Rank trials by", list(sweep_setup.METRIC_LABELS), key=sweep_setup.METRIC_KEY, disabled=running,
                 format_func=sweep_setup.METRIC_LABELS.get, help=sweep_setup.METRIC_HELP)
    st.checkbox("Stop clearly bad trials early", key=sweep_setup.EARLY_KEY, disabled=running,
                help="At a quarter and at half of the epochs, the worse half of the trials stop (successive "
                     "halving); the time goes to the promising ones.")
    st.radio("Train on", sweep_backends.offered(), key=sweep_setup.BACKEND_KEY, disabled=running,
             format_func=sweep_backends.LABELS.get, help=sweep_backends.HELP)
    if not sweep_backends.ray_available():
        st.caption(sweep_backends.NO_RAY)
    if backend_note := sweep_backends.note(ss[sweep_setup.BACKEND_KEY]):
        st.caption(backend_note)
    try:
        sweep = sweep_setup.sweep_from_state(ss, shown_graph, state.current_config())
        error = None
    except ConfigError as e:
        sweep, error = None, str(e)
    if error:
        st.error(error, icon=":material/error:")
    else:
        sweep_backends.prestart(ss[sweep_setup.BACKEND_KEY], bundle, sweep)  # Ray's workers start now
        st.metric("Trials", len(sweep.points()))
        if (est := sweep_jobs.cached_estimate(slot, sweep)) is not None:
            st.info(est, icon=":material/schedule:")
        elif ss.pop("sweep.do_estimate", False):
            with st.spinner("Measuring a few epochs…"):
                st.info(sweep_jobs.estimate(slot, bundle, sweep), icon=":material/schedule:")
        else:
            st.button("Estimate the time", icon=":material/schedule:", key="sweep.estimate", disabled=running,
                      on_click=ss.__setitem__, args=("sweep.do_estimate", True),
                      help="Trains a few epochs of one or two trials to measure (a few seconds).")
    runner = sweep_jobs.runner_of(slot)
    paused = runner is not None and runner.state == "paused"
    # Start on a row of its own, Pause and Stop side by side: three buttons in this narrow column cut
    # their labels to "St…" at 1400 px.
    st.button("Start", type="primary", icon=":material/play_arrow:", key="sweep.start", width="stretch",
              disabled=running or sweep is None, on_click=on_start, args=(sweep,))
    if err := ss.pop("sweep.error", None):
        st.error(err, icon=":material/error:")
    b = st.columns(2)
    b[0].button("Resume" if paused else "Pause", icon=":material/play_circle:" if paused else ":material/pause:",
                key="sweep.pause", width="stretch", disabled=not running, on_click=sweep_jobs.toggle_pause,
                args=(slot,))
    b[1].button("Stop", icon=":material/stop:", key="sweep.stop", width="stretch", disabled=not running,
                on_click=sweep_jobs.stop, args=(slot,), help="End the sweep; finished trials stay saved.")
    if sweep is not None:
        with st.popover("Link to this sweep setup", icon=":material/link:", width="stretch"):
            st.caption("Opens the Sweep page with these ranges and settings (not the results).")
            st.code(sweep_setup.share_link(sweep), language=None, wrap_lines=True)


def use_settings(cfg) -> None:
    """A callback (it runs before this page's widgets, so it may set the Train settings shown here too)."""
    state.apply_config(cfg)
    ss["sweep.go"] = True


def _whole_page_after(action, *args) -> None:
    """Replay / Pause: do it, then rerun the whole page, since only a full run sets the grid's timer."""
    action(*args)
    ss["sweep.replay.rerun"] = True


@st.fragment(run_every=POLL_S if running else (REPLAY_S if ss.get(sweep_replay.PLAYING) else None))
def grid() -> None:
    """One small projection per trial: live while the sweep runs, then a replay of the saved snapshots."""
    if ss.pop("sweep.replay.rerun", False):
        st.rerun(scope="app")  # Replay / Pause were clicked inside this fragment: start or stop its timer
    runner = sweep_jobs.runner_of(slot)
    table = runner.trial_table()
    labels = runner.bundle.data.y.numpy() if runner.bundle.has_labels else None
    st.subheader("Every trial, learning")
    if not runner.done:
        got = sweep_views.frames(slot, runner)
    else:
        srcs = sweep_replay.saved_sources(slot, table)
        epochs = sweep_replay.epochs_of(srcs)
        if not epochs:
            return
        if sweep_replay.tick(ss, epochs):
            st.rerun()  # the end: the timer goes off
        c = st.columns([1, 6], vertical_alignment="bottom")
        if ss.get(sweep_replay.PLAYING):
            c[0].button("Pause", icon=":material/pause:", key="sweep.replay.pause", width="stretch",
                        on_click=_whole_page_after, args=(sweep_replay.pause, ss))
        else:
            c[0].button("Replay", icon=":material/replay:", key="sweep.replay.play", width="stretch",
                        on_click=_whole_page_after, args=(sweep_replay.play, ss, epochs),
                        help="Watch every trial learn again.")
        sweep_replay.current(ss, epochs)
        if len(epochs) > 1:
            c[1].select_slider("Epoch", epochs, key=sweep_replay.EPOCH, disabled=bool(ss.get(sweep_replay.PLAYING)),
                               on_change=sweep_replay.chose, args=(ss, epochs))
        got = sweep_replay.frames_at(slot, srcs, ss[sweep_replay.EPOCH])
    live_chart(sweep_views.grid_figure(table, got, labels, runner.bundle.label_names), key="sweep.grid",
               config={"displayModeBar": False})


@st.fragment(run_every=POLL_S if running else None)
def live() -> None:
    runner = sweep_jobs.runner_of(slot)
    if runner is None:
        st.info("Press Start: the trials appear here as they train.", icon=":material/info:")
        return
    sweep_jobs.drain(slot)
    status, table = runner.status(), runner.trial_table()
    if runner.done and ss.get("sweep.done_seen") is not runner:
        ss["sweep.done_seen"] = runner
        st.rerun()  # once, so the buttons and the polling follow
    if runner.done and not sweep_graph.belongs_here(runner, shown_graph):
        return  # another graph's ended sweep: the note above says where it is
    share, text = sweep_jobs.progress(status, table)
    st.progress(share, text=text)


@st.fragment(run_every=RESULTS_POLL_S if running else None)
def results() -> None:
    """The table, the trial picker with its two links, the heatmap and the parallel coordinates."""
    runner = sweep_jobs.runner_of(slot)
    status, table = runner.status(), runner.trial_table()
    metric = status["metric"]
    mlabel = sweep_jobs.metric_label(metric)
    names = list(runner.sweep.vary)
    st.subheader("Results")
    picked = st.dataframe(sweep_jobs.results_rows(table, metric, sweep_jobs.notes_of(list(runner.results))),
                          hide_index=True, key="sweep.table", placeholder=sweep_jobs.MISSING,
                          on_select="rerun", selection_mode="single-row",
                          column_config={"Run": st.column_config.TextColumn("Run", help="Click a row to pick it")},
                          **sweep_pick.table_selection(ss))
    done = [r for r in table if r.get("run_id")]
    if done:
        ids = [r["trial"] for r in done]
        top = sweep_jobs.best_trial(table, metric)
        sweep_pick.clicked(ss, list(picked.selection.rows) if picked else [], table, ids)
        sweep_pick.settle(ss, ids, top)
        c = st.columns([2, 1, 1], vertical_alignment="bottom")
        pick = c[0].selectbox("Trial", ids, key=sweep_pick.PICK, help="Or click its row in the table.",
                              on_change=sweep_pick.chose, args=(ss,),
                              format_func=lambda t: sweep_jobs.trial_title(table[t - 1])
                              + ("  (best so far)" if t == top else ""))
        row = table[pick - 1]
        # A link, as on the Runs page: the browser switches page and URL in one history entry (a button's
        # st.switch_page changed this page's URL first, so Back needed two presses).
        c[1].page_link("pages/explore.py", label="Open in Explore", icon=":material/scatter_plot:", width="stretch",
                       query_params=sweep_jobs.explore_params(state.url_params(), row["run_id"]))
        c[2].button("Use these settings", icon=":material/model_training:", key="sweep.use", width="stretch",
                    on_click=use_settings, args=(runner.configs[pick - 1],),
                    help="Puts this trial's settings on the Train page.")
        if ss.pop("sweep.go", None):
            state.switch_page("pages/train.py")

    if len(names) >= 2:
        st.subheader(f"{mlabel.capitalize()} by setting")
        h = st.columns(2)
        x = h[0].selectbox("Across", names, index=0, key="sweep.hx")
        y = h[1].selectbox("Down", [n for n in names if n != x], index=0, key="sweep.hy")
        facet = next((n for n in names if n not in (x, y)), None)
        live_chart(sweep_views.heatmap_figure(sweep_views.heatmap_data(table, x, y, facet), x, y, facet,
                                              mlabel), key="sweep.heatmap")
        if len(names) > 3:
            st.caption("Settings not shown are averaged over.")
    elif len(names) == 1:
        st.subheader(f"{mlabel.capitalize()} by {names[0]}")
        live_chart(sweep_views.line_figure(table, names[0], mlabel), key="sweep.line")
    pdata = sweep_views.parallel_data(table, names, {n for n, s in runner.sweep.vary.items()
                                                     if getattr(s, "scale", "") == "log"})
    if pdata["metric"] and names:
        st.subheader("All settings at once")
        live_chart(sweep_views.parallel_figure(pdata, mlabel), key="sweep.parallel")


if tab_runner is not None and not sweep_graph.belongs_here(tab_runner, shown_graph):
    # Another graph's sweep: named, with a way back, instead of its grids and table under this graph's name.
    st.info(sweep_graph.elsewhere_note(tab_runner, shown_graph), icon=":material/info:")
    st.button(f"Back to {graphs.title_of(tab_runner.sweep.graph)} and its sweep", icon=":material/undo:",
              key="sweep.other_graph", on_click=sweep_graph.go_back, args=(slot, ss, tab_runner))
live()
if sweep_graph.belongs_here(sweep_jobs.runner_of(slot), shown_graph):
    grid()
    results()
