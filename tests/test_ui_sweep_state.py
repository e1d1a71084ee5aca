"""The Sweep page keeps what belongs to the tab's sweep (AppTest): a reload shows the sweep's own setup, a trial
picked in the results survives a visit to Explore, and a sweep made on another graph is not shown as this
graph's results."""

from __future__ import annotations

import pytest

from graphcl_core.config import TrainConfig
from graphcl_core.sweep import SweepConfig
from ui import state, sweep_jobs, sweep_setup
from test_ui_sweep import _ok, _runner, _runs_dir, _sweep_page, _wait  # noqa: F401 (_runs_dir: autouse)
from apptest_links import follow

pytestmark = pytest.mark.timeout(300)


def _setup(at, epochs: int) -> None:
    """Two trials (margin 1 and 3, lr 1e-3): every part differs from the page's defaults."""
    at.number_input(key="cfg.epochs").set_value(epochs)
    at.session_state["cfg.hidden"] = 16
    for part, v in (("from", 1.0), ("to", 3.0), ("count", 2)):
        at.number_input(key=sweep_setup.key("margin", part)).set_value(v)
    for part, v in (("from", 1e-3), ("to", 1e-3), ("count", 1)):
        at.number_input(key=sweep_setup.key("lr", part)).set_value(v)
    at.selectbox(key=sweep_setup.METRIC_KEY).set_value("silhouette")
    at.run()
    _ok(at)
    assert at.metric[0].value == "2"


def _shown_setup(at) -> dict:
    ss = at.session_state
    return {"margin": tuple(ss[sweep_setup.key("margin", p)] for p in ("from", "to", "count")),
            "lr": tuple(ss[sweep_setup.key("lr", p)] for p in ("from", "to", "count")),
            "metric": ss[sweep_setup.METRIC_KEY], "trials": at.metric[0].value}


WANT = {"margin": (1.0, 3.0, 2), "lr": (1e-3, 1e-3, 1), "metric": "silhouette", "trials": "2"}


def _reload(at):
    workspace = at.session_state["workspace"] if "workspace" in at.session_state else None
    return _sweep_page({"sid": at.session_state["sid"], "graph": "karate"}, workspace)


def test_a_reload_shows_the_running_and_the_ended_sweeps_setup():
    at = _sweep_page()
    _setup(at, 100_000)  # never ends by itself
    at.button(key="sweep.start").click().run()
    _ok(at)
    runner = _runner(at)
    again = _reload(at)  # F5 while it runs: a new session, the same tab token
    _ok(again)
    assert _runner(again) is runner and again.button(key="sweep.start").disabled
    assert _shown_setup(again) == WANT
    again.button(key="sweep.stop").click().run()
    _wait(again, lambda: runner.done)
    after = _reload(again)  # and once it has ended: the next Start begins from the same ranges
    _ok(after)
    assert _shown_setup(after) == WANT and not after.button(key="sweep.start").disabled


def test_the_setup_survives_other_pages_and_a_link_still_wins():
    at = _sweep_page()
    _setup(at, 20)
    at.switch_page("pages/train.py").run()
    at.switch_page("pages/sweep.py").run()
    _ok(at)
    assert _shown_setup(at) == WANT  # no sweep was started: the widgets' own values came back
    link = SweepConfig("karate", base=TrainConfig(epochs=20), vary={"margin": {"from": 2, "to": 4, "count": 3}})
    opened = _sweep_page({"graph": "karate", sweep_setup.QUERY_PARAM: sweep_setup.to_param(link)})
    assert opened.session_state[sweep_setup.key("margin", "count")] == 3 and opened.metric[0].value == "3"


def _ended_sweep(epochs: int = 12):
    at = _sweep_page()
    _setup(at, epochs)
    at.button(key="sweep.start").click().run()
    _ok(at)
    _wait(at, lambda: _runner(at).done)
    return at, _runner(at)


def test_a_picked_trial_survives_a_visit_to_explore_and_is_the_one_used():
    at, runner = _ended_sweep()
    table = runner.trial_table()
    best = sweep_jobs.best_trial(table, runner.metric)
    other = 1 if best == 2 else 2
    assert at.selectbox(key="sweep.pick").value == best
    at.selectbox(key="sweep.pick").set_value(other).run()
    follow(at, "Open in Explore", "pages/explore.py")
    _ok(at)
    assert at.title[0].value == "Explore" and at.session_state["explore.run"] == table[other - 1]["run_id"]
    at.switch_page("pages/sweep.py").run()  # Back, or the sidebar's Sweep link
    _ok(at)
    assert at.selectbox(key="sweep.pick").value == other
    at.button(key="sweep.use").click().run()
    _ok(at)
    assert at.title[0].value == "Train" and at.session_state["cfg.margin"] == runner.configs[other - 1].margin


def test_another_graphs_sweep_is_named_and_not_shown_as_this_graphs_results():
    at, runner = _ended_sweep()
    at.number_input(key=sweep_setup.key("margin", "count")).set_value(5).run()  # a change after the sweep
    at.session_state[state.GRAPH_KEY] = "lesmis"  # as the Graph page (or a link with graph=lesmis) does
    at.run()
    _ok(at)
    main = " ".join(m.value for m in at.markdown)
    assert "Les Misérables" in main
    assert not at.dataframe and "Results" not in [s.value for s in at.subheader]
    note = " ".join(i.value for i in at.info)
    assert "karate" in note.lower() and "not shown" in note
    assert not at.button(key="sweep.start").disabled  # a sweep of its own can start here
    assert _shown_setup(at)["trials"] == "5"
    at.button(key="sweep.other_graph").click().run()  # back to the graph the sweep ran on, and its setup
    _ok(at)
    assert at.session_state[state.GRAPH_KEY] == "karate" and at.dataframe and _shown_setup(at) == WANT
    assert list(at.dataframe[0].value["Trial"]) == [1, 2]


def test_pick_follows_the_best_until_chosen_and_ticks_its_row_again():
    from ui import sweep_pick

    table = [{"trial": t} for t in (1, 2, 3)]
    ss: dict = {}
    assert sweep_pick.settle(ss, [1, 2], top=2) == 2 and ss[sweep_pick.PICK] == 2
    assert sweep_pick.settle(ss, [1, 2, 3], top=3) == 3  # still following the best
    sweep_pick.clicked(ss, [0], table, [1, 2, 3])  # a click on row 1
    assert sweep_pick.settle(ss, [1, 2, 3], top=3) == 1
    sweep_pick.clicked(ss, [0], table, [1, 2, 3])  # the same selection read again: not a new click
    ss[sweep_pick.PICK] = 2
    sweep_pick.chose(ss)  # then trial 2 in the picker
    del ss[sweep_pick.PICK]  # Streamlit drops the widget's value on another page
    assert sweep_pick.settle(ss, [1, 2, 3], top=3) == 2 and ss[sweep_pick.PICK] == 2

    def new_dataframe(data=None, *, selection_default=None):
        return None

    def old_dataframe(data=None, *, key=None):
        return None

    assert sweep_pick.table_selection(ss, new_dataframe) == {"selection_default": {"selection": {"rows": [1]}}}
    assert sweep_pick.table_selection(ss, old_dataframe) == {}  # an older Streamlit: the picker alone
    sweep_pick.forget(ss)  # a new sweep
    assert sweep_pick.table_selection(ss, new_dataframe) == {}
    assert sweep_pick.settle(ss, [1, 2, 3], top=3) == 3


def test_ensure_defaults_takes_the_tabs_sweep_only_on_a_fresh_page_and_restores_dropped_values():
    sweep = SweepConfig("karate", vary={"margin": {"from": 1, "to": 3, "count": 2}, "dropout": [0.0, 0.5]},
                        metric="final_loss")
    fresh: dict = {}
    assert sweep_setup.ensure_defaults(fresh, TrainConfig(), sweep) is None
    assert fresh[sweep_setup.key("margin", "count")] == 2 and not fresh[sweep_setup.key("lr", "on")]
    assert fresh[sweep_setup.EXTRA_KEY] == ["dropout"] and fresh[sweep_setup.METRIC_KEY] == "final_loss"
    assert sweep_setup.sweep_from_state(fresh, "karate", TrainConfig()).points() == sweep.points()

    edited = dict(fresh)
    edited[sweep_setup.key("margin", "count")] = 7  # the person changed it afterwards
    sweep_setup.ensure_defaults(edited, TrainConfig(), sweep)
    assert edited[sweep_setup.key("margin", "count")] == 7  # what is there is never overwritten
    dropped = {k: v for k, v in edited.items() if not k.startswith("sweep.v.") and k != sweep_setup.METRIC_KEY}
    sweep_setup.ensure_defaults(dropped, TrainConfig(), None)  # Streamlit dropped the widgets' values
    assert dropped[sweep_setup.key("margin", "count")] == 7 and dropped[sweep_setup.METRIC_KEY] == "final_loss"
    assert dropped[sweep_setup.key("dropout", "on")]

    no_sweep: dict = {}
    sweep_setup.ensure_defaults(no_sweep, TrainConfig(), None)
    assert no_sweep[sweep_setup.key("margin", "count")] == sweep_setup.DEFAULT_ROWS["margin"][3]
