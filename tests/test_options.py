"""RuntimeOptions: one reader of GRAPHCL_* with one truthiness rule, typos reported not fatal; size limits."""

import re
from pathlib import Path

import pytest

from graphcl_core import options
from graphcl_core.errors import ConfigError
from graphcl_core.loaders import limits
from graphcl_core.loaders.limits import SizeLimits
from graphcl_core.options import RuntimeOptions, parse_flag

BOOL_FIELDS = ["fast", "fast_propagation", "cuda_graph", "tf32", "fused_adam", "infonce_fast", "torch_probe",
               "numba_cache", "offline"]


@pytest.fixture(autouse=True)
def _no_override():
    options.set_current(None)
    yield
    options.set_current(None)


@pytest.mark.parametrize("word, on", [("1", True), ("true", True), (" Yes ", True), ("ON", True),
                                      ("0", False), ("false", False), ("No", False), (" off", False)])
def test_one_truthiness_rule_for_every_switch(word, on):
    assert parse_flag(word, default=not on) is on
    opts = RuntimeOptions.from_env({f"GRAPHCL_{f.upper()}": word for f in BOOL_FIELDS})
    assert all(getattr(opts, f) is on for f in BOOL_FIELDS) and opts.problems == ()


def test_empty_or_unset_means_the_default():
    assert RuntimeOptions.from_env({"GRAPHCL_FAST": "  ", "GRAPHCL_OFFLINE": ""}) == RuntimeOptions()
    assert RuntimeOptions.from_env({}) == RuntimeOptions()


def test_bad_values_keep_the_default_and_are_reported():
    env = {"GRAPHCL_FAST": "maybe", "GRAPHCL_GPU_SLOTS": "two", "GRAPHCL_MAX_NODES": "-5",
           "GRAPHCL_PROPAGATION": "fastest", "GRAPHCL_BATCH_VIEWS": "sometimes"}
    opts = RuntimeOptions.from_env(env)
    assert (opts.fast, opts.gpu_slots, opts.max_nodes, opts.propagation, opts.batch_views) == (True, 2, None, "auto", "auto")
    assert len(opts.problems) == len(env)
    for var in env:
        assert opts.problem_for(var) is not None and var in opts.problem_for(var)
    assert opts.as_dict()["problems"] == list(opts.problems)


def test_offline_false_is_off(monkeypatch):
    """Before: any value but '' or '0' turned offline mode on, 'false' included."""
    from graphcl_core.loaders import planetoid

    assert RuntimeOptions.from_env({"GRAPHCL_OFFLINE": "false"}).offline is False
    tried = []

    def connect(*a, **k):
        tried.append(a)
        raise OSError("no network in tests")

    monkeypatch.setattr(planetoid.socket, "create_connection", connect)
    monkeypatch.setenv("GRAPHCL_OFFLINE", "false")
    assert planetoid._online() is False and len(tried) == 1  # probed the network: not offline
    monkeypatch.setenv("GRAPHCL_OFFLINE", "true")
    assert planetoid._online() is False and len(tried) == 1  # offline: not even probed


def test_bad_gpu_slots_do_not_break_the_import(monkeypatch):
    """A fresh interpreter imports the worker (and so the app's engine) with a typo in GRAPHCL_GPU_SLOTS."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "GRAPHCL_GPU_SLOTS": "lots"}
    code = ("import graphcl_core.worker; from graphcl_core import options; "
            "print(options.current().gpu_slots, options.current().problem_for('GRAPHCL_GPU_SLOTS'))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[1], timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("2 The setting GRAPHCL_GPU_SLOTS is ignored")


def test_current_follows_the_environment_and_set_current_wins(monkeypatch, tmp_path):
    from graphcl_core.loaders.planetoid import data_root
    from graphcl_core.runs import default_runs_dir

    monkeypatch.setenv("GRAPHCL_RUNS_DIR", str(tmp_path / "r"))
    monkeypatch.setenv("GRAPHCL_DATA_DIR", str(tmp_path / "d"))
    assert default_runs_dir() == tmp_path / "r" and data_root() == tmp_path / "d"
    monkeypatch.setenv("GRAPHCL_FAST", "0")
    assert options.current().fast is False
    options.set_current(RuntimeOptions(runs_dir=str(tmp_path / "x")))
    assert options.current().fast is True and default_runs_dir() == tmp_path / "x"


def test_no_other_module_reads_graphcl_variables():
    pkg = Path(options.__file__).parent
    reader = re.compile(r"(environ(\.get)?\s*[\[(]\s*|getenv\s*\(\s*)[\"']GRAPHCL_")
    offenders = [str(p.relative_to(pkg)) for p in pkg.rglob("*.py")
                 if p.name != "options.py" and reader.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


# ---- size limits that follow the machine -----------------------------------------------------------
def test_cpu_limits_are_the_fixed_defaults(monkeypatch):
    monkeypatch.setattr("graphcl_core.device.free_gpu_memory", lambda device=None: None)
    lim = SizeLimits.for_machine(RuntimeOptions())
    assert (lim.max_nodes, lim.max_edges) == (200_000, 2_000_000)
    assert lim.describe() == ("Up to 200,000 nodes and 2,000,000 edges (CPU default; "
                              "set GRAPHCL_MAX_NODES / GRAPHCL_MAX_EDGES to change).")


def test_gpu_limits_follow_free_memory(monkeypatch):
    monkeypatch.setattr("graphcl_core.device.free_gpu_memory", lambda device=None: 79 * 10**9)
    lim = limits.resolve(None)
    assert (lim.max_nodes, lim.max_edges) == (4_600_000, 46_000_000)
    assert "from 79.0 GB of free GPU memory" in lim.describe()
    # the measured runs fit their machines under the model: 1M/10M on 80 GB, 4M/40M on 140 GB
    assert SizeLimits.for_machine(RuntimeOptions(), free_gpu_bytes=140 * 10**9).max_nodes >= 4_000_000
    model_bytes = lambda n, e: limits.BYTES_PER_NODE * n + limits.BYTES_PER_EDGE * e  # noqa: E731
    assert model_bytes(1_000_000, 10_000_000) >= 13.3e9 and model_bytes(4_000_000, 40_000_000) >= 48e9
    # a small or busy GPU never goes below the CPU limits
    small = SizeLimits.for_machine(RuntimeOptions(), free_gpu_bytes=10**9)
    assert (small.max_nodes, small.max_edges) == (200_000, 2_000_000)


def test_settings_override_the_machine(monkeypatch):
    monkeypatch.setattr("graphcl_core.device.free_gpu_memory", lambda device=None: 79 * 10**9)
    monkeypatch.setenv("GRAPHCL_MAX_NODES", "50")
    lim = limits.resolve(None)
    assert (lim.max_nodes, lim.max_edges) == (50, 46_000_000)
    assert lim.describe() == "Up to 50 nodes and 46,000,000 edges (set by GRAPHCL_MAX_NODES / GRAPHCL_MAX_EDGES)."
    monkeypatch.setenv("GRAPHCL_MAX_EDGES", "lots")
    with pytest.raises(ConfigError, match="GRAPHCL_MAX_EDGES"):
        limits.resolve(None)
