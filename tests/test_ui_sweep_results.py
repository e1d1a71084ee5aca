"""What the Sweep page says about a sweep's trials: the progress line, the results table (no "None",
the score trials are ranked by named as the validation protocol's, the reported probe beside it), the
grid's titles, and room for the charts' tick labels and titles."""

from __future__ import annotations

import pytest

from ui import sweep_jobs, sweep_views


def _row(trial, lr, status, epoch, metric=None, loss=None, run_id=None, reported=None):
    return {"trial": trial, "values": {"lr": lr}, "status": status, "run_id": run_id, "epoch": epoch,
            "epochs": 300, "loss": loss, "metric": metric, "reported": reported or {}}


def _stopped_table():
    """lr × 5, stopped during trial 4: three finished, one stopped, one the sweep never started."""
    return [_row(1, 1e-4, "finished", 300, 0.775, 0.61, "r1", {"linear_probe_acc": 0.817}),
            _row(2, 3.162e-4, "finished", 300, 0.70, 0.57, "r2", {"linear_probe_acc": 0.75}),
            _row(3, 1e-3, "finished", 300, 0.74, 0.51, "r3", {"linear_probe_acc": 0.78}),
            _row(4, 3.162e-3, "stopped", 165, None, 0.43, "r4"),
            _row(5, 1e-2, "not_started", 0)]


def test_a_stopped_sweep_counts_finished_stopped_and_never_started_trials():
    share, text = sweep_jobs.progress({"state": "stopped", "ended": 4, "trials": 5, "message": ""}, _stopped_table())
    assert text == "Sweep stopped: 3 of 5 trials finished, 1 stopped, 1 not started"
    assert share == pytest.approx(4 * 300 / 1500)


def test_a_running_sweep_says_what_runs_and_what_waits():
    table = _stopped_table()[:3] + [_row(4, 3.162e-3, "running", 20), _row(5, 1e-2, "pending", 0)]
    table[1]["status"] = "pruned"
    _, text = sweep_jobs.progress({"state": "running", "ended": 3, "trials": 5, "message": ""}, table)
    assert text == "Sweep running: 2 of 5 trials finished, 1 stopped early, 1 running, 1 waiting"


def test_results_table_has_no_none_names_the_ranking_score_and_shows_the_reported_probe():
    styled = sweep_jobs.results_rows(_stopped_table(), "linear_probe", {3: "The sweep was stopped."})
    frame = styled.data
    ranked = "Validation probe accuracy (used to rank)"
    assert list(frame.columns) == ["Trial", "lr", "Status", "Note", "Epoch", "Loss", ranked, "Linear probe", "Run"]
    assert list(frame["Status"]) == ["finished"] * 3 + ["stopped", "not started"]
    assert frame["Note"][3] == "The sweep was stopped."  # the whole note, next to the status it explains
    assert frame[ranked][0] == 0.775 and frame["Linear probe"][0] == 0.817  # numbers stay numbers (sorting)
    assert frame[ranked].isna().tolist() == [False] * 3 + [True] * 2
    html = styled.to_html()
    assert "None" not in html and "nan" not in html.lower().replace("nanoseconds", "")
    assert html.count(sweep_jobs.MISSING) == 5  # ranked score × 2, probe × 2, loss of the never-started trial
    assert "77.5%" in html and "81.7%" in html  # as Explore writes the probe
    assert "0.0003162" in html  # settings as the pickers write them, not rounded to 0.0003


def test_without_notes_or_labels_the_table_stays_narrow():
    table = [_row(1, 1e-3, "finished", 300, 0.41, 0.6, "r1")]
    frame = sweep_jobs.results_rows(table, "silhouette").data
    assert list(frame.columns) == ["Trial", "lr", "Status", "Epoch", "Loss", "Silhouette (used to rank)", "Run"]


def test_labels_say_the_ranking_score_is_the_validation_protocols():
    assert sweep_jobs.metric_label("linear_probe") == "validation probe accuracy"
    assert sweep_jobs.ranked_column("final_loss") == "Final loss (used to rank)"


def test_grid_titles_say_not_started():
    fig = sweep_views.grid_figure(_stopped_table(), {}, None)
    titles = [a.text for a in fig.layout.annotations]
    assert titles[4].endswith("epoch 0 · not started") and titles[3].endswith("· stopped")


def test_charts_leave_room_for_tick_labels_and_titles():
    table = _stopped_table()
    for r in table:
        r["values"]["margin"] = 0.5 if r["trial"] % 2 else 2.25
    panels = sweep_views.heatmap_data(table, "margin", "lr")
    heat = sweep_views.heatmap_figure(panels, "margin", "lr", None, "validation probe accuracy")
    # "0.0003162" (9 characters) and the title "lr" at the left; tick values and "margin" at the bottom
    assert heat.layout.margin.l >= 9 * 7 + 28 and heat.layout.margin.b >= 12 + 28
    line = sweep_views.line_figure(table, "lr", "validation probe accuracy")
    assert line.layout.margin.l >= 6 * 7 + 28 and line.layout.margin.b >= 12 + 28
