"""The command line: exit codes, one-line errors, the final JSON line, saved runs."""

import json
import subprocess
import sys

import pytest

from graphcl_core.cli import main
from graphcl_core.errors import TrainingError
from graphcl_core.runs import RunStore


def test_graphs_lists_bundled_graphs(capsys):
    assert main(["graphs"]) == 0
    out = capsys.readouterr().out
    for name in ("karate", "lesmis", "communities", "ring_of_cliques", "two_moons", "Cora"):
        assert name in out


def test_train_json_line_has_the_final_metrics(capsys, tmp_path):
    rc = main(["train", "--graph", "ring_of_cliques", "--epochs", "12", "--hidden", "32", "--device", "cpu",
               "--set", "embedding_dim=16", "--set", "eval_every=0", "--json", "--out", str(tmp_path)])
    assert rc == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    res = json.loads(last)
    assert res["graph"] == "ring_of_cliques" and res["epochs"] == 12 and res["device"] == "cpu"
    assert res["ms_per_epoch"] > 0 and res["seconds"] > 0 and isinstance(res["loss"], float)
    run = RunStore(tmp_path).load(res["run_id"])
    assert run.meta["status"] == "finished" and run.config.hidden == 32 and run.weights_path.exists()
    assert run.meta["metrics"]["linear_probe_acc"] == res["linear_probe_acc"]


def test_karate_probe_is_clearly_above_chance(capsys):
    """The small-graph recipe separates Zachary's two factions (half the members each): a probe near 0.5
    would mean the embeddings carry nothing. Same seed, same CPU run, same number every time."""
    argv = ["train", "--graph", "karate", "--preset", "small-graph", "--device", "cpu", "--seed", "0", "--json"]
    assert main(argv) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert res["linear_probe_acc"] >= 0.8


def test_preset_and_explicit_options_combine(capsys):
    rc = main(["train", "--graph", "karate", "--preset", "infonce", "--epochs", "3", "--device", "cpu",
               "--set", "embedding_dim=8", "--hidden", "8", "--json"])
    assert rc == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["epochs"] == 3


@pytest.mark.parametrize("argv,needle", [
    (["train", "--graph", "no_such_file.csv"], "no graph file"),
    (["train", "--graph", "karate", "--margin", "-1"], "margin"),
    (["train", "--graph", "karate", "--set", "nonsense=1"], "not a setting"),
    (["train", "--graph", "karate", "--set", "hidden"], "key=value"),
    (["train", "--graph", "karate", "--pairs", "labels", "--epochs", "1", "--device", "cpu"], None),
])
def test_bad_input_exits_2_with_one_line(capsys, argv, needle):
    rc = main(argv)
    err = capsys.readouterr().err.strip()
    if needle is None:  # karate has labels: this one is valid
        assert rc == 0
        return
    assert rc == 2
    assert len(err.splitlines()) == 1 and needle in err.lower()


def test_bad_file_content_exits_2(tmp_path, capsys):
    f = tmp_path / "broken.csv"
    f.write_text("a,b\nc\n")
    assert main(["train", "--graph", str(f)]) == 2
    err = capsys.readouterr().err
    assert "line 2" in err.lower() and "Traceback" not in err


def test_argparse_errors_exit_2_in_a_real_process():
    p = subprocess.run([sys.executable, "-m", "graphcl_core", "train", "--graph", "karate", "--hidden", "x"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    assert p.stderr.strip().count("\n") == 0 and "--hidden" in p.stderr
    p = subprocess.run([sys.executable, "-m", "graphcl_core", "train", "--graph", "nope.gexf"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "Traceback" not in p.stderr


# ---------------------------------------------------------------- loader notes, column flags, probe, exit paths

EDGES = "from,to,date,kind\n" + "".join(f"n{i},n{(i + 1) % 12},2020-01-{i + 1:02d},x\n" for i in range(12))


def _train_args(tmp_path, *extra):
    (tmp_path / "edges.csv").write_text(EDGES)
    return ["train", "--graph", str(tmp_path / "edges.csv"), "--epochs", "2", "--hidden", "8", "--device", "cpu",
            "--set", "embedding_dim=4", "--set", "eval_every=0", *extra]


def test_loader_notes_on_stderr_and_in_json(tmp_path, capsys):
    assert main(_train_args(tmp_path, "--json")) == 0
    out, err = capsys.readouterr()
    res = json.loads(out.strip().splitlines()[-1])
    assert any("'date', 'kind' were ignored" in m for m in res["notes"])
    assert "note: The columns 'date', 'kind' were ignored" in err


def test_column_flags_reach_the_loader(tmp_path, capsys):
    (tmp_path / "nodes.csv").write_text("key,name,team\n" + "".join(f"{i},n{i},{'ab'[i % 2]}\n" for i in range(12)))
    argv = _train_args(tmp_path, "--source-column", "TO", "--target-column", "from", "--weight-column", "kind",
                       "--nodes", str(tmp_path / "nodes.csv"), "--id-column", "key", "--label-column", "team")
    assert main(argv) == 2  # 'x' is not a weight: proof that --weight-column was used
    assert "the weight 'x' is not a number" in capsys.readouterr().err
    argv = _train_args(tmp_path, "--source-column", "TO", "--target-column", "from", "--json",
                       "--nodes", str(tmp_path / "nodes.csv"), "--id-column", "key", "--label-column", "team")
    assert main(argv) == 0
    notes = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["notes"]
    assert any(m.startswith("Warning") and "'key'" in m for m in notes)


@pytest.mark.parametrize("labels, reason", [
    ("".join(f"n{i},{'ab'[i % 2]}\n" for i in range(6)), "6 nodes have labels"),
    ("".join(f"n{i},a\n" for i in range(12)), "2 classes"),
])
def test_probe_preconditions_are_checked_before_training(tmp_path, capsys, monkeypatch, labels, reason):
    from graphcl_core.trainer import Trainer

    (tmp_path / "nodes.csv").write_text("name,team\n" + labels)
    seen = {}
    real_run = Trainer.run

    def run(self, *a, **kw):
        seen["stderr before training"] = capsys.readouterr().err
        return real_run(self, *a, **kw)

    monkeypatch.setattr(Trainer, "run", run)
    argv = _train_args(tmp_path, "--nodes", str(tmp_path / "nodes.csv"), "--label-column", "team", "--json",
                       "--out", str(tmp_path / "runs"))
    assert main(argv) == 0
    assert reason in seen["stderr before training"] and "goes ahead without it" in seen["stderr before training"]
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert "linear_probe_acc" not in res and any(reason in m for m in res["notes"])
    assert RunStore(tmp_path / "runs").load(res["run_id"]).meta["status"] == "finished"


def _raise(exc):
    def run(self, *a, **kw):
        raise exc
    return run


@pytest.mark.parametrize("exc, rc, status", [
    (KeyboardInterrupt(), 130, "stopped"),
    (TrainingError("The loss became NaN."), 1, "failed"),
    ("oom", 1, "failed"),
    (ValueError("a bug"), None, "failed"),
])
def test_saved_run_gets_a_final_status_on_every_exit(tmp_path, capsys, monkeypatch, exc, rc, status):
    import torch

    from graphcl_core.trainer import Trainer

    if exc == "oom":
        exc = torch.cuda.OutOfMemoryError("CUDA out of memory")
    monkeypatch.setattr(Trainer, "run", _raise(exc))
    argv = _train_args(tmp_path, "--out", str(tmp_path / "runs"))
    if rc is None:  # a bug still propagates (with its traceback), but the run is not left "running"
        with pytest.raises(ValueError):
            main(argv)
    else:
        assert main(argv) == rc
    [meta] = RunStore(tmp_path / "runs").list()
    assert meta["status"] == status and meta["message"]
    if status == "failed" and rc == 1:
        assert meta["message"] in capsys.readouterr().err


# ---------------------------------------------------------------- sweep command, fast_info, probe protocol

def test_sweep_command_runs_through_python_m_and_is_listed_in_help():
    p = subprocess.run([sys.executable, "-m", "graphcl_core", "--help"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "sweep" in p.stdout
    p = subprocess.run([sys.executable, "-m", "graphcl_core", "sweep", "--graph", "karate", "--margin", "0.5,2.5",
                        "--epochs", "3", "--set", "hidden=8", "--set", "embedding_dim=4", "--set", "eval_every=0",
                        "--device", "cpu", "--probe", "quick", "--no-estimate", "--json"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout.strip().splitlines()[-1])
    assert res["graph"] == "karate" and len(res["trials"]) == 2
    assert sorted(t["config"]["margin"] for t in res["trials"]) == [0.5, 2.5]


def test_main_hands_the_sweep_word_to_sweep_main(monkeypatch):
    """``graphcl sweep ...`` (the console script is ``cli:main``) gets exactly the words after ``sweep``."""
    from graphcl_core import sweep_cli

    seen = []
    monkeypatch.setattr(sweep_cli, "sweep_main", lambda argv: seen.append(argv) or 7)
    assert main(["sweep", "--graph", "karate", "--json"]) == 7
    assert seen == [["--graph", "karate", "--json"]]


def test_train_json_has_fast_info_and_bad_runtime_options_are_notes(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GRAPHCL_TF32", "maybe")
    assert main(_train_args(tmp_path, "--json")) == 0
    out, err = capsys.readouterr()
    res = json.loads(out.strip().splitlines()[-1])
    assert res["fast_info"]["options"]["tf32"] is True  # the bad value is ignored: the default stays
    assert {"fast", "propagation", "cuda_graph"} <= set(res["fast_info"])
    assert any("GRAPHCL_TF32" in m and "ignored" in m for m in res["notes"])
    assert "note: The setting GRAPHCL_TF32 is ignored" in err


def test_reported_probe_is_the_report_protocol_whatever_the_seed(capsys, monkeypatch):
    """The CLI's linear_probe_acc is bench/quality.py's number: ``probe_scores(..., "report")``'s random splits."""
    from graphcl_core import evaluation

    seen = []
    real = evaluation.linear_probe
    monkeypatch.setattr(evaluation, "linear_probe", lambda emb, y, **kw: seen.append((emb, kw)) or real(emb, y, **kw))
    argv = ["train", "--graph", "karate", "--epochs", "5", "--hidden", "8", "--set", "embedding_dim=4",
            "--set", "eval_every=0", "--device", "cpu", "--seed", "7", "--json"]
    assert main(argv) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    emb, kw = seen[-1]
    assert tuple(kw["split_seeds"]) == evaluation.REPORT_SPLIT_SEEDS and kw.get("C") is None
    from graphcl_core.loaders import load_graph

    report = evaluation.probe_scores(emb, load_graph("karate").data, "report",
                                     train_frac=res["linear_probe_train_frac"])
    assert res["linear_probe_acc"] == round(report["random_mean"], 4)
