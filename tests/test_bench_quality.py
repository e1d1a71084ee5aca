"""CPU smoke tests of bench/quality.py, bench/tune.py and bench/grace_reference.py (a few epochs each),
and the promise that a recipe fully determines its run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

from graphcl_core.config import TrainConfig
from graphcl_core.presets import PRESETS, RECIPE_FIELDS, preset

BENCH = Path(__file__).resolve().parents[1] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import grace_reference  # noqa: E402
import quality  # noqa: E402
import tune  # noqa: E402


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def record_protocols(monkeypatch) -> list[str]:
    """Every protocol the benchmarks score with, in order."""
    from graphcl_core import evaluation

    seen: list[str] = []
    real = evaluation.probe_scores

    def spy(emb, data, protocol="report", **kw):
        seen.append(protocol)
        return real(emb, data, protocol, **kw)

    monkeypatch.setattr(evaluation, "probe_scores", spy)
    return seen


def test_quality_report_on_cora(planetoid_dir, tmp_path, monkeypatch, capsys, record_protocols):
    monkeypatch.setenv("GRAPHCL_DATA_DIR", str(planetoid_dir))
    out, md = tmp_path / "q.jsonl", tmp_path / "q.md"
    rc = quality.main(["--graphs", "Cora", "--recipes", "default", "--seeds", "0", "--epochs", "3",
                       "--device", "cpu", "--out", str(out), "--markdown", str(md)])
    assert rc == 0 and record_protocols == ["report"]
    run, summary, bars = lines(out)
    assert run["what"] == "quality" and run["split_seeds"] == [0, 1, 2, 3, 4] and run["epochs"] == 3
    assert 0.0 < run["random_mean"] <= 1.0 and len(run["random_accs"]) == 5
    assert run["public"] is not None  # Cora's public split: train 140 -> test 1000
    assert summary["what"] == "quality_summary" and summary["seeds"] == [0]
    assert summary["random_min"] == summary["random_mean"] == run["random_mean"]
    assert bars["what"] == "quality_bars" and bars["Cora"]["pass"] is False  # 3 epochs: far below the bars
    assert "| Cora | default | 1 |" in md.read_text()
    assert "| Cora | default | 1 |" in quality.table_from_jsonl(str(out))
    assert "| Cora | default |" in capsys.readouterr().out


def test_quality_validation_protocol(tiny_graph, tmp_path, monkeypatch, record_protocols):
    monkeypatch.setattr("graphcl_core.loaders.load_graph", lambda name: tiny_graph)
    out = tmp_path / "v.jsonl"
    rc = quality.main(["--graphs", "tiny", "--recipes", "default,margin-gcn", "--seeds", "0,1", "--epochs", "2",
                       "--device", "cpu", "--protocol", "validation", "--out", str(out)])
    rows = lines(out)
    assert rc == 0 and set(record_protocols) == {"validation"}
    runs = [r for r in rows if r["what"] == "quality"]
    assert len(runs) == 4 and all(r["split_seeds"] == [100, 101, 102, 103, 104] for r in runs)
    summaries = [r for r in rows if r["what"] == "quality_summary"]
    assert [s["recipe"] for s in summaries] == ["default", "margin-gcn"]
    for s in summaries:
        accs = [r["random_mean"] for r in runs if r["recipe"] == s["recipe"]]
        assert s["seeds"] == [0, 1] and s["random_min"] == min(accs)
    assert not any(r["what"] == "quality_bars" for r in rows)  # bars are judged on report numbers only


def test_tune_scores_only_on_validation(tiny_graph, tmp_path, monkeypatch, record_protocols):
    monkeypatch.setattr("graphcl_core.loaders.load_graph", lambda name: tiny_graph)
    grid, out = tmp_path / "grid.json", tmp_path / "t.jsonl"
    grid.write_text(json.dumps([{}, {"encoder": "gcn", "margin": 2.0}]))
    rc = tune.main(["--graphs", "tiny", "--seeds", "0", "--epochs", "2", "--device", "cpu", "--grid", str(grid),
                    "--out", str(out)])
    rows = lines(out)
    assert rc == 0 and record_protocols == ["validation", "validation"]
    runs = [r for r in rows if r["what"] == "tune"]
    assert [r["config_id"] for r in runs] == ["c00", "c01"] and all("error" not in r for r in runs)
    assert all(r["protocol"] == "validation" and r["split_seeds"][0] == 100 for r in runs)
    best = [r for r in rows if r["what"] == "tune_best"]
    assert len(best) == 1 and best[0]["config_id"] in ("c00", "c01")


def test_tune_builtin_grid():
    configs, base = tune.load_grid(None, 60, "default")
    assert base == "default" and len(configs) == 60
    assert configs == tune.load_grid(None, 60, "default")[0]  # reproducible
    assert all(configs.count(c) == 1 for c in configs)
    margin_gcn = {k: v for k, v in preset("margin-gcn").to_dict().items() if k in tune.SPACE}
    assert margin_gcn in configs[:2]  # the current margin recipes are always among them
    for c in configs:
        cfg = preset(base, **c)
        assert cfg.loss == "margin" and cfg.pairs == "views"


def test_grace_loss_is_the_papers_formula():
    torch.manual_seed(0)
    model = grace_reference.Grace(8, grace_reference.PUBLISHED["Cora"])
    z1, z2 = torch.randn(5, 128), torch.randn(5, 128)
    u = torch.nn.functional.normalize(model.project(z1), dim=1)
    v = torch.nn.functional.normalize(model.project(z2), dim=1)
    tau = model.tau

    def ell(a, b, i):
        pos = torch.exp(a[i] @ b[i] / tau)
        neg = sum(torch.exp(a[i] @ b[k] / tau) + torch.exp(a[i] @ a[k] / tau) for k in range(5) if k != i)
        return -torch.log(pos / (pos + neg))

    expected = sum(ell(u, v, i) + ell(v, u, i) for i in range(5)) / 10
    assert model.loss(z1, z2).item() == pytest.approx(expected.item(), rel=1e-5)


def test_grace_reference_trains_on_cpu(tiny_graph):
    settings = grace_reference.PUBLISHED["CiteSeer"]  # PReLU, one view without edge drops
    emb, info = grace_reference.train(tiny_graph, seed=0, device="cpu", epochs=3, settings=settings)
    assert emb.shape == (tiny_graph.num_nodes, settings.num_hidden) and torch.isfinite(emb).all()
    assert info["epochs"] == 3 and info["device"] == "cpu"
    again, _ = grace_reference.train(tiny_graph, seed=0, device="cpu", epochs=3, settings=settings)
    assert torch.equal(emb, again)  # seeded


def test_published_grace_settings():
    cora, citeseer = grace_reference.PUBLISHED["Cora"], grace_reference.PUBLISHED["CiteSeer"]
    assert (cora.learning_rate, cora.num_hidden, cora.activation, cora.tau) == (5e-4, 128, "relu", 0.4)
    assert (cora.drop_edge_rate, cora.drop_feature_rate) == ((0.2, 0.4), (0.3, 0.4))
    assert (citeseer.learning_rate, citeseer.num_hidden, citeseer.activation, citeseer.tau) == (1e-3, 256, "prelu", 0.9)
    assert (citeseer.drop_edge_rate, citeseer.drop_feature_rate) == ((0.2, 0.0), (0.3, 0.2))
    assert cora.num_epochs == citeseer.num_epochs == 200 and cora.weight_decay == citeseer.weight_decay == 1e-5


def test_every_recipe_fixes_every_setting():
    for name, fields in PRESETS.items():
        assert set(fields) == set(RECIPE_FIELDS), name
        TrainConfig.from_dict(fields).validate()
    default = TrainConfig().to_dict()
    assert PRESETS["default"] == {k: default[k] for k in RECIPE_FIELDS}  # "default" is TrainConfig()
