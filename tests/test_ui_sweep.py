"""The Sweep page: range choices → SweepConfig, the URL parameter, table / heatmap / parallel data, and the
page itself through AppTest (a tiny karate sweep run to the end, Explore and Train links, reload, link)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from graphcl_core.config import TrainConfig
from graphcl_core.errors import ConfigError
from graphcl_core.sweep import SweepConfig, ValueList
from ui import sweep_jobs, sweep_replay, sweep_setup, sweep_views
from ui.sweep_setup import RangeChoice
from apptest_links import follow, page_link

APP = str(Path(__file__).resolve().parents[1] / "app.py")
pytestmark = pytest.mark.timeout(180)


# ---- setup → SweepConfig ----------------------------------------------------------------------------
def test_range_rows_build_a_grid_sweep():
    rows = {"margin": RangeChoice(0.5, 4, 4, "linear"), "lr": RangeChoice(1e-4, 1e-2, 3, "log"),
            "loss": RangeChoice(values=("margin", "infonce"))}
    sweep = sweep_setup.build_sweep("karate", TrainConfig(epochs=10), rows)
    assert sweep.vary["margin"].grid() == [0.5, 1.667, 2.833, 4.0]
    assert sweep.vary["lr"].grid() == [1e-4, 1e-3, 1e-2]
    assert sweep.vary["loss"] == ValueList(("margin", "infonce"))
    assert len(sweep.points()) == 4 * 3 * 2
    assert all(c.epochs == 10 for c in sweep.trials())
    assert sweep.budget is None and sweep.method == "grid"


def test_random_search_needs_a_number_of_trials_and_bad_ranges_say_why():
    rows = {"margin": RangeChoice(0.5, 4, 4, "linear")}
    sweep = sweep_setup.build_sweep("karate", TrainConfig(), rows, method="random", trials=5, seed=3)
    points = sweep.points()
    assert sweep.budget == 5 and len(points) == 5 and all(0.5 <= p["margin"] <= 4 for p in points)
    with pytest.raises(ConfigError, match="how many trials"):
        sweep_setup.build_sweep("karate", TrainConfig(), rows, method="random", trials=None)
    with pytest.raises(ConfigError, match="lr"):
        sweep_setup.build_sweep("karate", TrainConfig(), {"lr": RangeChoice(0.0, 1e-2, 3, "log")})
    assert "log scale" in sweep_setup.preview("lr", RangeChoice(0.0, 1e-2, 3, "log"))
    assert sweep_setup.preview("hidden", RangeChoice(64, 256, 3, "log")) == "64, 128, 256"


def test_widget_state_defaults_add_remove_and_back():
    ss: dict = {}
    base = TrainConfig()
    sweep_setup.ensure_defaults(ss, base)
    rows = sweep_setup.rows_from_state(ss)
    assert list(rows) == ["margin", "lr"]  # hidden is offered but off
    sweep_setup.add_setting(ss, "dropout", base)
    sweep_setup.add_setting(ss, "encoder", base)
    sweep_setup.add_setting(ss, "margin", base)  # already there: no second row
    assert ss[sweep_setup.EXTRA_KEY] == ["dropout", "encoder"]
    rows = sweep_setup.rows_from_state(ss)
    assert rows["encoder"].values == (base.encoder,)
    lo, hi = sweep_setup.bounds("dropout")
    assert lo == 0 and hi < 1 and rows["dropout"].stop <= hi
    sweep_setup.remove_setting(ss, "dropout")
    assert "dropout" not in sweep_setup.rows_from_state(ss)
    sweep = sweep_setup.sweep_from_state(ss, "karate", base)
    assert set(sweep.vary) == {"margin", "lr", "encoder"}


def test_url_parameter_round_trip_and_back_onto_the_widgets():
    sweep = SweepConfig("karate", base=TrainConfig(epochs=30, hidden=64),
                        vary={"margin": {"from": 0.5, "to": 4, "count": 4},
                              "lr": {"from": 1e-4, "to": 1e-2, "count": 3, "scale": "log"},
                              "dropout": {"from": 0, "to": 0.5, "count": 2}, "encoder": ["gcn", "sage"]},
                        method="random", budget=6, seed=7, metric="silhouette", early_stop=True)
    text = sweep_setup.to_param(sweep)
    assert "sweep" == sweep_setup.QUERY_PARAM and text.startswith("{") and " " not in text
    back, warning = sweep_setup.from_param(text)
    assert warning is None and back.to_dict() == sweep.to_dict()
    ss = sweep_setup.widget_state(back)
    rebuilt = sweep_setup.sweep_from_state(ss, "karate", back.base)
    assert rebuilt.to_dict() == sweep.to_dict()  # the very same sweep: same random draws
    assert rebuilt.points() == sweep.points()
    # a list of numbers (as the command line writes them) comes back as the range whose values it is
    cli = SweepConfig("karate", vary={"lr": [1e-4, 1e-3, 1e-2], "hidden": [64, 32]})
    rows = sweep_setup.rows_from_sweep(cli)
    assert rows["lr"] == RangeChoice(1e-4, 1e-2, 3, "log") and rows["hidden"] == RangeChoice(32, 64, 2, "linear")
    bad, warning = sweep_setup.from_param('{"graph": "karate", "vary": {"margin": "abc"}}')
    assert bad is None and "margin" in warning
    assert sweep_setup.from_param("not json")[0] is None


def test_apply_link_warns_when_a_list_is_shown_as_the_nearest_range(monkeypatch):
    from ui import state

    monkeypatch.setattr(state, "apply_config", lambda cfg: None)  # no Streamlit session here
    ss = {sweep_setup.LINK_KEY: sweep_setup.to_param(SweepConfig("karate", vary={"margin": [0.5, 1, 2.5]}))}
    assert "nearest range" in sweep_setup.apply_link(ss)
    assert ss[sweep_setup.key("margin", "from")] == 0.5 and ss[sweep_setup.key("margin", "count")] == 3
    ss = {sweep_setup.LINK_KEY: sweep_setup.to_param(SweepConfig("karate", vary={"margin": [1, 2, 3]}))}
    assert sweep_setup.apply_link(ss) is None and sweep_setup.LINK_KEY not in ss


# ---- what is shown -------------------------------------------------------------------------------
def _table():
    rows = []
    for t, (m, lr, enc, metric, status) in enumerate([(0.5, 1e-3, "gcn", 0.6, "finished"),
                                                      (1.0, 1e-3, "gcn", 0.8, "finished"),
                                                      (0.5, 1e-2, "gcn", None, "running"),
                                                      (1.0, 1e-2, "sage", 0.7, "finished"),
                                                      (0.5, 1e-3, "sage", float("nan"), "failed")]):
        rows.append({"trial": t + 1, "values": {"margin": m, "lr": lr, "encoder": enc}, "status": status,
                     "run_id": f"run{t + 1}" if status != "running" else None, "epoch": 5, "epochs": 10,
                     "loss": 0.5, "metric": metric})
    return rows


def test_results_rows_best_trial_and_progress():
    table = _table()
    rows = sweep_jobs.results_rows(table, "linear_probe", {4: "The loss became NaN."}).data
    ranked = sweep_jobs.ranked_column("linear_probe")
    assert rows["Note"][4] == "The loss became NaN." and rows["Note"][0] == ""
    assert list(rows["Trial"]) == [1, 2, 3, 4, 5]
    assert rows["margin"][0] == 0.5 and rows[ranked][0] == 0.6 and rows["Run"][0] == "run1"
    assert rows[ranked].isna()[4]  # NaN shown as missing
    assert sweep_jobs.best_trial(table, "linear_probe") == 2
    assert sweep_jobs.best_trial(table, "final_loss") == 1  # lower is better
    share, text = sweep_jobs.progress({"state": "running", "ended": 4, "trials": 5, "message": ""}, table)
    assert share == pytest.approx(45 / 50) and "3 of 5 trials finished" in text
    assert sweep_jobs.explore_params({"sid": "x"}, "run2") == {"sid": "x", "run": "run2"}


def test_heatmap_data_faceted_and_averaged():
    panels = sweep_views.heatmap_data(_table(), "margin", "lr", "encoder")
    assert [p["facet"] for p in panels] == ["gcn", "sage"]
    gcn = panels[0]
    assert gcn["x"] == [0.5, 1.0] and gcn["y"] == [1e-3, 1e-2]
    assert gcn["z"] == [[0.6, 0.8], [None, None]]
    assert panels[1]["z"] == [[None, None], [None, 0.7]]  # the NaN of trial 5 is left out
    one = sweep_views.heatmap_data(_table(), "margin", "lr")
    assert len(one) == 1 and one[0]["z"][1][1] == 0.7
    fig = sweep_views.heatmap_figure(panels, "margin", "lr", "encoder", "accuracy")
    assert len(fig.data) == 2


def test_parallel_coordinates_data():
    data = sweep_views.parallel_data(_table(), ["margin", "lr", "encoder"], {"lr"})
    labels = [d["label"] for d in data["dimensions"]]
    assert labels == ["margin", "lr (log10)", "encoder"]
    assert data["dimensions"][1]["values"] == pytest.approx([-3, -3, -2])
    assert data["dimensions"][2]["ticktext"] == ["gcn", "sage"] and data["dimensions"][2]["values"] == [0, 0, 1]
    assert data["metric"] == [0.6, 0.8, 0.7] and data["trials"] == [1, 2, 4]
    assert len(sweep_views.parallel_figure(data, "accuracy").data) == 1


class _FakeSource:
    def __init__(self, rid: str, epochs: list[int]):
        self.id, self._epochs = rid, epochs

    def epochs(self):
        return self._epochs

    def embeddings(self, epoch: int):
        import numpy as np

        return np.random.default_rng(epoch).normal(size=(20, 4)).astype(np.float16)


def test_replay_steps_through_the_epochs_and_picks_each_trials_snapshot():
    from ui.registry import Slot

    ss: dict = {}
    epochs = [0, 10, 20]
    assert sweep_replay.current(ss, epochs) == 20 and not sweep_replay.tick(ss, epochs)  # not playing
    sweep_replay.play(ss, epochs)
    assert ss[sweep_replay.EPOCH] == 0 and ss[sweep_replay.PLAYING]
    assert not sweep_replay.tick(ss, epochs) and ss[sweep_replay.EPOCH] == 0  # the Play click's own run
    assert not sweep_replay.tick(ss, epochs) and ss[sweep_replay.EPOCH] == 10
    assert not sweep_replay.tick(ss, epochs) and ss[sweep_replay.EPOCH] == 20
    assert sweep_replay.tick(ss, epochs) and not ss[sweep_replay.PLAYING]  # the end
    sweep_replay.play(ss, epochs)
    sweep_replay.tick(ss, epochs)
    sweep_replay.tick(ss, epochs)
    sweep_replay.pause(ss)
    assert not sweep_replay.tick(ss, epochs) and ss[sweep_replay.EPOCH] == 10
    assert sweep_replay.current(ss, epochs) == 10  # a paused replay stays where it was

    fresh = {sweep_replay.EPOCH: 0}  # an ended sweep whose slider says 0 without anyone moving it: the last epoch
    assert sweep_replay.current(fresh, epochs) == 20
    fresh[sweep_replay.EPOCH] = 10  # the person moved the slider
    sweep_replay.chose(fresh, epochs)
    assert sweep_replay.current(fresh, epochs) == 10
    assert sweep_replay.current(fresh, epochs + [30]) == 30  # another sweep's epochs: its last again
    fresh[sweep_replay.EPOCH] = 10
    sweep_replay.chose(fresh, epochs)
    sweep_replay.forget_choice(fresh)  # Start of a new sweep with the same epochs
    assert sweep_replay.current(fresh, epochs) == 20

    srcs = {0: _FakeSource("a", [0, 10, 20]), 1: _FakeSource("b", [5, 15])}
    assert sweep_replay.epochs_of(srcs) == [0, 5, 10, 15, 20]
    got = sweep_replay.frames_at(Slot("tok-replay"), srcs, 12)
    assert got[0][0] == 10 and got[1][0] == 5 and got[0][1].coords.shape == (20, 2)
    assert sweep_replay.frames_at(Slot("tok-replay2"), srcs, 0)[1][0] == 5  # none that early: the first


# ---- the page -------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _runs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHCL_RUNS_DIR", str(tmp_path / "runs"))
    yield
    from ui import registry

    with registry._LOCK:
        slots = list(registry._REGISTRY.values())
    for slot in slots:
        r = sweep_jobs.runner_of(slot)
        if r is not None:
            r.stop()
            r.join(30)


def _sweep_page(query: dict | None = None, workspace: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    if workspace:  # the browser's workspace cookie, which AppTest cannot send (ui/workspace.py)
        at.session_state["workspace"] = workspace
    if query:
        at.query_params.update(query)
    at.run()
    return at.switch_page("pages/sweep.py").run()


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def _runner(at: AppTest):
    from ui import registry

    return sweep_jobs.runner_of(registry.get_slot(at.session_state["sid"]))


def _wait(at: AppTest, cond, timeout: float = 120.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        at.run()
        _ok(at)
        if cond():
            at.run()
            _ok(at)
            return
        time.sleep(0.3)
    raise AssertionError("condition not reached in time")


def _tiny_setup(at: AppTest, epochs: int) -> None:
    at.number_input(key="cfg.epochs").set_value(epochs)
    at.session_state["cfg.hidden"] = 16  # not varied: the Train setting every trial uses
    at.number_input(key=sweep_setup.key("margin", "count")).set_value(2)
    at.number_input(key=sweep_setup.key("lr", "count")).set_value(1)
    at.run()
    _ok(at)


def test_tiny_sweep_runs_to_the_end_then_explore_and_train_links():
    at = _sweep_page()
    _ok(at)
    assert at.title[0].value == "Sweep"
    _tiny_setup(at, 15)
    assert at.metric[0].value == "2"  # trials shown before Start
    at.button(key="sweep.estimate").click().run()
    _ok(at)
    assert any("About" in i.value and "2 trials" in i.value for i in at.info)
    at.button(key="sweep.start").click().run()
    _ok(at)
    _wait(at, lambda: _runner(at).done)
    runner = _runner(at)
    assert runner.state == "finished" and len(runner.results) == 2
    assert runner._queue.empty()  # the page drains the events it reads from the table instead
    table = at.dataframe[0].value
    assert list(table["Trial"]) == [1, 2] and set(table["Status"]) == {"finished"}
    assert table[sweep_jobs.ranked_column(runner.metric)].notna().all()
    assert "Every trial, learning" in [s.value for s in at.subheader]
    ended = at.select_slider(key=sweep_replay.EPOCH)  # the ended grid shows where the trials ended
    assert int(ended.value) == max(int(e) for e in ended.options) == runner.configs[0].epochs
    best = sweep_jobs.best_trial(runner.trial_table(), runner.metric)
    assert at.selectbox(key="sweep.pick").value == best
    run_id = runner.trial_table()[best - 1]["run_id"]

    # the ended sweep replays its saved snapshots, epoch by epoch
    at.button(key="sweep.replay.play").click().run()
    _ok(at)
    epochs = at.select_slider(key=sweep_replay.EPOCH).options
    assert at.session_state[sweep_replay.PLAYING] and at.session_state[sweep_replay.EPOCH] == int(epochs[0])
    at.run()
    assert at.session_state[sweep_replay.EPOCH] == int(epochs[1])
    at.button(key="sweep.replay.pause").click().run()
    assert not at.session_state[sweep_replay.PLAYING]

    assert page_link(at, "Open in Explore").page == "explore"
    follow(at, "Open in Explore", "pages/explore.py")
    _ok(at)
    assert at.title[0].value == "Explore"
    assert at.session_state["explore.run"] == run_id

    at.switch_page("pages/sweep.py").run()
    at.selectbox(key="sweep.pick").set_value(1).run()
    at.button(key="sweep.use").click().run()
    _ok(at)
    assert at.title[0].value == "Train"
    cfg = runner.configs[0]
    assert at.session_state["cfg.margin"] == cfg.margin and at.session_state["cfg.lr"] == cfg.lr


def test_reload_reattaches_pause_and_stop():
    at = _sweep_page()
    _tiny_setup(at, 100_000)  # never ends by itself
    at.button(key="sweep.start").click().run()
    _ok(at)
    runner = _runner(at)
    _wait(at, lambda: runner.trial_table()[0]["epoch"] > 0)
    sid = at.session_state["sid"]
    workspace = at.session_state["workspace"] if "workspace" in at.session_state else None
    again = _sweep_page({"sid": sid}, workspace)  # a reload: same token, same browser
    _ok(again)
    assert _runner(again) is runner  # the same sweep, not a second one
    assert again.button(key="sweep.start").disabled
    again.button(key="sweep.pause").click().run()
    _wait(again, lambda: runner.state == "paused")
    assert again.button(key="sweep.pause").label == "Resume"
    again.button(key="sweep.stop").click().run()
    _wait(again, lambda: runner.done)
    assert runner.state == "stopped"
    assert not again.button(key="sweep.start").disabled


def test_a_link_reopens_the_same_sweep_setup():
    sweep = SweepConfig("karate", base=TrainConfig(epochs=40),
                        vary={"margin": {"from": 1, "to": 3, "count": 3}, "dropout": [0.0, 0.25, 0.5]},
                        metric="final_loss")
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"graph": "karate", "sweep": sweep_setup.to_param(sweep)})
    at.run()
    at.switch_page("pages/sweep.py").run()
    _ok(at)
    ss = at.session_state
    assert ss[sweep_setup.key("margin", "count")] == 3 and ss[sweep_setup.key("margin", "to")] == 3.0
    assert not ss[sweep_setup.key("lr", "on")] and ss[sweep_setup.EXTRA_KEY] == ["dropout"]
    assert ss["cfg.epochs"] == 40 and ss[sweep_setup.METRIC_KEY] == "final_loss"
    assert at.metric[0].value == "9"
    bad = AppTest.from_file(APP, default_timeout=90)
    bad.query_params.update({"sweep": '{"graph": "karate", "vary": {"margin": "x"}}'})
    bad.run()
    bad.switch_page("pages/sweep.py").run()
    _ok(bad)
    assert any("margin" in w.value for w in bad.warning)


def test_a_sweep_link_opened_first_on_a_fresh_server():
    """Streamlit runs pages/sweep.py alone first; the link's sweep must survive the hand-over to app.py."""
    sweep = SweepConfig("karate", vary={"hidden": {"from": 32, "to": 128, "count": 3, "scale": "log"}})
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"graph": "karate", sweep_setup.QUERY_PARAM: sweep_setup.to_param(sweep)})
    at.switch_page("pages/sweep.py").run()
    _ok(at)
    assert at.title[0].value == "Sweep"
    ss = at.session_state
    assert ss[sweep_setup.key("hidden", "on")] and not ss[sweep_setup.key("margin", "on")]
    assert ss[sweep_setup.key("hidden", "scale")] == "log" and at.metric[0].value == "3"
    assert sweep_setup.QUERY_PARAM not in at.query_params  # the address bar keeps the app's own settings
