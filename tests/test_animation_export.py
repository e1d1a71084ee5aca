"""Animation export: the HTML, GIF and MP4 files open and hold one frame per chosen snapshot; the CLI's
exit codes; the library's errors. Runs are written through the run store from embeddings that drift
from noise towards their class centres, so the tests need no training."""

import json
import re
import subprocess
import sys

import imageio.v2 as iio2
import imageio.v3 as iio
import numpy as np
import pytest

from graphcl_core.animation_frames import build_frames, pick_epochs
from graphcl_core.cli import main
from graphcl_core.errors import ConfigError, RunStoreError
from graphcl_core.export_animation import ExportError, export_animation
from graphcl_core.runs import RunStore
from graphcl_core.trainer import Snapshot

from conftest import planted_partition

EPOCHS = 12  # snapshots at epochs 0..12


def _losses() -> list[float]:
    return [1.0 / (1 + 0.3 * e) for e in range(1, EPOCHS + 1)]


def write_drifting_run(root, workspace: str = "cli"):
    """A saved run of a 60-node, 3-class graph: 13 snapshots, loss falling, embeddings clustering.
    Returns its folder. (Also used by the browser test.)"""
    from graphcl_core.config import TrainConfig

    bundle = planted_partition()
    writer = RunStore(root, workspace).create(bundle, TrainConfig(epochs=EPOCHS), "cpu")
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 8)) * 3
    noise = rng.normal(size=(bundle.num_nodes, 8))
    y = bundle.data.y.numpy()
    snaps = [Snapshot(e, 0.0, ((1 - e / EPOCHS) * noise + (e / EPOCHS) * centres[y] + 0.1 * noise
                               ).astype(np.float16)) for e in range(EPOCHS + 1)]
    history = [{"epoch": e, "loss": loss, "seconds": 0.01 * e} for e, loss in enumerate(_losses(), start=1)]
    writer.save_progress(history, snaps, EPOCHS, 0.1)
    writer.finish("finished")
    return writer.path


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return write_drifting_run(tmp_path_factory.mktemp("runs"))


def _html_figure(path) -> tuple[list[dict], dict, list[dict]]:
    """The traces, layout and frames of the figure in an exported HTML file, as Plotly is handed them."""
    text = path.read_text(encoding="utf-8")
    decode = json.JSONDecoder().raw_decode
    at = re.search(r"Plotly\.newPlot\(\s*['\"][\w-]+['\"],\s*", text).end()
    data, at = decode(text, at)
    layout, _ = decode(text, re.compile(r",\s*").match(text, at).end())
    frames, _ = decode(text, re.search(r"Plotly\.addFrames\(\s*['\"][\w-]+['\"],\s*", text).end())
    return data, layout, frames


def _html_frames(path) -> list[dict]:
    return _html_figure(path)[2]


def test_pick_epochs_is_even_and_keeps_both_ends():
    epochs = list(range(0, 201, 5))
    picked = pick_epochs(epochs, 10)
    assert len(picked) == 10 and picked[0] == 0 and picked[-1] == 200
    gaps = np.diff(picked)
    assert gaps.max() - gaps.min() <= 5  # evenly spaced, up to one snapshot's rounding
    assert pick_epochs(epochs[:4], 10) == epochs[:4]
    with pytest.raises(ConfigError):
        pick_epochs(epochs, 1)


def test_frames_carry_the_loss_of_their_epoch_and_the_labels(run_dir):
    frames = build_frames(run_dir, "pca", max_frames=5)
    assert frames.epochs == [0, 3, 6, 9, 12]
    assert frames.frame_loss[0] is None  # epoch 0: before training
    assert frames.frame_loss[2] == pytest.approx(_losses()[5])  # epoch 6 is history row 6
    assert frames.coords.shape == (5, 60, 2) and np.isfinite(frames.coords).all()
    assert frames.colour_title == "Label" and len(frames.categories) == 3
    assert len(frames.loss_values) == EPOCHS and frames.total_epochs == EPOCHS


def test_unlabelled_run_is_coloured_by_degree(run_dir, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    rows = (copy / "nodes.csv").read_text(encoding="utf-8").splitlines()
    (copy / "nodes.csv").write_text("\n".join([rows[0]] + [",".join(r.split(",")[:2] + ["", r.split(",")[3]])
                                                            for r in rows[1:]]) + "\n", encoding="utf-8")
    frames = build_frames(copy, "pca", max_frames=3)
    assert frames.categories is None and frames.colour_title == "Degree"
    assert frames.colour_values.max() > 0


def test_html_is_self_contained_and_holds_every_frame(run_dir, tmp_path):
    out = export_animation(run_dir, "html", tmp_path / "a.html", method="pca", max_frames=5)
    text = out.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", text), "plotly.js must be inside the file to open offline"
    data, layout, frames = _html_figure(out)
    assert [f["name"] for f in frames] == ["0", "3", "6", "9", "12"]
    assert "before training" in frames[0]["layout"]["title"]["text"]
    assert f"loss {_losses()[11]:.4f}" in frames[-1]["layout"]["title"]["text"]
    assert [b["label"] for b in layout["updatemenus"][0]["buttons"]] == ["▶ Play", "❚❚ Pause"]
    assert [s["args"][0] for s in layout["sliders"][0]["steps"]] == [[f["name"]] for f in frames]
    assert {t["name"] for t in data if t.get("showlegend", True)} == {"group 0", "group 1", "group 2"}  # one per label
    assert layout["xaxis"]["range"] == layout["yaxis"]["range"] and layout["yaxis"]["scaleanchor"] == "x"


def test_gif_holds_every_frame_at_the_asked_size(run_dir, tmp_path):
    out = export_animation(run_dir, "gif", tmp_path / "a.gif", method="pca", max_frames=6, fps=5, size=(320, 240))
    pictures = iio.imread(out, index=None)
    assert pictures.shape[:3] == (6, 240, 320)
    assert np.abs(pictures[0].astype(int) - pictures[-1].astype(int)).sum() > 0  # the points moved
    assert iio.immeta(out, index=0)["duration"] == 200  # 5 frames a second


def test_mp4_holds_every_frame(run_dir, tmp_path):
    out = export_animation(run_dir, "mp4", tmp_path / "a.mp4", method="pca", max_frames=7, fps=4, size=(322, 240))
    with iio2.get_reader(out, format="FFMPEG") as reader:
        assert reader.count_frames() == 7
        assert reader.get_meta_data()["size"] == (320, 240)  # rounded down to a multiple of 8 for H.264
        assert reader.get_meta_data()["fps"] == pytest.approx(4)


def test_umap_frames_are_warm_started_and_aligned(run_dir):
    frames = build_frames(run_dir, "umap", max_frames=4)
    assert frames.method == "umap" and frames.coords.shape == (4, 60, 2) and np.isfinite(frames.coords).all()
    # The last two frames come from nearly the same embeddings: aligned, they barely move.
    step = np.linalg.norm(frames.coords[-1] - frames.coords[-2], axis=1).mean()
    spread = np.linalg.norm(frames.coords[-1] - frames.coords[-1].mean(0), axis=1).mean()
    assert step < spread


def test_library_errors_are_graphcl_errors(run_dir, tmp_path):
    with pytest.raises(RunStoreError, match="no run folder"):
        export_animation(tmp_path / "missing", "gif", tmp_path / "a.gif")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunStoreError, match="no saved embeddings"):
        export_animation(tmp_path / "empty", "gif", tmp_path / "a.gif")
    with pytest.raises(ConfigError, match="format"):
        export_animation(run_dir, "avi", tmp_path / "a.avi")
    with pytest.raises(ConfigError, match="projection"):
        export_animation(run_dir, "gif", tmp_path / "a.gif", method="tsne")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ExportError, match="not a folder"):
        export_animation(run_dir, "gif", tmp_path / "file" / "a.gif", method="pca")
    assert list(tmp_path.glob(".*")) == []  # no half-written temporary file left behind


def test_cli_exports_and_prints_one_json_line(run_dir, tmp_path, capsys):
    out = tmp_path / "cli.gif"
    rc = main(["export-animation", str(run_dir), "--format", "gif", "--out", str(out), "--method", "pca",
               "--max-frames", "4", "--size", "320x240", "--json"])
    assert rc == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert res["path"] == str(out) and res["frames"] == 4 and res["seconds"] > 0
    assert iio.imread(out, index=None).shape[0] == 4


@pytest.mark.parametrize("args,needle", [
    (["{missing}", "--format", "html", "--out", "{tmp}/a.html"], "no run folder"),
    (["{empty}", "--format", "html", "--out", "{tmp}/a.html"], "no saved embeddings"),
    (["{run}", "--format", "avi", "--out", "{tmp}/a.avi"], "invalid choice"),
    (["{run}", "--format", "gif", "--out", "{file}/a.gif"], "not a folder"),
    (["{run}", "--format", "gif", "--out", "{tmp}/nowhere/a.gif"], "does not exist"),
    (["{run}", "--format", "gif", "--out", "{tmp}/a.gif", "--size", "big"], "WIDTHxHEIGHT"),
    (["{run}", "--format", "gif", "--out", "{tmp}/a.gif", "--max-frames", "1"], "between 2"),
])
def test_cli_bad_input_exits_2_with_one_line(run_dir, tmp_path, capsys, args, needle):
    (tmp_path / "empty").mkdir()
    (tmp_path / "file").write_text("x")
    names = dict(missing=tmp_path / "missing", empty=tmp_path / "empty", run=run_dir, tmp=tmp_path,
                 file=tmp_path / "file")
    try:
        rc = main(["export-animation", *(a.format(**names) for a in args)])
    except SystemExit as e:  # argparse's own refusals (an unknown --format)
        rc = e.code
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and needle.lower() in err.lower(), err


def test_module_entry_point_runs_the_export(run_dir, tmp_path):
    out = tmp_path / "m.html"
    p = subprocess.run([sys.executable, "-m", "graphcl_core", "export-animation", str(run_dir), "--format", "html",
                        "--out", str(out), "--method", "pca", "--max-frames", "3", "--json"],
                       capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout.strip().splitlines()[-1])["frames"] == 3 and len(_html_frames(out)) == 3


def test_runs_page_offers_the_animation_and_makes_nothing_while_loading(run_dir, tmp_path, monkeypatch):
    """The Runs page shows a Make button per format for the selected run and projects nothing until one is
    pressed (AppTest does not deliver clicks on this page: the clicks' work is tested just below)."""
    import shutil
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from graphcl_core import workspaces

    monkeypatch.setenv("GRAPHCL_RUNS_DIR", str(tmp_path / "runs"))
    ws = workspaces.browser_workspace(workspaces.new_token())
    shutil.copytree(run_dir, tmp_path / "runs" / ws / run_dir.name)
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=90)
    at.session_state["workspace"] = ws
    at.run()
    at.switch_page("pages/runs.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert {"runs.anim.html", "runs.anim.gif", "runs.anim.mp4"} <= {b.key for b in at.button}
    assert "runs.anim" not in at.session_state


def test_made_animation_files_share_their_frames_until_the_run_changes(run_dir, tmp_path):
    """What the page's buttons call: the GIF made first, the HTML next from the same projected frames;
    a new snapshot (a run still training) starts over."""
    import shutil

    from graphcl_core.runs import RunStore
    from ui import downloads

    shutil.copytree(run_dir, tmp_path / "cli" / run_dir.name)
    run = RunStore(tmp_path).load(run_dir.name)
    made = downloads.animation_files(None, run, "pca")
    calls = []
    gif = downloads.make_animation(made, run, "gif", progress=lambda done, total: calls.append((done, total)))
    assert iio.imread(gif, index=None).shape[0] == EPOCHS + 1 and calls[-1] == (EPOCHS + 1, EPOCHS + 1)
    frames = made.frames
    html = downloads.make_animation(downloads.animation_files(made, run, "pca"), run, "html")
    assert made.frames is frames and set(made.files) == {"gif", "html"} and b"Plotly.addFrames" in html
    assert downloads.animation_name(made, "gif") == f"{run.run_id}_pca_to_epoch{EPOCHS}.gif"
    assert downloads.animation_files(made, run, "umap") is not made  # another projection
    np.save(run.path / "snapshots" / f"epoch_{EPOCHS + 1:06d}.npy", np.zeros((60, 8), np.float16))
    assert downloads.animation_files(made, RunStore(tmp_path).load(run_dir.name), "pca") is not made
